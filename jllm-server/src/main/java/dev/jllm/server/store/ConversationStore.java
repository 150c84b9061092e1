package dev.jllm.server.store;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Conversations, their items, and responses, owned by an API key hash. Every read and delete takes
 * the owner: another owner's object is indistinguishable from a missing one (404).
 *
 * <p>Durability contract: {@link #completeResponse} writes a turn — its input items, the assistant
 * item and the response's final status — in ONE transaction, committed before the client is told the
 * response completed. A response interrupted before that (crash, kill) leaves no items; its row,
 * written in_progress by {@link #beginResponse}, is marked incomplete when the store is reopened.
 * Implementations: {@link SqliteConversationStore} and {@link PostgresConversationStore}, both thread-safe.
 */
public interface ConversationStore extends AutoCloseable {

    record Conversation(String id, String owner, long createdAt, Map<String, String> metadata) {}

    /** Item types: a message, a function call the model made, the caller's output of such a call. */
    String MESSAGE = "message", FUNCTION_CALL = "function_call", FUNCTION_CALL_OUTPUT = "function_call_output";

    /**
     * An item: a message (role + text), a {@code function_call} (role assistant, content = the
     * arguments JSON, {@code callId} and {@code name} set) or a {@code function_call_output} (role
     * tool, content = the output, {@code callId} set). {@code responseId} is set for items a response
     * created; {@code output} marks the ones it produced (its answer and calls), the rest are its input.
     */
    record Item(String id, String conversationId, String responseId, String type, String role, String content, String callId, String name,
                String status, boolean output, long createdAt) {}

    /** An item to add; a null id is assigned by the store (a response names its output items up front, for streaming). */
    record NewItem(String id, String type, String role, String content, String callId, String name) {
        public NewItem(String role, String content) {
            this(null, MESSAGE, role, content, null, null);
        }

        public NewItem(String id, String role, String content) {
            this(id, MESSAGE, role, content, null, null);
        }

        public static NewItem functionCall(String id, String callId, String name, String arguments) {
            return new NewItem(id, FUNCTION_CALL, "assistant", arguments, callId, name);
        }

        public static NewItem functionCallOutput(String id, String callId, String output) {
            return new NewItem(id, FUNCTION_CALL_OUTPUT, "tool", output, callId, null);
        }
    }

    record Usage(int inputTokens, int cachedTokens, int outputTokens) {}

    record Response(String id, String owner, String conversationId, String previousResponseId, String status, String model,
                    String instructions, long createdAt, Long completedAt, Usage usage, String error) {}

    /**
     * What one answer was made by: a row of the generations log (schema v3). {@code id} is the
     * response id for the Responses API, the chatcmpl-/cmpl- id otherwise.
     *
     * @param api          chat.completions, completions or responses
     * @param version      the model version (a registry version, or {@code sha256:} and the file hash's first 12 hex digits)
     * @param adapter      the LoRA adapter's name, or null for the base model
     * @param sampling     the sampling parameters as a JSON object
     * @param status       completed, incomplete (cut at a limit), failed, cancelled (client gone) or rejected (busy)
     * @param outputChars  the answer's length in Unicode code points
     * @param empty        the answer had no text and no tool call
     * @param refusal      the answer starts like a refusal ("I'm sorry", "I can't", "As an AI", 抱歉 …)
     * @param ttftMs       from the request's arrival to its first token; negative when it never got one
     * @param totalMs      from the request's arrival to the end of the generation
     * @param replica      the server that made it (host:port and start time), for replicas on one store
     */
    record GenerationRecord(String id, long createdMs, String api, String owner, String responseId, String conversationId, String model,
                            String version, String modelSha256, String adapter, String sampling, String status, String finishReason,
                            String error, int promptTokens, int cachedTokens, int outputTokens, int outputChars, boolean empty,
                            boolean refusal, double ttftMs, double totalMs, String replica) {
        /** The statuses that are an answer (its length means something). */
        public boolean answered() {
            return status.equals("completed") || status.equals("incomplete");
        }
    }

    /**
     * One bucket of the generations log for one model version: answers (completed or incomplete) with
     * their output-length sums and sums of squares, empty-or-refusal answers, failures, everything.
     */
    record Bucket(String model, String version, long startMs, int answers, double sumTokens, double sumSqTokens, double sumChars,
                  double sumSqChars, int emptyOrRefusal, int failed, int total) {}

    Conversation createConversation(String owner, Map<String, String> metadata, List<NewItem> items);

    Optional<Conversation> conversation(String owner, String id);

    /** True if a conversation with this id exists, whoever owns it (the admin endpoints, which act for no owner). */
    boolean conversationExists(String id);

    /** The owner's conversations, newest first, at most {@code limit}. */
    List<Conversation> conversations(String owner, int limit);

    /** True if it existed (and belonged to the owner); its items and responses go with it. */
    boolean deleteConversation(String owner, String id);

    /** All items in order; empty if the conversation does not exist for this owner (check with {@link #conversation}). */
    List<Item> items(String owner, String conversationId);

    /** Appends items; refused ({@link ConversationBusyException}) while the conversation has a turn in progress. */
    List<Item> addItems(String owner, String conversationId, List<NewItem> items);

    /** Records a response as in_progress (so an interrupted one is visible as incomplete later). */
    default void beginResponse(Response r) {
        beginResponse(r, null);
    }

    /**
     * Records a response as in_progress, run by {@code instanceId} (null: unknown), and makes it its
     * conversation's turn in progress: if the conversation has another one whose server is alive, a
     * {@link ConversationBusyException} instead (nothing written).
     */
    void beginResponse(Response r, String instanceId);

    /**
     * The turn's commit point: input items, the output items and status completed, atomically; the
     * items are appended to the response's conversation if it has one. {@code status} is completed, or
     * incomplete when the answer was cut at the token limit. Returns the output items.
     */
    default List<Item> completeResponse(String responseId, List<NewItem> input, List<NewItem> output, Usage usage, String status) {
        return completeResponse(responseId, input, output, usage, status, null);
    }

    /** ... and, in the same transaction, what the answer was made by ({@code made}, or null). */
    default List<Item> completeResponse(String responseId, List<NewItem> input, List<NewItem> output, Usage usage, String status, GenerationRecord made) {
        return completeResponse(responseId, input, output, usage, status, made, null, null);
    }

    /**
     * ... and the token sequence the turn left ({@code sequence}, or null) under {@code cacheKey}, so the
     * next turn is built from the same ids whichever replica serves it.
     */
    List<Item> completeResponse(String responseId, List<NewItem> input, List<NewItem> output, Usage usage, String status, GenerationRecord made,
                                String cacheKey, Sequence sequence);

    /** {@link #completeResponse(String, List, List, Usage, String)} with one output item. */
    default Item completeResponse(String responseId, List<NewItem> input, NewItem output, Usage usage, String status) {
        return completeResponse(responseId, input, List.of(output), usage, status).getFirst();
    }

    /** Ends a response without items (failed, cancelled, client gone). */
    default void failResponse(String responseId, String status, String error) {
        failResponse(responseId, status, error, null);
    }

    /** ... recording the attempt in the generations log ({@code made}, or null) in the same transaction. */
    void failResponse(String responseId, String status, String error, GenerationRecord made);

    /** Appends rows to the generations log in one transaction (the stateless APIs' answers, batched). */
    void recordGenerations(List<GenerationRecord> rows);

    /** One row of the generations log (a response's id, a chatcmpl- id). */
    Optional<GenerationRecord> generation(String id);

    /**
     * Every row of the generations log created in [sinceMs, untilMs), oldest first, for one model
     * name or all (null); streamed to {@code sink} (the report's medians need the values).
     */
    void scanGenerations(long sinceMs, long untilMs, String model, java.util.function.Consumer<GenerationRecord> sink);

    /** The generations log in buckets of {@code bucketMs} since {@code sinceMs}, per model and version, oldest first (the drift alarm's input). */
    List<Bucket> generationBuckets(long sinceMs, long bucketMs, String model);

    Optional<Response> response(String owner, String id);

    /** A response's own items (its input, then its output), in order. */
    List<Item> responseItems(String responseId);

    /** Throws {@link StoreException} unless the database answers now (for /ready). */
    void ping();

    /** Marks responses left in_progress by a previous run as incomplete; returns how many. */
    int recoverInterrupted();

    @Override
    void close();

    /**
     * A conversation that has a turn in progress (on this server or another replica) when another turn
     * or item arrives: refused, not interleaved (HTTP 409). {@code responseId} is the turn in progress.
     */
    final class ConversationBusyException extends RuntimeException {
        public final String conversationId, responseId;

        public ConversationBusyException(String conversationId, String responseId) {
            super("conversation " + conversationId + " has a turn in progress (" + responseId + "); send the next turn or item when it completes");
            this.conversationId = conversationId;
            this.responseId = responseId;
        }
    }

    /** The token ids a turn left (prompt and answer, as the model saw and said them) and the model file they are valid for. */
    record Sequence(String modelSha256, int[] tokens) {}

    /**
     * This server among replicas on one database: registered at start ({@code address} for operators),
     * then {@link #heartbeat} every second. Responses begun from here are this instance's; when its
     * heartbeat is older than {@link #LEASE_MS} the others mark them incomplete and free their conversations.
     */
    void registerInstance(String instanceId, String address);

    /** Keeps this instance alive for the others; returns how many responses of dead instances it marked incomplete meanwhile. */
    int heartbeat(String instanceId);

    /** A clean stop: this instance's row goes (its responses are all finished). */
    void unregisterInstance(String instanceId);

    /** A server whose heartbeat is older than this is dead (kill -9, a lost machine): its turns in progress are over. */
    long LEASE_MS = 5_000;

    /**
     * The token sequence stored under {@code cacheKey} (a conversation, or a response of a
     * previous_response_id chain) when it was made by the model with {@code modelSha256}, else null.
     */
    int[] sequence(String cacheKey, String modelSha256);

    /** A storage failure; the HTTP layer reports it as 500 without details. */
    final class StoreException extends RuntimeException {
        public StoreException(String message, Throwable cause) {
            super(message, cause);
        }
    }
}

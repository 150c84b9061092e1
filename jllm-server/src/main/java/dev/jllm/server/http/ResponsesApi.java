package dev.jllm.server.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import dev.jllm.chat.ChatMessage;
import dev.jllm.chat.PromptBuilder;
import dev.jllm.engine.FinishReason;
import dev.jllm.engine.Generation;
import dev.jllm.engine.GenerationEvent;
import dev.jllm.engine.Logprobs;
import dev.jllm.engine.Scheduler;
import dev.jllm.server.store.ConversationStore;
import dev.jllm.server.store.Ids;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;

/**
 * The Responses API: {@code POST /v1/responses} continues a stored conversation (or a chain of
 * previous_response_id) — the server rebuilds the prompt from stored history with the chat template
 * and commits the turn (input items + answer) in one transaction before it reports completion.
 *
 * <p>Order of work: the prompt is built and the response recorded (in_progress) BEFORE the generation
 * is submitted, so a store that fails costs no model time; the generation is closed on every exit
 * path, so an error or a vanished client frees its slot within a step. The next turn starts from the
 * token ids this one left in the engine ({@link Scheduler#lastSequence}), keyed by conversation id,
 * or by response id along a previous_response_id chain.
 */
final class ResponsesApi {
    private static final int MAX_CHAIN = 10_000;

    private final ServedModels models;
    private final Scheduler scheduler;
    private final PromptBuilder prompts;
    private final ConversationStore store;
    private final long heartbeatMillis;
    private final int defaultMaxOutputChars;

    ResponsesApi(ServedModels models, Scheduler scheduler, PromptBuilder prompts, ConversationStore store, long heartbeatMillis,
                 int defaultMaxOutputChars) {
        this.defaultMaxOutputChars = defaultMaxOutputChars;
        this.models = models;
        this.scheduler = scheduler;
        this.prompts = prompts;
        this.store = store;
        this.heartbeatMillis = heartbeatMillis;
    }

    /** What a request asked for, validated. */
    private record Turn(String id, String owner, List<ChatMessage> input, String instructions, String conversationId,
                        String previousResponseId, boolean store, GenerationArgs args, long createdAt, ServedModels.Resolved model,
                        Logprobs.Request logprobs, dev.jllm.grammar.Grammar grammar) {}

    void create(HttpExchange ex, ObjectNode body, String owner) throws IOException {
        Turn t = parse(body, owner);
        List<ChatMessage> msgs = new ArrayList<>();
        if (t.instructions() != null) msgs.add(ChatMessage.system(t.instructions()));
        msgs.addAll(history(t));
        msgs.addAll(t.input());
        int[] previous = scheduler.lastSequence(t.conversationId() != null ? t.conversationId() : t.previousResponseId());
        PromptBuilder.Prompt p = prompts.build(msgs, "input", t.args().truncation(), previous);
        t.args().checkFits(p.tokens().length, prompts.contextLength(), "input");
        if (t.store()) {
            store.beginResponse(new ConversationStore.Response(t.id(), owner, t.conversationId(), t.previousResponseId(), "in_progress",
                    t.model().id(), t.instructions(), t.createdAt(), null, null, null));
        }
        String itemId = Ids.next("msg_");
        Map<String, String> headers = p.droppedMessages() > 0
                ? Map.of(ChatApi.TRUNCATED_HEADER, Integer.toString(p.droppedMessages())) : Map.of();
        Generation g;
        try {
            g = Generations.submit(scheduler, p.tokens(), t.args(), cacheKey(t), t.model(), t.logprobs(), t.grammar(), prompts.tokenizer());
        } catch (ApiException e) {
            if (t.store()) store.failResponse(t.id(), "failed", e.getMessage());
            throw e;
        }
        try (g) {
            if (!t.args().stream()) {
                GenerationEvent.Finished f;
                try {
                    f = Generations.await(g, ClientProbe.of(ex));
                } catch (IOException e) {
                    // client gone while waiting: nothing of this turn is stored, as for a stream cut short
                    if (t.store()) store.failResponse(t.id(), "incomplete", "the client disconnected before the response completed");
                    throw e;
                } catch (ApiException e) {
                    if (t.store()) store.failResponse(t.id(), "failed", e.getMessage());
                    throw e;
                }
                ObjectNode r = commit(t, f, itemId);
                headers.forEach((k, v) -> ex.getResponseHeaders().set(k, v));
                HttpIo.sendJson(ex, 200, r);
                return;
            }
            stream(ex, t, g, itemId, headers);
        }
    }

    /** The KV and token sequence of this turn stay in the engine under this key: the conversation, or this response for a chain. */
    private static String cacheKey(Turn t) {
        if (t.conversationId() != null) return t.conversationId();
        return t.store() ? t.id() : null;
    }

    private void stream(HttpExchange ex, Turn t, Generation g, String itemId, Map<String, String> headers) throws IOException {
        int[] seq = {0};
        Sse[] out = {null};
        GenerationEvent.Finished f;
        try {
            Sse sse = out[0] = new Sse(ex, headers);
            ObjectNode created = response(t, "in_progress", List.of(), null, null);
            sse.event("response.created", event("response.created", seq).set("response", created));
            sse.event("response.in_progress", event("response.in_progress", seq).set("response", created));
            ObjectNode added = event("response.output_item.added", seq).put("output_index", 0);
            added.set("item", item(itemId, "in_progress", null));
            sse.event("response.output_item.added", added);
            f = Generations.stream(g, sse, (s, l) -> {
                ObjectNode delta = event("response.output_text.delta", seq).put("item_id", itemId).put("output_index", 0)
                        .put("content_index", 0).put("delta", s);
                if (t.logprobs() != null) delta.set("logprobs", LogprobsJson.content(prompts.tokenizer(), l));
                sse.event("response.output_text.delta", delta);
            }, heartbeatMillis);
        } catch (IOException e) {
            // client gone mid-stream: nothing of this turn is stored, the response is marked incomplete
            if (t.store()) store.failResponse(t.id(), "incomplete", "the client disconnected before the response completed");
            throw e;
        } catch (ApiException e) {
            if (t.store()) store.failResponse(t.id(), "failed", e.getMessage());
            if (out[0] == null) throw e; // nothing sent yet: an ordinary error response
            ObjectNode failed = response(t, "failed", List.of(), null, null);
            failed.putObject("error").put("code", e.code).put("message", e.getMessage());
            out[0].event("response.failed", event("response.failed", seq).set("response", failed));
            return;
        }
        Sse sse = out[0];
        ObjectNode done;
        try {
            done = commit(t, f, itemId);
        } catch (ConversationStore.StoreException e) {
            // the turn could not be stored: the client must not believe it was (its headers are out, so say it in the stream)
            ObjectNode failed = response(t, "failed", List.of(), null, null);
            failed.putObject("error").put("code", "store_error").put("message", "the turn could not be stored; retry it");
            sse.event("response.failed", event("response.failed", seq).set("response", failed));
            throw e;
        }
        sse.event("response.output_text.done", event("response.output_text.done", seq).put("item_id", itemId).put("output_index", 0)
                .put("content_index", 0).put("text", f.text()));
        ObjectNode itemDone = event("response.output_item.done", seq).put("output_index", 0);
        itemDone.set("item", done.get("output").get(0));
        sse.event("response.output_item.done", itemDone);
        String type = done.get("status").asText().equals("completed") ? "response.completed" : "response.incomplete";
        sse.event(type, event(type, seq).set("response", done));
    }

    void get(HttpExchange ex, String owner, String id) throws IOException {
        ConversationStore.Response r = store.response(owner, id).orElseThrow(() -> ApiException.notFound("response '" + id + "' not found"));
        List<ConversationStore.Item> items = store.responseItems(id);
        List<ObjectNode> output = new ArrayList<>();
        String text = null;
        if (!items.isEmpty() && r.completedAt() != null && !r.status().equals("failed")) {
            ConversationStore.Item last = items.getLast(); // a response's output is its last item
            output.add(ConversationsApi.json(last));
            text = last.content();
        }
        ObjectNode o = base(r.id(), r.createdAt(), r.status(), r.model(), r.conversationId(), r.previousResponseId(), r.instructions(), output);
        if (r.usage() != null && text != null) o.set("usage", usage(r.usage().inputTokens(), r.usage().cachedTokens(), r.usage().outputTokens()));
        if (r.error() != null) o.putObject("error").put("message", r.error());
        HttpIo.sendJson(ex, 200, o);
    }

    private Turn parse(ObjectNode body, String owner) {
        ServedModels.Resolved model = models.resolve(body);
        Generations.refuseUnsupported(body, true);
        if (ToolCalls.parse(body, true).active()) {
            throw ApiException.invalid("tools", "unsupported_parameter", "function tools in the Responses API are not supported yet by this jllm"
                    + " server; use /v1/chat/completions with 'tools', or remove them (they would otherwise be ignored)");
        }
        JsonNode in = body.get("input");
        List<ChatMessage> input;
        if (in == null || in.isNull()) throw ApiException.invalid("input", "'input' is required");
        if (in.isTextual()) {
            input = List.of(ChatMessage.user(in.asText()));
        } else if (in instanceof ArrayNode a) {
            input = Messages.withoutTools(Messages.parse(a, "input", prompts), "input");
        } else {
            throw ApiException.invalid("input", "'input' must be a string or an array of message items, got " + Fields.kind(in));
        }
        if (input.isEmpty()) throw ApiException.invalid("input", "'input' must not be empty");
        String instructions = Fields.optString(body, "instructions", null);
        String conversation = null;
        JsonNode c = body.get("conversation");
        if (c != null && !c.isNull()) {
            if (c.isTextual()) conversation = c.asText();
            else if (c instanceof ObjectNode co) conversation = Fields.reqString(co, "id", "conversation");
            else throw ApiException.invalid("conversation", "'conversation' must be an id string or {\"id\": ...}");
        }
        String previous = Fields.optString(body, "previous_response_id", null);
        if (conversation != null && previous != null) {
            throw ApiException.invalid("previous_response_id", "'previous_response_id' and 'conversation' cannot be used together");
        }
        Boolean storeFlag = Fields.optBool(body, "store", null);
        boolean doStore = storeFlag == null || storeFlag;
        if (!doStore && conversation != null) throw ApiException.invalid("store", "'store' must be true when a conversation is given");
        Logprobs.Request logprobs = LogprobsJson.responses(body);
        GenerationArgs args = GenerationArgs.parse(body, prompts.contextLength(), "max_output_tokens").withDefaultBudget(defaultMaxOutputChars);
        dev.jllm.grammar.Grammar grammar = StructuredOutput.responses(body);
        if (conversation != null && store.conversation(owner, conversation).isEmpty()) {
            throw new ApiException(404, "invalid_request_error", "conversation", "not_found", "conversation '" + conversation + "' not found", 0);
        }
        return new Turn(Ids.next("resp_"), owner, input, instructions, conversation, previous, doStore, args, System.currentTimeMillis() / 1000, model,
                logprobs, grammar);
    }

    /** The messages before this turn: the conversation's items, or the previous_response_id chain's. */
    private List<ChatMessage> history(Turn t) {
        List<ConversationStore.Item> items = new ArrayList<>();
        if (t.conversationId() != null) {
            items = store.items(t.owner(), t.conversationId());
        } else if (t.previousResponseId() != null) {
            List<String> chain = new ArrayList<>();
            String id = t.previousResponseId();
            while (id != null && chain.size() < MAX_CHAIN) {
                String at = id;
                ConversationStore.Response r = store.response(t.owner(), id).orElseThrow(() -> new ApiException(404, "invalid_request_error",
                        "previous_response_id", "not_found", "response '" + at + "' not found", 0));
                if (!r.status().equals("completed") && !r.status().equals("incomplete")) {
                    throw ApiException.invalid("previous_response_id", "response '" + id + "' is " + r.status() + "; only finished responses can be continued");
                }
                chain.add(id);
                id = r.previousResponseId();
            }
            Collections.reverse(chain);
            for (String rid : chain) items.addAll(store.responseItems(rid));
        }
        List<ChatMessage> msgs = new ArrayList<>(items.size());
        for (ConversationStore.Item it : items) msgs.add(new ChatMessage(it.role(), it.content(), null, null, null));
        return msgs;
    }

    /** Stores the turn (one transaction) if asked, and builds the final response object. */
    private ObjectNode commit(Turn t, GenerationEvent.Finished f, String itemId) {
        String status = f.reason() == FinishReason.LENGTH ? "incomplete" : "completed";
        if (t.store()) {
            store.completeResponse(t.id(), ConversationsApi.newItems(t.input()), new ConversationStore.NewItem(itemId, "assistant", f.text()),
                    new ConversationStore.Usage(f.promptTokens(), f.cachedTokens(), f.completionTokens()), status);
        }
        ObjectNode it = item(itemId, "completed", f.text());
        if (t.logprobs() != null) ((ObjectNode) it.get("content").get(0)).set("logprobs", LogprobsJson.content(prompts.tokenizer(), f.logprobs()));
        String reason = !status.equals("incomplete") ? null : f.budget() != null && f.budget().cut() ? "max_output_chars" : "max_output_tokens";
        return response(t, status, List.of(it), f, reason);
    }

    private ObjectNode response(Turn t, String status, List<ObjectNode> output, GenerationEvent.Finished f, String incompleteReason) {
        ObjectNode r = base(t.id(), t.createdAt(), status, t.model().id(), t.conversationId(), t.previousResponseId(), t.instructions(), output);
        r.put("store", t.store());
        r.put("temperature", t.args().params().temperature());
        r.put("top_p", t.args().params().topP());
        if (t.args().maxTokensGiven()) r.put("max_output_tokens", t.args().params().maxTokens());
        else r.putNull("max_output_tokens");
        r.put("truncation", t.args().truncateAuto() ? "auto" : "disabled");
        if (incompleteReason != null) r.putObject("incomplete_details").put("reason", incompleteReason);
        if (f != null) {
            ObjectNode u = usage(f.promptTokens(), f.cachedTokens(), f.completionTokens());
            Generations.budgetUsage(u, f);
            r.set("usage", u);
        }
        if (t.args().maxOutputChars() > 0) r.put("max_output_chars", t.args().maxOutputChars());
        return r;
    }

    private static ObjectNode base(String id, long createdAt, String status, String model, String conversationId, String previous,
                                   String instructions, List<ObjectNode> output) {
        ObjectNode r = HttpIo.JSON.createObjectNode();
        r.put("id", id);
        r.put("object", "response");
        r.put("created_at", createdAt);
        r.put("status", status);
        r.put("model", model);
        r.putArray("output").addAll(output);
        if (conversationId != null) r.putObject("conversation").put("id", conversationId);
        else r.putNull("conversation");
        r.put("previous_response_id", previous);
        r.put("instructions", instructions);
        r.putNull("error");
        r.putNull("incomplete_details");
        r.putNull("usage");
        return r;
    }

    private static ObjectNode item(String id, String status, String text) {
        ObjectNode it = HttpIo.JSON.createObjectNode();
        it.put("type", "message");
        it.put("id", id);
        it.put("status", status);
        it.put("role", "assistant");
        ArrayNode content = it.putArray("content");
        if (text != null) content.addObject().put("type", "output_text").put("text", text).putArray("annotations");
        return it;
    }

    private static ObjectNode usage(int input, int cached, int output) {
        ObjectNode u = HttpIo.JSON.createObjectNode();
        u.put("input_tokens", input);
        u.putObject("input_tokens_details").put("cached_tokens", cached);
        u.put("output_tokens", output);
        u.putObject("output_tokens_details").put("reasoning_tokens", 0);
        u.put("total_tokens", input + output);
        return u;
    }

    private static ObjectNode event(String type, int[] seq) {
        ObjectNode e = HttpIo.JSON.createObjectNode();
        e.put("type", type);
        e.put("sequence_number", seq[0]++);
        return e;
    }
}

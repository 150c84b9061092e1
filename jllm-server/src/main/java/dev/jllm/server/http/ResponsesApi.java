package dev.jllm.server.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import dev.jllm.chat.ChatMessage;
import dev.jllm.chat.PromptBuilder;
import dev.jllm.chat.ToolCallFormat;
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
    private final GenerationLog log;
    private final String replica;
    private final String instance;

    ResponsesApi(ServedModels models, Scheduler scheduler, PromptBuilder prompts, ConversationStore store, long heartbeatMillis,
                 int defaultMaxOutputChars, GenerationLog log, String replica, String instance) {
        this.log = log;
        this.replica = replica;
        this.instance = instance;
        this.defaultMaxOutputChars = defaultMaxOutputChars;
        this.models = models;
        this.scheduler = scheduler;
        this.prompts = prompts;
        this.store = store;
        this.heartbeatMillis = heartbeatMillis;
    }

    /** What a request asked for, validated. */
    private record Turn(String id, String owner, List<ConversationStore.NewItem> input, String instructions, String conversationId,
                        String previousResponseId, boolean store, GenerationArgs args, long createdAt, ServedModels.Resolved model,
                        Logprobs.Request logprobs, dev.jllm.grammar.Grammar grammar, ToolCalls tools, JsonNode toolsJson, JsonNode toolChoice) {}

    /**
     * What the model answered, split as the Responses API shows it: the message (its text, or null
     * when the answer was only function calls) and the calls, each with its item id.
     */
    private record Answer(String messageId, String text, List<ToolCalls.Call> calls, List<String> callItemIds) {
        static Answer of(String messageId, String text, List<ToolCalls.Call> calls) {
            List<String> ids = new ArrayList<>(calls.size());
            for (int i = 0; i < calls.size(); i++) ids.add(Ids.next("fc_"));
            return new Answer(messageId, text == null && calls.isEmpty() ? "" : text, calls, ids);
        }
    }

    void create(HttpExchange ex, ObjectNode body, String owner) throws IOException {
        Provenance.Req made = new Provenance.Req(replica, models, "responses");
        Turn t = parse(body, owner);
        made.id = t.id();
        made.owner = owner;
        made.responseId = t.store() ? t.id() : null;
        made.conversationId = t.conversationId();
        made.model = t.model();
        made.args = t.args();
        List<ConversationStore.Item> history = history(t);
        ResponseItems.checkOutputs(history, t.input(), "input");
        List<ChatMessage> msgs = new ArrayList<>();
        if (t.instructions() != null) msgs.add(ChatMessage.system(t.instructions()));
        msgs.addAll(ResponseItems.toMessages(ResponseItems.views(history, t.input())));
        String key = t.conversationId() != null ? t.conversationId() : t.previousResponseId();
        int[] previous = scheduler.lastSequence(key);
        if (key != null && models.sha256() != null) {
            // the ids the last turn left, as stored by whichever replica answered it: newer than a resident sequence if another served it
            int[] stored = store.sequence(key, models.sha256());
            if (stored != null && (previous == null || stored.length > previous.length)) previous = stored;
        }
        PromptBuilder pb = t.tools().active() ? prompts.withTools(t.tools().templateTools()) : prompts;
        ToolCallFormat format = pb.toolCallFormat();
        dev.jllm.grammar.Grammar grammar = t.grammar();
        if (t.tools().forced()) {
            if (grammar != null) {
                throw ApiException.invalid("tool_choice", "'tool_choice' " + t.toolChoice() + " forces a function call, which cannot also follow"
                        + " 'text.format'; send one of them");
            }
            grammar = t.tools().grammar(format);
        }
        made.grammar = grammar != null;
        // a stored turn continues from the ids its last turn left; a resent history from the closest idle sequence
        PromptBuilder.Prompt p = key == null ? StatelessPrompt.build(pb, scheduler, msgs, "input", t.args().truncation())
                : pb.build(msgs, "input", t.args().truncation(), previous);
        t.args().checkFits(p.tokens().length, prompts.contextLength(), "input");
        if (t.store()) {
            store.beginResponse(new ConversationStore.Response(t.id(), owner, t.conversationId(), t.previousResponseId(), "in_progress",
                    t.model().id(), t.instructions(), t.createdAt(), null, null, null), instance);
        }
        String itemId = Ids.next("msg_");
        Map<String, String> headers = p.droppedMessages() > 0
                ? Map.of(ChatApi.TRUNCATED_HEADER, Integer.toString(p.droppedMessages())) : Map.of();
        Generation g;
        try {
            g = Generations.submit(scheduler, p.tokens(), t.args(), cacheKey(t), t.model(), t.logprobs(), grammar, prompts.tokenizer());
        } catch (ApiException e) {
            fail(t, made, "failed", e.status == 429 ? "rejected" : "failed", e.getMessage());
            throw e;
        }
        try (g) {
            if (!t.args().stream()) {
                GenerationEvent.Finished f;
                try {
                    f = Generations.await(g, ClientProbe.of(ex));
                } catch (IOException e) {
                    // client gone while waiting: nothing of this turn is stored, as for a stream cut short
                    fail(t, made, "incomplete", "cancelled", "the client disconnected before the response completed");
                    throw e;
                } catch (ApiException e) {
                    fail(t, made, "failed", "failed", e.getMessage());
                    throw e;
                }
                Answer a;
                if (t.tools().active()) {
                    ToolCalls.Parsed parsed = t.tools().parseOutput(f.text(), format);
                    a = Answer.of(itemId, parsed.content(), parsed.calls());
                } else {
                    a = Answer.of(itemId, f.text(), List.of());
                }
                ObjectNode r = commit(t, f, a, made);
                headers.forEach((k, v) -> ex.getResponseHeaders().set(k, v));
                HttpIo.sendJson(ex, 200, r);
                return;
            }
            stream(ex, t, g, itemId, headers, format, made);
        }
    }

    /**
     * Ends a turn without an answer: a stored response gets {@code status} and, in the same transaction,
     * its row in the generations log ({@code outcome}: failed, cancelled, rejected); otherwise the row goes to the log.
     */
    private void fail(Turn t, Provenance.Req made, String status, String outcome, String error) {
        if (t.store()) {
            if (made.recorded) {
                store.failResponse(t.id(), status, error);
            } else {
                made.recorded = true;
                store.failResponse(t.id(), status, error, made.ended(outcome, error));
            }
        } else {
            made.end(log, outcome, error);
        }
    }

    /** The KV and token sequence of this turn stay in the engine under this key: the conversation, or this response for a chain. */
    private static String cacheKey(Turn t) {
        if (t.conversationId() != null) return t.conversationId();
        return t.store() ? t.id() : null;
    }

    /**
     * Streams OpenAI's events: response.created / in_progress; for the message, output_item.added,
     * content_part.added, output_text.delta..., output_text.done, content_part.done, output_item.done;
     * for each function call, output_item.added, function_call_arguments.delta / .done,
     * output_item.done; then response.completed (or incomplete). With tools, text that may be a call
     * is held back ({@link ToolStream}), so call markup never reaches the message; the message item is
     * opened by its first text, and not at all when the answer is only calls.
     */
    private void stream(HttpExchange ex, Turn t, Generation g, String itemId, Map<String, String> headers, ToolCallFormat format,
                        Provenance.Req made) throws IOException {
        int[] seq = {0};
        Sse[] out = {null};
        GenerationEvent.Finished f;
        ToolStream ts = t.tools().active() ? new ToolStream(format) : null;
        StringBuilder released = new StringBuilder();
        boolean[] opened = {false};
        try {
            Sse sse = out[0] = new Sse(ex, headers);
            ObjectNode created = response(t, "in_progress", List.of(), null, null);
            sse.event("response.created", event("response.created", seq).set("response", created));
            sse.event("response.in_progress", event("response.in_progress", seq).set("response", created));
            if (ts == null) openMessage(sse, seq, itemId, opened);
            f = Generations.stream(g, sse, (s, l) -> {
                String text = ts == null ? s : ts.feed(s);
                if (text.isEmpty() && (t.logprobs() == null || l.isEmpty())) return;
                openMessage(sse, seq, itemId, opened);
                released.append(text);
                ObjectNode delta = event("response.output_text.delta", seq).put("item_id", itemId).put("output_index", 0)
                        .put("content_index", 0).put("delta", text);
                if (t.logprobs() != null) delta.set("logprobs", LogprobsJson.content(prompts.tokenizer(), l));
                sse.event("response.output_text.delta", delta);
            }, heartbeatMillis);
        } catch (IOException e) {
            // client gone mid-stream: nothing of this turn is stored, the response is marked incomplete
            fail(t, made, "incomplete", "cancelled", "the client disconnected before the response completed");
            throw e;
        } catch (ApiException e) {
            fail(t, made, "failed", "failed", e.getMessage());
            if (out[0] == null) throw e; // nothing sent yet: an ordinary error response
            ObjectNode failed = response(t, "failed", List.of(), null, null);
            failed.putObject("error").put("code", e.code).put("message", e.getMessage());
            out[0].event("response.failed", event("response.failed", seq).set("response", failed));
            return;
        }
        Sse sse = out[0];
        Answer a;
        if (ts != null && !ts.held().isEmpty()) {
            ToolCalls.Parsed parsed = t.tools().parseOutput(ts.held(), format);
            if (parsed.content() != null) {
                openMessage(sse, seq, itemId, opened);
                String rest = parsed.content(); // what is not a call, as chat completions sends it
                released.append(rest);
                sse.event("response.output_text.delta", event("response.output_text.delta", seq).put("item_id", itemId).put("output_index", 0)
                        .put("content_index", 0).put("delta", rest));
            }
            a = Answer.of(itemId, opened[0] ? released.toString() : null, parsed.calls());
        } else {
            a = Answer.of(itemId, released.toString(), List.of());
        }
        ObjectNode done;
        try {
            done = commit(t, f, a, made);
        } catch (ConversationStore.StoreException e) {
            // the turn could not be stored: the client must not believe it was (its headers are out, so say it in the stream)
            ObjectNode failed = response(t, "failed", List.of(), null, null);
            failed.putObject("error").put("code", "store_error").put("message", "the turn could not be stored; retry it");
            sse.event("response.failed", event("response.failed", seq).set("response", failed));
            throw e;
        }
        int index = 0;
        if (a.text() != null) {
            openMessage(sse, seq, itemId, opened);
            ObjectNode item = (ObjectNode) done.get("output").get(0);
            sse.event("response.output_text.done", event("response.output_text.done", seq).put("item_id", itemId).put("output_index", 0)
                    .put("content_index", 0).put("text", a.text()));
            ObjectNode partDone = event("response.content_part.done", seq).put("item_id", itemId).put("output_index", 0).put("content_index", 0);
            partDone.set("part", item.get("content").get(0));
            sse.event("response.content_part.done", partDone);
            ObjectNode itemDone = event("response.output_item.done", seq).put("output_index", 0);
            itemDone.set("item", item);
            sse.event("response.output_item.done", itemDone);
            index = 1;
        }
        for (int i = 0; i < a.calls().size(); i++, index++) {
            ToolCalls.Call c = a.calls().get(i);
            String fcId = a.callItemIds().get(i);
            ObjectNode added = event("response.output_item.added", seq).put("output_index", index);
            added.set("item", ResponseItems.functionCall(fcId, c, "in_progress", false));
            sse.event("response.output_item.added", added);
            sse.event("response.function_call_arguments.delta", event("response.function_call_arguments.delta", seq).put("item_id", fcId)
                    .put("output_index", index).put("delta", c.arguments()));
            sse.event("response.function_call_arguments.done", event("response.function_call_arguments.done", seq).put("item_id", fcId)
                    .put("output_index", index).put("name", c.name()).put("arguments", c.arguments()));
            ObjectNode itemDone = event("response.output_item.done", seq).put("output_index", index);
            itemDone.set("item", done.get("output").get(index));
            sse.event("response.output_item.done", itemDone);
        }
        String type = done.get("status").asText().equals("completed") ? "response.completed" : "response.incomplete";
        sse.event(type, event(type, seq).set("response", done));
    }

    /** The message item's output_item.added and content_part.added, once. */
    private static void openMessage(Sse sse, int[] seq, String itemId, boolean[] opened) throws IOException {
        if (opened[0]) return;
        opened[0] = true;
        ObjectNode added = event("response.output_item.added", seq).put("output_index", 0);
        added.set("item", item(itemId, "in_progress", null));
        sse.event("response.output_item.added", added);
        ObjectNode part = event("response.content_part.added", seq).put("item_id", itemId).put("output_index", 0).put("content_index", 0);
        part.putObject("part").put("type", "output_text").put("text", "").putArray("annotations");
        sse.event("response.content_part.added", part);
    }

    void get(HttpExchange ex, String owner, String id) throws IOException {
        ConversationStore.Response r = store.response(owner, id).orElseThrow(() -> ApiException.notFound("response '" + id + "' not found"));
        List<ConversationStore.Item> items = store.responseItems(id);
        List<ObjectNode> output = new ArrayList<>();
        if (r.completedAt() != null && !r.status().equals("failed")) {
            for (ConversationStore.Item it : items) if (it.output()) output.add(ResponseItems.json(it));
        }
        ObjectNode o = base(r.id(), r.createdAt(), r.status(), r.model(), r.conversationId(), r.previousResponseId(), r.instructions(), output);
        if (r.status().equals("completed") && r.completedAt() != null) o.put("completed_at", r.completedAt().longValue());
        if (r.usage() != null && !output.isEmpty()) o.set("usage", usage(r.usage().inputTokens(), r.usage().cachedTokens(), r.usage().outputTokens()));
        if (r.error() != null) o.putObject("error").put("message", r.error());
        HttpIo.sendJson(ex, 200, o);
    }

    /** {@code GET /v1/responses/{id}/input_items}: the items the response took (messages and function_call_output items), paged as a list. */
    void inputItems(HttpExchange ex, String owner, String id) throws IOException {
        store.response(owner, id).orElseThrow(() -> ApiException.notFound("response '" + id + "' not found"));
        List<ConversationStore.Item> in = new ArrayList<>();
        for (ConversationStore.Item it : store.responseItems(id)) if (!it.output()) in.add(it);
        ConversationsApi.sendPage(ex, in, "this response's input");
    }

    private Turn parse(ObjectNode body, String owner) {
        ServedModels.Resolved model = models.resolve(body);
        Generations.refuseUnsupported(body, true);
        ToolCalls tools = ToolCalls.parse(body, true);
        JsonNode in = body.get("input");
        List<ConversationStore.NewItem> input;
        if (in == null || in.isNull()) throw ApiException.invalid("input", "'input' is required");
        if (in.isTextual()) {
            input = List.of(new ConversationStore.NewItem("user", in.asText()));
        } else if (in instanceof ArrayNode a) {
            input = ResponseItems.parse(a, "input", prompts);
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
        if (tools.active() && logprobs != null) {
            throw ApiException.invalid("top_logprobs", "logprobs with 'tools' are not supported: the tokens of a function call are not message text");
        }
        GenerationArgs args = GenerationArgs.parse(body, prompts.contextLength(), "max_output_tokens").withDefaultBudget(defaultMaxOutputChars);
        dev.jllm.grammar.Grammar grammar = StructuredOutput.responses(body);
        if (conversation != null && store.conversation(owner, conversation).isEmpty()) {
            throw new ApiException(404, "invalid_request_error", "conversation", "not_found", "conversation '" + conversation + "' not found", 0);
        }
        JsonNode toolsJson = body.has("tools") && !body.get("tools").isNull() ? body.get("tools") : HttpIo.JSON.createArrayNode();
        JsonNode toolChoice = body.has("tool_choice") && !body.get("tool_choice").isNull() ? body.get("tool_choice") : HttpIo.JSON.getNodeFactory().textNode("auto");
        return new Turn(Ids.next("resp_"), owner, input, instructions, conversation, previous, doStore, args, System.currentTimeMillis() / 1000, model,
                logprobs, grammar, tools, toolsJson, toolChoice);
    }

    /** The messages before this turn: the conversation's items, or the previous_response_id chain's. */
    private List<ConversationStore.Item> history(Turn t) {
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
        return items;
    }

    /** Stores the turn (one transaction) if asked, and builds the final response object. */
    private ObjectNode commit(Turn t, GenerationEvent.Finished f, Answer a, Provenance.Req made) {
        String status = f.reason() == FinishReason.LENGTH ? "incomplete" : "completed";
        List<ConversationStore.NewItem> outputs = new ArrayList<>();
        List<ObjectNode> items = new ArrayList<>();
        if (a.text() != null) {
            outputs.add(new ConversationStore.NewItem(a.messageId(), "assistant", a.text()));
            ObjectNode it = item(a.messageId(), "completed", a.text());
            if (t.logprobs() != null) ((ObjectNode) it.get("content").get(0)).set("logprobs", LogprobsJson.content(prompts.tokenizer(), f.logprobs()));
            items.add(it);
        }
        for (int i = 0; i < a.calls().size(); i++) {
            ToolCalls.Call c = a.calls().get(i);
            outputs.add(ConversationStore.NewItem.functionCall(a.callItemIds().get(i), c.id(), c.name(), c.arguments()));
            items.add(ResponseItems.functionCall(a.callItemIds().get(i), c, "completed", true));
        }
        if (t.store()) {
            made.recorded = true;
            String key = cacheKey(t);
            store.completeResponse(t.id(), t.input(), outputs, new ConversationStore.Usage(f.promptTokens(), f.cachedTokens(), f.completionTokens()),
                    status, made.answered(f, a.text(), !a.calls().isEmpty()), key,
                    key != null && models.sha256() != null && f.sequence() != null ? new ConversationStore.Sequence(models.sha256(), f.sequence()) : null);
        } else {
            made.record(log, f, a.text(), !a.calls().isEmpty());
        }
        String reason = !status.equals("incomplete") ? null : f.budget() != null && f.budget().cut() ? "max_output_chars" : "max_output_tokens";
        return response(t, status, items, f, reason);
    }

    private ObjectNode response(Turn t, String status, List<ObjectNode> output, GenerationEvent.Finished f, String incompleteReason) {
        ObjectNode r = base(t.id(), t.createdAt(), status, t.model().id(), t.conversationId(), t.previousResponseId(), t.instructions(), output);
        if (status.equals("completed")) r.put("completed_at", System.currentTimeMillis() / 1000);
        r.put("store", t.store());
        r.put("temperature", t.args().params().temperature());
        r.put("top_p", t.args().params().topP());
        if (t.args().maxTokensGiven()) r.put("max_output_tokens", t.args().params().maxTokens());
        else r.putNull("max_output_tokens");
        r.put("truncation", t.args().truncateAuto() ? "auto" : "disabled");
        r.set("tools", t.toolsJson());
        r.set("tool_choice", t.toolChoice());
        r.put("parallel_tool_calls", t.tools().parallel());
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
        r.putNull("completed_at"); // OpenAI's Response: a Unix time only when the status is completed
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

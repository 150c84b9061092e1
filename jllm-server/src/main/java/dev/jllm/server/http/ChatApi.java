package dev.jllm.server.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import dev.jllm.chat.ChatMessage;
import dev.jllm.chat.PromptBuilder;
import dev.jllm.engine.Generation;
import dev.jllm.engine.GenerationEvent;
import dev.jllm.engine.Scheduler;
import dev.jllm.server.store.Ids;
import java.io.IOException;
import java.util.List;
import java.util.Map;

/** {@code POST /v1/chat/completions} and {@code POST /v1/completions}: stateless, OpenAI-shaped. */
final class ChatApi {
    static final String TRUNCATED_HEADER = "x-jllm-truncated-messages";

    private final ServedModels models;
    private final Scheduler scheduler;
    private final PromptBuilder prompts;
    private final long heartbeatMillis;

    ChatApi(ServedModels models, Scheduler scheduler, PromptBuilder prompts, long heartbeatMillis) {
        this.models = models;
        this.scheduler = scheduler;
        this.prompts = prompts;
        this.heartbeatMillis = heartbeatMillis;
    }

    void chatCompletions(HttpExchange ex, ObjectNode body) throws IOException {
        ServedModels.Resolved model = models.resolve(body);
        Generations.refuseUnsupported(body, false);
        ArrayNode arr = Fields.optArray(body, "messages", null);
        if (arr == null) throw ApiException.invalid("messages", "'messages' is required");
        List<ChatMessage> msgs = Messages.parse(arr, "messages", prompts);
        GenerationArgs args = GenerationArgs.parse(body, prompts.contextLength(), "max_completion_tokens", "max_tokens");
        PromptBuilder.Prompt p = prompts.build(msgs, "messages", args.truncation());
        args.checkFits(p.tokens().length, prompts.contextLength(), "messages");
        String id = Ids.next("chatcmpl-");
        long created = System.currentTimeMillis() / 1000;
        Map<String, String> headers = p.droppedMessages() > 0 ? Map.of(TRUNCATED_HEADER, Integer.toString(p.droppedMessages())) : Map.of();
        try (Generation g = Generations.submit(scheduler, p.tokens(), args, null, model)) {
            if (!args.stream()) {
                GenerationEvent.Finished f = Generations.await(g, ClientProbe.of(ex));
                ObjectNode r = base(id, "chat.completion", created, model.id());
                ObjectNode choice = r.putArray("choices").addObject();
                choice.put("index", 0);
                ObjectNode msg = choice.putObject("message");
                msg.put("role", "assistant");
                msg.put("content", f.text());
                msg.putNull("refusal");
                choice.putNull("logprobs");
                choice.put("finish_reason", f.reason().wire);
                r.set("usage", Generations.chatUsage(f));
                headers.forEach((k, v) -> ex.getResponseHeaders().set(k, v));
                HttpIo.sendJson(ex, 200, r);
                return;
            }
            Sse sse = new Sse(ex, headers);
            sse.data(chunk(id, created, model.id(), args, delta("role", "assistant", "content", ""), null));
            GenerationEvent.Finished f;
            try {
                f = Generations.stream(g, sse, s -> sse.data(chunk(id, created, model.id(), args, delta("content", s), null)), heartbeatMillis);
            } catch (ApiException e) {
                sse.data(HttpIo.errorBody(e)); // headers are out: the error travels in the stream
                sse.done();
                return;
            }
            sse.data(chunk(id, created, model.id(), args, HttpIo.JSON.createObjectNode(), f.reason().wire));
            if (args.includeUsage()) {
                ObjectNode last = base(id, "chat.completion.chunk", created, model.id());
                last.putArray("choices");
                last.set("usage", Generations.chatUsage(f));
                sse.data(last);
            }
            sse.done();
        }
    }

    private static ObjectNode base(String id, String object, long created, String model) {
        ObjectNode r = HttpIo.JSON.createObjectNode();
        r.put("id", id);
        r.put("object", object);
        r.put("created", created);
        r.put("model", model);
        return r;
    }

    private static ObjectNode delta(String... kv) {
        ObjectNode d = HttpIo.JSON.createObjectNode();
        for (int i = 0; i < kv.length; i += 2) d.put(kv[i], kv[i + 1]);
        return d;
    }

    private static ObjectNode chunk(String id, long created, String model, GenerationArgs args, ObjectNode delta, String finish) {
        ObjectNode c = base(id, "chat.completion.chunk", created, model);
        ObjectNode choice = c.putArray("choices").addObject();
        choice.put("index", 0);
        choice.set("delta", delta);
        choice.putNull("logprobs");
        choice.put("finish_reason", finish);
        if (args.includeUsage()) c.putNull("usage");
        return c;
    }

    void completions(HttpExchange ex, ObjectNode body) throws IOException {
        ServedModels.Resolved model = models.resolve(body);
        for (String unsupported : List.of("suffix", "logprobs", "best_of")) {
            JsonNode n = body.get(unsupported);
            if (n != null && !n.isNull() && !(unsupported.equals("best_of") && n.asInt() == 1)) {
                throw ApiException.invalid(unsupported, "'" + unsupported + "' is not supported");
            }
        }
        if (Boolean.TRUE.equals(Fields.optBool(body, "echo", null))) throw ApiException.invalid("echo", "'echo' is not supported");
        GenerationArgs args = GenerationArgs.parse(body, prompts.contextLength(), "max_tokens");
        int[] tokens = promptTokens(body);
        tokens = prompts.fit(tokens, "prompt", args.truncation());
        args.checkFits(tokens.length, prompts.contextLength(), "prompt");
        String id = Ids.next("cmpl-");
        long created = System.currentTimeMillis() / 1000;
        try (Generation g = Generations.submit(scheduler, tokens, args, null, model)) {
            if (!args.stream()) {
                GenerationEvent.Finished f = Generations.await(g, ClientProbe.of(ex));
                ObjectNode r = base(id, "text_completion", created, model.id());
                r.putArray("choices").add(completionChoice(f.text(), f.reason().wire));
                r.set("usage", Generations.chatUsage(f));
                HttpIo.sendJson(ex, 200, r);
                return;
            }
            Sse sse = new Sse(ex, Map.of());
            GenerationEvent.Finished f;
            try {
                f = Generations.stream(g, sse, s -> {
                    ObjectNode c = base(id, "text_completion", created, model.id());
                    c.putArray("choices").add(completionChoice(s, null));
                    sse.data(c);
                }, heartbeatMillis);
            } catch (ApiException e) {
                sse.data(HttpIo.errorBody(e));
                sse.done();
                return;
            }
            ObjectNode c = base(id, "text_completion", created, model.id());
            c.putArray("choices").add(completionChoice("", f.reason().wire));
            if (args.includeUsage()) c.set("usage", Generations.chatUsage(f));
            sse.data(c);
            sse.done();
        }
    }

    private static ObjectNode completionChoice(String text, String finish) {
        ObjectNode ch = HttpIo.JSON.createObjectNode();
        ch.put("text", text);
        ch.put("index", 0);
        ch.putNull("logprobs");
        ch.put("finish_reason", finish);
        return ch;
    }

    /** {@code prompt}: a string, an array of one string, or an array of token ids. Plain text: no control tokens parsed. */
    private int[] promptTokens(ObjectNode body) {
        JsonNode p = body.get("prompt");
        if (p == null || p.isNull()) throw ApiException.invalid("prompt", "'prompt' is required");
        if (p.isTextual()) return nonEmpty(prompts.encodePlain(p.asText()));
        if (!p.isArray()) throw ApiException.invalid("prompt", "'prompt' must be a string or an array, got " + Fields.kind(p));
        if (p.size() == 1 && p.get(0).isTextual()) return nonEmpty(prompts.encodePlain(p.get(0).asText()));
        if (p.size() > 0 && p.get(0).isTextual()) throw ApiException.invalid("prompt", "only one prompt per request is supported");
        int vocab = prompts.tokenizer().vocabSize();
        int[] ids = new int[p.size()];
        for (int i = 0; i < ids.length; i++) {
            JsonNode t = p.get(i);
            if (!t.isIntegralNumber() || t.asLong() < 0 || t.asLong() >= vocab) {
                throw ApiException.invalid("prompt", "'prompt[" + i + "]' must be a token id in [0, " + (vocab - 1) + "]");
            }
            ids[i] = t.asInt();
        }
        return nonEmpty(ids);
    }

    private static int[] nonEmpty(int[] ids) {
        if (ids.length == 0) throw ApiException.invalid("prompt", "'prompt' produced no tokens");
        return ids;
    }
}

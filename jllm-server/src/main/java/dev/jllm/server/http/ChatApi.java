package dev.jllm.server.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import dev.jllm.chat.ChatMessage;
import dev.jllm.chat.PromptBuilder;
import dev.jllm.engine.Generation;
import dev.jllm.engine.GenerationEvent;
import dev.jllm.engine.Logprobs;
import dev.jllm.engine.Scheduler;
import dev.jllm.server.store.Ids;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** {@code POST /v1/chat/completions} and {@code POST /v1/completions}: stateless, OpenAI-shaped. */
final class ChatApi {
    static final String TRUNCATED_HEADER = "x-jllm-truncated-messages";

    private final ServedModels models;
    private final Scheduler scheduler;
    private final PromptBuilder prompts;
    private final long heartbeatMillis;
    private final int defaultMaxOutputChars;
    private final GenerationLog log;
    private final String replica;

    /** @param defaultMaxOutputChars {@code jllm serve --max-output-chars}: the budget of requests that set none (0: none) */
    ChatApi(ServedModels models, Scheduler scheduler, PromptBuilder prompts, long heartbeatMillis, int defaultMaxOutputChars, GenerationLog log,
            String replica) {
        this.log = log;
        this.replica = replica;
        this.models = models;
        this.scheduler = scheduler;
        this.prompts = prompts;
        this.heartbeatMillis = heartbeatMillis;
        this.defaultMaxOutputChars = defaultMaxOutputChars;
    }

    void chatCompletions(HttpExchange ex, ObjectNode body, String owner) throws IOException {
        Provenance.Req made = new Provenance.Req(replica, models, "chat.completions");
        made.owner = owner;
        ServedModels.Resolved model = made.model = models.resolve(body);
        Generations.refuseUnsupported(body, false);
        ArrayNode arr = Fields.optArray(body, "messages", null);
        if (arr == null) throw ApiException.invalid("messages", "'messages' is required");
        List<ChatMessage> msgs = Messages.parse(arr, "messages", prompts);
        Logprobs.Request lp = LogprobsJson.chat(body);
        GenerationArgs args = GenerationArgs.parse(body, prompts.contextLength(), "max_completion_tokens", "max_tokens")
                .withDefaultBudget(defaultMaxOutputChars);
        dev.jllm.grammar.Grammar grammar = StructuredOutput.chat(body, false);
        ToolCalls tools = ToolCalls.parse(body, false);
        PromptBuilder pb = tools.active() ? prompts.withTools(tools.templateTools()) : prompts;
        dev.jllm.chat.ToolCallFormat format = pb.toolCallFormat();
        if (tools.active() && lp != null) {
            throw ApiException.invalid("logprobs", "'logprobs' with 'tools' is not supported: the tokens of a tool call are not message content");
        }
        if (tools.forced()) {
            if (grammar != null) throw ApiException.invalid("tool_choice", "'tool_choice' \"" + tools.choice() + "\" forces a tool call, which cannot also follow a response format or grammar");
            grammar = tools.grammar(format);
        }
        PromptBuilder.Prompt p = StatelessPrompt.build(pb, scheduler, msgs, "messages", args.truncation());
        args.checkFits(p.tokens().length, prompts.contextLength(), "messages");
        String id = made.id = Ids.next("chatcmpl-");
        made.args = args;
        made.grammar = grammar != null;
        long created = System.currentTimeMillis() / 1000;
        Map<String, String> headers = p.droppedMessages() > 0 ? Map.of(TRUNCATED_HEADER, Integer.toString(p.droppedMessages())) : Map.of();
        try (Generation g = submit(made, p.tokens(), args, model, lp, grammar)) {
            generate(ex, made, g, id, created, model, args, lp, tools, format, headers);
        }
    }

    /** Submits, recording a refusal (busy) in the generations log. */
    private Generation submit(Provenance.Req made, int[] tokens, GenerationArgs args, ServedModels.Resolved model, Logprobs.Request lp,
                              dev.jllm.grammar.Grammar grammar) {
        return submit(made, tokens, args, model, lp, grammar, log);
    }

    private Generation submit(Provenance.Req made, int[] tokens, GenerationArgs args, ServedModels.Resolved model, Logprobs.Request lp,
                              dev.jllm.grammar.Grammar grammar, GenerationLog log) {
        try {
            return Generations.submit(scheduler, tokens, args, null, model, lp, grammar, prompts.tokenizer());
        } catch (ApiException e) {
            made.end(log, "rejected", e.getMessage());
            throw e;
        }
    }

    /** Runs a chat completion to its end, recording in the generations log how it ended. */
    private void generate(HttpExchange ex, Provenance.Req made, Generation g, String id, long created, ServedModels.Resolved model,
                          GenerationArgs args, Logprobs.Request lp, ToolCalls tools, dev.jllm.chat.ToolCallFormat format,
                          Map<String, String> headers) throws IOException {
        try {
            generateOrFail(ex, made, g, id, created, model, args, lp, tools, format, headers);
        } catch (IOException e) {
            made.end(log, "cancelled", "the client disconnected: " + e.getMessage());
            throw e;
        } catch (ApiException e) {
            made.end(log, "failed", e.getMessage());
            throw e;
        }
    }

    private void generateOrFail(HttpExchange ex, Provenance.Req made, Generation g, String id, long created, ServedModels.Resolved model,
                                GenerationArgs args, Logprobs.Request lp, ToolCalls tools, dev.jllm.chat.ToolCallFormat format,
                                Map<String, String> headers) throws IOException {
        if (!args.stream()) {
            GenerationEvent.Finished f = Generations.await(g, ClientProbe.of(ex));
            ObjectNode r = base(id, "chat.completion", created, model.id());
            ObjectNode choice = r.putArray("choices").addObject();
            choice.put("index", 0);
            ObjectNode msg = choice.putObject("message");
            msg.put("role", "assistant");
            ToolCalls.Parsed parsed = tools.active() ? tools.parseOutput(f.text(), format) : new ToolCalls.Parsed(f.text(), List.of());
            msg.put("content", parsed.content());
            msg.putNull("refusal");
            made.record(log, f, parsed.content(), !parsed.calls().isEmpty());
            if (!parsed.calls().isEmpty()) {
                ArrayNode tc = msg.putArray("tool_calls");
                for (ToolCalls.Call c : parsed.calls()) tc.add(toolCall(c, -1));
            }
            if (lp != null) choice.set("logprobs", LogprobsJson.chatChoice(prompts.tokenizer(), f.logprobs()));
            else choice.putNull("logprobs");
            choice.put("finish_reason", finishReason(f, parsed));
            r.set("usage", Generations.chatUsage(f));
            headers.forEach((k, v) -> ex.getResponseHeaders().set(k, v));
            HttpIo.sendJson(ex, 200, r);
            return;
        }
        Sse sse = new Sse(ex, headers);
        sse.data(chunk(id, created, model.id(), args, delta("role", "assistant", "content", ""), null, null));
        GenerationEvent.Finished f;
        int[] sent = {0}; // logprob tokens streamed so far
        ToolStream ts = tools.active() ? new ToolStream(format) : null;
        try {
            f = Generations.stream(g, sse, (s, l) -> {
                sent[0] += l.size();
                String out = ts == null ? s : ts.feed(s);
                if (!out.isEmpty()) sse.data(chunk(id, created, model.id(), args, delta("content", out), null, lp == null ? null : l));
            }, heartbeatMillis);
        } catch (ApiException e) {
            made.end(log, "failed", e.getMessage());
            sse.data(HttpIo.errorBody(e)); // headers are out: the error travels in the stream
            sse.done();
            return;
        }
        String finish = f.reason().wire;
        if (ts == null || ts.held().isEmpty()) made.record(log, f, f.text(), false);
        if (ts != null && !ts.held().isEmpty()) {
            ToolCalls.Parsed parsed = tools.parseOutput(ts.held(), format);
            made.record(log, f, parsed.content(), !parsed.calls().isEmpty());
            if (parsed.content() != null) sse.data(chunk(id, created, model.id(), args, delta("content", parsed.content()), null, null));
            // OpenAI's deltas: the call's id, type and name first, then its arguments
            for (int i = 0; i < parsed.calls().size(); i++) {
                ToolCalls.Call c = parsed.calls().get(i);
                ObjectNode head = toolCall(new ToolCalls.Call(c.id(), c.name(), ""), i);
                ObjectNode d1 = HttpIo.JSON.createObjectNode();
                d1.putArray("tool_calls").add(head);
                sse.data(chunk(id, created, model.id(), args, d1, null, null));
                ObjectNode d2 = HttpIo.JSON.createObjectNode();
                d2.putArray("tool_calls").addObject().put("index", i).putObject("function").put("arguments", c.arguments());
                sse.data(chunk(id, created, model.id(), args, d2, null, null));
            }
            finish = finishReason(f, parsed);
        }
        // tokens whose text was never released (cut by a stop string or the budget) still have their logprobs
        sse.data(chunk(id, created, model.id(), args, HttpIo.JSON.createObjectNode(), finish,
                lp == null ? null : f.logprobs().subList(sent[0], f.logprobs().size())));
        if (args.includeUsage()) {
            ObjectNode last = base(id, "chat.completion.chunk", created, model.id());
            last.putArray("choices");
            last.set("usage", Generations.chatUsage(f));
            sse.data(last);
        }
        sse.done();
    }

    /** A call in OpenAI's shape; {@code index} >= 0 for stream deltas. */
    private static ObjectNode toolCall(ToolCalls.Call c, int index) {
        ObjectNode o = HttpIo.JSON.createObjectNode();
        if (index >= 0) o.put("index", index);
        o.put("id", c.id());
        o.put("type", "function");
        o.putObject("function").put("name", c.name()).put("arguments", c.arguments());
        return o;
    }

    /** "tool_calls" when the answer ended by itself with calls; a cut answer stays "length". */
    private static String finishReason(GenerationEvent.Finished f, ToolCalls.Parsed parsed) {
        return !parsed.calls().isEmpty() && f.reason() != dev.jllm.engine.FinishReason.LENGTH ? "tool_calls" : f.reason().wire;
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

    /** @param logprobs the chunk's tokens' log-probabilities, or null when the request did not ask for them */
    private ObjectNode chunk(String id, long created, String model, GenerationArgs args, ObjectNode delta, String finish,
                             List<Logprobs.Token> logprobs) {
        ObjectNode c = base(id, "chat.completion.chunk", created, model);
        ObjectNode choice = c.putArray("choices").addObject();
        choice.put("index", 0);
        choice.set("delta", delta);
        if (logprobs != null) choice.set("logprobs", LogprobsJson.chatChoice(prompts.tokenizer(), logprobs));
        else choice.putNull("logprobs");
        choice.put("finish_reason", finish);
        if (args.includeUsage()) c.putNull("usage");
        return c;
    }

    /** A prompt of /v1/completions: its tokens (fitted to the context) and its text as the client sent it (for echo). */
    private record CompletionPrompt(int[] tokens, String text) {}

    void completions(HttpExchange ex, ObjectNode body, String owner) throws IOException {
        Provenance.Req made = new Provenance.Req(replica, models, "completions");
        made.owner = owner;
        ServedModels.Resolved model = made.model = models.resolve(body);
        for (String unsupported : List.of("suffix", "best_of")) {
            JsonNode n = body.get(unsupported);
            if (n != null && !n.isNull() && !(unsupported.equals("best_of") && n.asInt() == 1)) {
                throw ApiException.invalid(unsupported, "'" + unsupported + "' is not supported");
            }
        }
        boolean echo = Boolean.TRUE.equals(Fields.optBool(body, "echo", null));
        // max_tokens 0 with echo (older lm-evaluation-harness, vLLM): score the prompt, generate nothing. The
        // engine always samples one token; it is run and left out of the answer, its text and its usage.
        JsonNode mt = body.get("max_tokens");
        boolean promptOnly = echo && mt != null && mt.isIntegralNumber() && mt.asLong() == 0;
        if (promptOnly) {
            if (Boolean.TRUE.equals(Fields.optBool(body, "stream", null))) {
                throw ApiException.invalid("max_tokens", "'max_tokens': 0 (score the prompt only) is answered only with stream: false");
            }
            body = body.deepCopy().put("max_tokens", 1);
        }
        Logprobs.Request lp = LogprobsJson.completions(body, echo);
        GenerationArgs args = GenerationArgs.parse(body, prompts.contextLength(), "max_tokens").withDefaultBudget(defaultMaxOutputChars);
        dev.jllm.grammar.Grammar grammar = StructuredOutput.chat(body, true);
        List<CompletionPrompt> ps = new ArrayList<>();
        for (int[] t : promptTokens(body)) {
            int[] fitted = prompts.fit(t, "prompt", args.truncation());
            args.checkFits(fitted.length, prompts.contextLength(), "prompt");
            ps.add(new CompletionPrompt(fitted, fitted.length == t.length && promptText(body, ps.size()) != null ? promptText(body, ps.size())
                    : prompts.tokenizer().decode(fitted)));
        }
        if (ps.size() > 1 && args.stream()) {
            throw ApiException.invalid("prompt", "several prompts in one request are answered only with stream: false; send one prompt per streamed request");
        }
        if (args.stream() && echo && lp != null) {
            throw ApiException.invalid("echo", "'echo' with 'logprobs' is answered only with stream: false (the prompt's logprobs are known at the end)");
        }
        String id = made.id = Ids.next("cmpl-");
        made.args = args;
        made.grammar = grammar != null;
        // prompt scoring (echo with max_tokens 0: evaluation harnesses) makes no answer: not in the generations log
        GenerationLog log = promptOnly ? new GenerationLog.Discard() : this.log;
        long created = System.currentTimeMillis() / 1000;
        if (!args.stream()) {
            List<Generation> gens = new ArrayList<>();
            List<Provenance.Req> mades = new ArrayList<>();
            try {
                for (int i = 0; i < ps.size(); i++) {
                    Provenance.Req m = i == 0 ? made : made.forChoice(i);
                    mades.add(m);
                    gens.add(submit(m, ps.get(i).tokens(), args, model, lp, grammar, log));
                }
                ObjectNode r = base(id, "text_completion", created, model.id());
                ArrayNode choices = r.putArray("choices");
                int promptTokens = 0, completionTokens = 0, cached = 0;
                GenerationEvent.Finished last = null;
                ClientProbe probe = ClientProbe.of(ex);
                for (int i = 0; i < gens.size(); i++) {
                    GenerationEvent.Finished f;
                    try {
                        f = last = Generations.await(gens.get(i), probe);
                    } catch (IOException e) {
                        for (Provenance.Req m : mades) m.end(log, "cancelled", "the client disconnected: " + e.getMessage());
                        throw e;
                    } catch (ApiException e) {
                        for (Provenance.Req m : mades) m.end(log, "failed", e.getMessage());
                        throw e;
                    }
                    mades.get(i).record(log, f, f.text(), false);
                    CompletionPrompt cp = ps.get(i);
                    ObjectNode ch = completionChoice((echo ? cp.text() : "") + (promptOnly ? "" : f.text()), f.reason().wire);
                    ch.put("index", i);
                    if (lp != null) ch.set("logprobs", legacyLogprobs(cp, f, echo, promptOnly));
                    choices.add(ch);
                    promptTokens += f.promptTokens();
                    completionTokens += promptOnly ? 0 : f.completionTokens();
                    cached += f.cachedTokens();
                }
                ObjectNode u = HttpIo.JSON.createObjectNode();
                u.put("prompt_tokens", promptTokens);
                u.put("completion_tokens", completionTokens);
                u.put("total_tokens", promptTokens + completionTokens);
                u.putObject("prompt_tokens_details").put("cached_tokens", cached);
                if (gens.size() == 1) Generations.budgetUsage(u, last);
                r.set("usage", u);
                HttpIo.sendJson(ex, 200, r);
            } finally {
                for (Generation g : gens) g.close();
            }
            return;
        }
        CompletionPrompt cp = ps.getFirst();
        try (Generation g = submit(made, cp.tokens(), args, model, lp, grammar, log)) {
            try {
                Sse sse = new Sse(ex, Map.of());
                if (echo) {
                    ObjectNode c = base(id, "text_completion", created, model.id());
                    c.putArray("choices").add(completionChoice(cp.text(), null));
                    sse.data(c);
                }
                int[] at = {0, 0}; // logprob tokens sent, text offset
                GenerationEvent.Finished f;
                try {
                    f = Generations.stream(g, sse, (s, l) -> {
                        ObjectNode c = base(id, "text_completion", created, model.id());
                        ObjectNode ch = completionChoice(s, null);
                        if (lp != null) ch.set("logprobs", legacyChunk(l, at));
                        c.putArray("choices").add(ch);
                        sse.data(c);
                    }, heartbeatMillis);
                } catch (ApiException e) {
                    made.end(log, "failed", e.getMessage());
                    sse.data(HttpIo.errorBody(e));
                    sse.done();
                    return;
                }
                made.record(log, f, f.text(), false);
                ObjectNode c = base(id, "text_completion", created, model.id());
                ObjectNode ch = completionChoice("", f.reason().wire);
                if (lp != null) ch.set("logprobs", legacyChunk(f.logprobs().subList(at[0], f.logprobs().size()), at));
                c.putArray("choices").add(ch);
                if (args.includeUsage()) c.set("usage", Generations.chatUsage(f));
                sse.data(c);
                sse.done();
            } catch (IOException e) {
                made.end(log, "cancelled", "the client disconnected: " + e.getMessage());
                throw e;
            }
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

    /** A streamed chunk's legacy logprobs; {@code at} = {tokens sent so far, text offset so far}, advanced. */
    private ObjectNode legacyChunk(List<Logprobs.Token> l, int[] at) {
        List<Integer> ids = new ArrayList<>(l.size());
        for (Logprobs.Token t : l) ids.add(t.id());
        ObjectNode o = LogprobsJson.legacy(prompts.tokenizer(), l, ids, at[1]);
        for (JsonNode t : o.get("tokens")) at[1] += t.asText().codePointCount(0, t.asText().length());
        at[0] += l.size();
        return o;
    }

    /** The legacy logprobs of one choice: with echo the prompt's tokens first (the first without a logprob), then the generated ones. */
    private ObjectNode legacyLogprobs(CompletionPrompt cp, GenerationEvent.Finished f, boolean echo, boolean promptOnly) {
        List<Logprobs.Token> all = new ArrayList<>();
        List<Integer> ids = new ArrayList<>();
        if (echo) {
            all.addAll(f.promptLogprobs());
            for (int t : cp.tokens()) ids.add(t);
        }
        if (promptOnly) return LogprobsJson.legacy(prompts.tokenizer(), all, ids, 0);
        all.addAll(f.logprobs());
        for (Logprobs.Token t : f.logprobs()) ids.add(t.id());
        return LogprobsJson.legacy(prompts.tokenizer(), all, ids, 0);
    }

    /** The i-th prompt's text as the client wrote it, or null when it was given as token ids. */
    private static String promptText(ObjectNode body, int i) {
        JsonNode p = body.get("prompt");
        if (p.isTextual()) return i == 0 ? p.asText() : null;
        return p.isArray() && p.size() > i && p.get(i).isTextual() ? p.get(i).asText() : null;
    }

    /**
     * {@code prompt}: a string, an array of strings, an array of token ids, or an array of arrays of
     * token ids (OpenAI's four forms; several prompts are several choices). Plain text: no control tokens parsed.
     */
    private List<int[]> promptTokens(ObjectNode body) {
        JsonNode p = body.get("prompt");
        if (p == null || p.isNull()) throw ApiException.invalid("prompt", "'prompt' is required");
        if (p.isTextual()) return List.of(nonEmpty(prompts.encodePlain(p.asText())));
        if (!p.isArray()) throw ApiException.invalid("prompt", "'prompt' must be a string or an array, got " + Fields.kind(p));
        if (p.isEmpty()) throw ApiException.invalid("prompt", "'prompt' must not be an empty array");
        if (p.size() > MAX_PROMPTS && !p.get(0).isIntegralNumber()) {
            throw ApiException.invalid("prompt", "'prompt' holds " + p.size() + " prompts; at most " + MAX_PROMPTS + " per request");
        }
        if (p.get(0).isIntegralNumber()) return List.of(nonEmpty(ids(p, "prompt")));
        List<int[]> out = new ArrayList<>();
        for (int i = 0; i < p.size(); i++) {
            JsonNode e = p.get(i);
            if (e.isTextual()) out.add(nonEmpty(prompts.encodePlain(e.asText())));
            else if (e.isArray()) out.add(nonEmpty(ids(e, "prompt[" + i + "]")));
            else throw ApiException.invalid("prompt", "'prompt[" + i + "]' must be a string or an array of token ids, got " + Fields.kind(e));
        }
        return out;
    }

    /** Prompts one completions request may carry (each is a sequence in the scheduler). */
    static final int MAX_PROMPTS = 64;

    private int[] ids(JsonNode p, String param) {
        int vocab = prompts.tokenizer().vocabSize();
        int[] ids = new int[p.size()];
        for (int i = 0; i < ids.length; i++) {
            JsonNode t = p.get(i);
            if (!t.isIntegralNumber() || t.asLong() < 0 || t.asLong() >= vocab) {
                throw ApiException.invalid("prompt", "'" + param + "[" + i + "]' must be a token id in [0, " + (vocab - 1) + "]");
            }
            ids[i] = t.asInt();
        }
        return ids;
    }

    private static int[] nonEmpty(int[] ids) {
        if (ids.length == 0) throw ApiException.invalid("prompt", "'prompt' produced no tokens");
        return ids;
    }
}

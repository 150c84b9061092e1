package dev.jllm.server.http;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.jllm.chat.PromptException;
import dev.jllm.engine.EngineBusyException;
import dev.jllm.engine.Generation;
import dev.jllm.engine.GenerationEvent;
import dev.jllm.engine.GenerationRequest;
import dev.jllm.engine.Logprobs;
import dev.jllm.engine.Scheduler;
import dev.jllm.engine.TokenMask;
import dev.jllm.grammar.Grammar;
import dev.jllm.grammar.GrammarMask;
import dev.jllm.tokenizer.Tokenizer;
import java.io.IOException;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * What the three generating APIs (chat completions, completions, responses) share: submitting to the engine, the one path that drains a {@link Generation} (plain or as server-sent
 * events, with heartbeats), usage objects, and the mapping of engine and prompt failures to HTTP.
 */
final class Generations {
    private Generations() {}

    /** Receives final text as it arrives, with the log-probabilities of its tokens when they were asked for (else empty). */
    interface TextSink {
        void text(String s, List<Logprobs.Token> logprobs) throws IOException;
    }

    /** 400 for OpenAI's legacy function-calling fields: never accepted and silently ignored. */
    static void refuseUnsupported(ObjectNode body, boolean responsesApi) {
        refuseNonEmpty(body, "functions", "legacy function calling ('functions'; send them as 'tools')");
        var call = body.get("function_call");
        if (call != null && !call.isNull() && !(call.isTextual() && call.asText().equals("none"))) {
            throw unsupported("function_call", "legacy function calling ('function_call'; use 'tool_choice')");
        }
    }

    private static void refuseNonEmpty(ObjectNode body, String field, String feature) {
        var n = body.get(field);
        if (n != null && !n.isNull() && !(n.isArray() && n.isEmpty())) throw unsupported(field, feature);
    }

    private static ApiException unsupported(String field, String feature) {
        return ApiException.invalid(field, "unsupported_parameter", "'" + field + "' asks for " + feature + ", which this jllm server does not"
                + " support; remove it (the request would otherwise be answered as plain text)");
    }

    /**
     * Queues the request; a full queue is a 429 with Retry-After. Close the result on every exit path (try-with-resources).
     *
     * @param grammar the output constraint ({@link StructuredOutput}), or null
     */
    static Generation submit(Scheduler scheduler, int[] prompt, GenerationArgs args, String cacheKey, ServedModels.Resolved model,
                             Logprobs.Request logprobs, Grammar grammar, Tokenizer tok) {
        TokenMask mask = grammar == null ? null : new GrammarMask(grammar, tok);
        try {
            return scheduler.submit(new GenerationRequest(prompt, args.params(), cacheKey, args.cachePrompt(), mask, model.adapter())
                    // a grammar's output is never cut at a sentence boundary (that would break its structure); a client
                    // that sets max_output_chars with one gets a 400 (StructuredOutput), the server's default is skipped
                    .withLogprobs(logprobs).withBudget(grammar == null ? args.budget() : null));
        } catch (EngineBusyException e) {
            throw ApiException.busy(e.getMessage(), e.retryAfterSeconds());
        }
    }

    /** How often a waiting non-streaming handler looks at its client's connection. */
    static final long PROBE_MILLIS = 50;

    /**
     * Waits for the end of a generation whose client is not streaming, looking at the client's
     * connection every {@link #PROBE_MILLIS}: a client that went away ends the wait with an
     * IOException, and the caller's close of the Generation cancels it (its slot is free at the
     * scheduler's next step), as a failed write does for a streaming client.
     */
    static GenerationEvent.Finished await(Generation g, ClientProbe probe) throws IOException {
        try {
            // probe on a clock, not only when no event came: a fast model emits a token every few ms, so a
            // wait that looked only after an empty poll never looked, and a gone client's generation ran to its end
            long nextProbe = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(PROBE_MILLIS);
            while (true) {
                long waitNs = Math.max(0, nextProbe - System.nanoTime());
                switch (g.poll(waitNs, TimeUnit.NANOSECONDS)) {
                    case null -> { }
                    case GenerationEvent.Started s -> { }
                    case GenerationEvent.Text t -> { }
                    case GenerationEvent.Finished f -> {
                        return f;
                    }
                    case GenerationEvent.Failed f -> throw failure(f);
                }
                if (System.nanoTime() - nextProbe >= 0) {
                    if (probe.gone()) throw new IOException("the client closed the connection before the answer was ready");
                    nextProbe = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(PROBE_MILLIS);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while generating", e);
        }
    }

    /**
     * Streams a generation: text to {@code sink}, an SSE comment after each {@code heartbeatMillis}
     * without output (a long prefill), so a vanished client shows up as an IOException that ends the
     * wait. The caller closes the Generation, which cancels it if it is still running.
     */
    static GenerationEvent.Finished stream(Generation g, Sse sse, TextSink sink, long heartbeatMillis) throws IOException {
        return drain(g, sink, sse, heartbeatMillis);
    }

    private static GenerationEvent.Finished drain(Generation g, TextSink sink, Sse sse, long heartbeatMillis) throws IOException {
        try {
            while (true) {
                GenerationEvent e = g.poll(heartbeatMillis, TimeUnit.MILLISECONDS);
                switch (e) {
                    case null -> {
                        if (sse != null) sse.heartbeat();
                    }
                    case GenerationEvent.Started s -> { }
                    case GenerationEvent.Text t -> sink.text(t.text(), t.logprobs());
                    case GenerationEvent.Finished f -> {
                        return f;
                    }
                    case GenerationEvent.Failed f -> throw failure(f);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while generating", e);
        }
    }

    static ApiException failure(GenerationEvent.Failed f) {
        return switch (f.cause()) {
            case SHUTTING_DOWN -> new ApiException(503, "server_error", null, "unavailable", f.message(), 5);
            case CANCELLED, INTERNAL -> new ApiException(500, "server_error", null, "internal_error", f.message(), 0);
        };
    }

    /** A prompt that cannot be built: the caller's 400, or a 500 when the model's own chat template failed. */
    static ApiException failure(PromptException e) {
        if (e.clientError) return ApiException.invalid(e.param, e.code, e.getMessage());
        return new ApiException(500, "server_error", null, e.code, e.getMessage(), 0);
    }

    static ObjectNode chatUsage(GenerationEvent.Finished f) {
        ObjectNode u = HttpIo.JSON.createObjectNode();
        u.put("prompt_tokens", f.promptTokens());
        u.put("completion_tokens", f.completionTokens());
        u.put("total_tokens", f.promptTokens() + f.completionTokens());
        u.putObject("prompt_tokens_details").put("cached_tokens", f.cachedTokens());
        budgetUsage(u, f);
        return u;
    }

    /**
     * jllm's extension to usage when the request had a character budget ({@code max_output_chars}):
     * {@code jllm: {budget_chars, output_chars, cut}} — cut means the budget ended the answer (at the last
     * sentence boundary that fit) rather than the model or a token limit.
     */
    static void budgetUsage(ObjectNode usage, GenerationEvent.Finished f) {
        if (f.budget() == null) return;
        usage.putObject("jllm").put("budget_chars", f.budget().budgetChars()).put("output_chars", f.budget().outputChars())
                .put("cut", f.budget().cut());
    }
}

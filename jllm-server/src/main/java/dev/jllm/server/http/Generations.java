package dev.jllm.server.http;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.jllm.chat.PromptException;
import dev.jllm.engine.EngineBusyException;
import dev.jllm.engine.Generation;
import dev.jllm.engine.GenerationEvent;
import dev.jllm.engine.GenerationRequest;
import dev.jllm.engine.Scheduler;
import java.io.IOException;
import java.util.concurrent.TimeUnit;

/**
 * What the three generating APIs (chat completions, completions, responses) share: submitting to the engine, the one path that drains a {@link Generation} (plain or as server-sent
 * events, with heartbeats), usage objects, and the mapping of engine and prompt failures to HTTP.
 */
final class Generations {
    private Generations() {}

    /** Receives final text as it arrives. */
    interface TextSink {
        void text(String s) throws IOException;
    }

    /** Queues the request; a full queue is a 429 with Retry-After. Close the result on every exit path (try-with-resources). */
    static Generation submit(Scheduler scheduler, int[] prompt, GenerationArgs args, String cacheKey, ServedModels.Resolved model) {
        try {
            return scheduler.submit(new GenerationRequest(prompt, args.params(), cacheKey, args.cachePrompt(), null, model.adapter()));
        } catch (EngineBusyException e) {
            throw ApiException.busy(e.getMessage(), e.retryAfterSeconds());
        }
    }

    /** Waits for the end of a generation whose client is not streaming. */
    static GenerationEvent.Finished await(Generation g, long heartbeatMillis) throws IOException {
        return drain(g, s -> { }, null, heartbeatMillis);
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
                    case GenerationEvent.Text t -> sink.text(t.text());
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
        return u;
    }
}

package dev.jllm.server;

import java.io.IOException;
import java.util.concurrent.TimeUnit;

/** Drains a {@link Generation} for an HTTP handler: text to a sink, heartbeats while nothing arrives. */
final class Runs {
    private Runs() {}

    interface TextSink {
        void text(String s) throws IOException;

        /** Called when no event came for a heartbeat interval (a long prefill): write something to detect a gone client. */
        default void heartbeat() throws IOException {}
    }

    /**
     * Waits for the end of the generation. An IOException from the sink (client gone) cancels it; a
     * Failed event becomes a 500/503 ApiException.
     */
    static GenerationEvent.Finished await(Generation g, TextSink sink, long heartbeatMillis) throws IOException {
        try {
            while (true) {
                GenerationEvent e = g.poll(heartbeatMillis, TimeUnit.MILLISECONDS);
                switch (e) {
                    case null -> sink.heartbeat();
                    case GenerationEvent.Started s -> { }
                    case GenerationEvent.Text t -> sink.text(t.text());
                    case GenerationEvent.Finished f -> { return f; }
                    case GenerationEvent.Failed f -> throw failure(f);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while generating", e);
        } finally {
            g.cancel(); // no-op after the end; frees the slot if we leave early (client gone, error)
        }
    }

    static ApiException failure(GenerationEvent.Failed f) {
        if (f.message().contains("shutting down")) {
            return new ApiException(503, "server_error", null, "unavailable", f.message(), 5);
        }
        return new ApiException(500, "server_error", null, "internal_error", f.message(), 0);
    }
}

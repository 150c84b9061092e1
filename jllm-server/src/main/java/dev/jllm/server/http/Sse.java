package dev.jllm.server.http;

import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;

/**
 * A server-sent-events response. Every write is flushed, so a vanished client shows up as an
 * IOException on the next write or two (the kernel accepts the first after a disconnect) — which is
 * why long waits send comment heartbeats.
 */
final class Sse {
    private final OutputStream out;

    Sse(HttpExchange ex, java.util.Map<String, String> extraHeaders) throws IOException {
        ex.getResponseHeaders().set("Content-Type", "text/event-stream; charset=utf-8");
        ex.getResponseHeaders().set("Cache-Control", "no-cache");
        extraHeaders.forEach((k, v) -> ex.getResponseHeaders().set(k, v));
        ex.sendResponseHeaders(200, 0); // chunked
        out = ex.getResponseBody();
    }

    void data(Object json) throws IOException {
        write("data: " + HttpIo.JSON.writeValueAsString(json) + "\n\n");
    }

    /** A named event (the Responses API's style: {@code event: response.created}). */
    void event(String name, Object json) throws IOException {
        write("event: " + name + "\ndata: " + HttpIo.JSON.writeValueAsString(json) + "\n\n");
    }

    void heartbeat() throws IOException {
        write(": ping\n\n");
    }

    void done() throws IOException {
        write("data: [DONE]\n\n");
    }

    private void write(String s) throws IOException {
        out.write(s.getBytes(StandardCharsets.UTF_8));
        out.flush();
    }
}

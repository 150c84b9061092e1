package dev.jllm.cli;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;

/**
 * A stand-in for an OpenAI-compatible server in command tests (`demo recall`, `eval run --url`): a JDK
 * HttpServer on a free loopback port whose every request goes to {@link #handle}; {@link #send} writes
 * a JSON body with its status. Subclasses call {@link #start} when they are ready.
 */
abstract class FakeHttpServer implements AutoCloseable {
    final HttpServer http;

    FakeHttpServer() throws IOException {
        http = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        http.createContext("/", this::handle);
    }

    /** Called by subclasses at the end of their constructor, once the fields {@link #handle} reads are set. */
    final void start() {
        http.start();
    }

    String url() {
        return "http://127.0.0.1:" + http.getAddress().getPort();
    }

    abstract void handle(HttpExchange ex) throws IOException;

    static void send(HttpExchange ex, int status, String body) throws IOException {
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().add("Content-Type", "application/json");
        ex.sendResponseHeaders(status, b.length);
        ex.getResponseBody().write(b);
        ex.close();
    }

    @Override
    public void close() {
        http.stop(0);
    }
}

package dev.jllm.server.http;

import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;
import java.io.InputStream;
import java.util.Map;

/** The chat page: {@code GET /} and its files under {@code /web/}, plain HTML/JS/CSS from resources (web/ beside this class). */
final class WebPage {
    private static final Map<String, String> TYPES = Map.of(
            "index.html", "text/html; charset=utf-8",
            "app.js", "text/javascript; charset=utf-8",
            "style.css", "text/css; charset=utf-8");

    private WebPage() {}

    static void serve(HttpExchange ex, String path) throws IOException {
        String name = path.equals("/") ? "index.html" : path.substring("/web/".length());
        String type = TYPES.get(name); // a fixed set of names: nothing else can be read from the jar
        if (type == null) throw ApiException.notFound("no route for GET " + path);
        byte[] body;
        try (InputStream in = WebPage.class.getResourceAsStream("web/" + name)) {
            if (in == null) throw new IllegalStateException("resource web/" + name + " is missing from the build");
            body = in.readAllBytes();
        }
        ex.getResponseHeaders().set("Content-Type", type);
        ex.getResponseHeaders().set("Cache-Control", "no-cache");
        ex.getResponseHeaders().set("X-Content-Type-Options", "nosniff");
        ex.getResponseHeaders().set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'");
        ex.sendResponseHeaders(200, body.length);
        ex.getResponseBody().write(body);
    }
}

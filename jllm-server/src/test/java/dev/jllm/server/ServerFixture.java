package dev.jllm.server;

import dev.jllm.chat.ChatRenderer;
import dev.jllm.server.http.ApiKeys;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/** A real server on 127.0.0.1:ephemeral with stories260K, and a small HTTP client for it. */
final class ServerFixture implements AutoCloseable {
    /** What stories260K (no template of its own) gets: ChatML. */
    static final ChatRenderer CHATML = dev.jllm.chat.ChatTemplate.fallback()::render;
    /** Reads the server's JSON (the server's own mapper is not the tests' business). */
    static final com.fasterxml.jackson.databind.ObjectMapper JSON = new com.fasterxml.jackson.databind.ObjectMapper();

    final ChatServer server;
    final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    final URI base;

    private ServerFixture(ChatServer server) {
        this.server = server;
        this.base = server.uri();
    }

    /** The HTTP helpers for a server a test started itself (closing it shuts that server down). */
    static ServerFixture attach(ChatServer server) {
        return new ServerFixture(server);
    }

    ServerFixture(Path dataDir, ApiKeys keys, int maxPerKey, int maxBodyBytes) throws IOException {
        ChatServer.Options o = ChatServer.Options.defaults(TestModel.path("models/stories260K.gguf"), dataDir, keys).withPort(0)
                .withLimits(4, 8, maxPerKey, maxBodyBytes, 200).withResources(2, 1L << 20);
        server = ChatServer.start(o.withShutdownGrace(java.time.Duration.ofSeconds(5)));
        base = server.uri();
    }

    /**
     * A server on a small random-weight llama with a 2048-token context and the synthetic byte vocabulary
     * (every character a token or a few: any text fits), rendering prompts with {@code templates} —
     * room for tool definitions and JSON that stories260K's 128 tokens do not have.
     */
    static ServerFixture randomModel(Path dir, java.util.function.Function<dev.jllm.model.ModelFile, ChatRenderer> templates) throws IOException {
        return randomModel(dir, templates, o -> o);
    }

    /** As {@link #randomModel(Path, java.util.function.Function)}, with {@code options} applied to the server's options (admin key, KV disk budget, …). */
    static ServerFixture randomModel(Path dir, java.util.function.Function<dev.jllm.model.ModelFile, ChatRenderer> templates,
            java.util.function.UnaryOperator<ChatServer.Options> options) throws IOException {
        Path f = dir.resolve("random-2k.gguf");
        if (!java.nio.file.Files.exists(f)) {
            dev.jllm.model.RandomModel.write(new dev.jllm.model.ModelConfig("llama", 128, 384, 2, 4, 4, 32, 512, 2048, 1e-5f, 10000f, true),
                    dev.jllm.tensor.GgmlType.Q8_0, 11, f, null);
        }
        ChatServer.Options o = ChatServer.Options.defaults(f, dir.resolve("data"), ApiKeys.disabled()).withPort(0)
                .withLimits(4, 8, 4, 256 * 1024, 200).withResources(2, 32L << 20);
        return new ServerFixture(ChatServer.start(options.apply(o.withShutdownGrace(java.time.Duration.ofSeconds(5))), templates));
    }

    HttpResponse<String> post(String path, String body, String key) throws Exception {
        return send(HttpRequest.newBuilder(base.resolve(path)).POST(HttpRequest.BodyPublishers.ofString(body)), key);
    }

    HttpResponse<String> postBytes(String path, byte[] body) throws Exception {
        return send(HttpRequest.newBuilder(base.resolve(path)).POST(HttpRequest.BodyPublishers.ofByteArray(body)), null);
    }

    HttpResponse<String> get(String path, String key) throws Exception {
        return send(HttpRequest.newBuilder(base.resolve(path)).GET(), key);
    }

    HttpResponse<String> delete(String path, String key) throws Exception {
        return send(HttpRequest.newBuilder(base.resolve(path)).DELETE(), key);
    }

    private HttpResponse<String> send(HttpRequest.Builder b, String key) throws Exception {
        b.timeout(Duration.ofSeconds(60)).header("Content-Type", "application/json");
        if (key != null) b.header("Authorization", "Bearer " + key);
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    static JsonNode json(HttpResponse<String> r) throws IOException {
        return JSON.readTree(r.body());
    }

    /** The data lines of an SSE body, without the "data: " prefix. */
    static List<String> sseData(String body) {
        return body.lines().filter(l -> l.startsWith("data: ")).map(l -> l.substring(6)).toList();
    }

    @Override
    public void close() {
        server.shutdown();
    }
}

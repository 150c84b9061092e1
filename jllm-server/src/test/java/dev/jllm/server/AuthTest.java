package dev.jllm.server;

import dev.jllm.server.http.ApiKeys;
import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.OutputStream;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** API keys: 401 without one, objects private to their key (404 for others), per-key concurrency 429. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class AuthTest {
    static final String A = "key-a-0123456789abcdef", B = "key-b-0123456789abcdef";
    @TempDir static Path dir;
    static ServerFixture s;

    @BeforeAll
    static void start() throws Exception {
        Path keys = dir.resolve("keys.txt");
        Files.writeString(keys, "# team keys\n" + A + "\n\n" + B + "\n");
        s = new ServerFixture(dir.resolve("data"), ApiKeys.load(keys), 1, 1 << 20);
    }

    @AfterAll
    static void stop() {
        s.close();
    }

    @Test
    void requestsNeedAValidKeyButHealthDoesNot() throws Exception {
        assertEquals(200, s.get("/health", null).statusCode());
        HttpResponse<String> r = s.get("/v1/models", null);
        assertEquals(401, r.statusCode());
        assertEquals("invalid_api_key", ServerFixture.json(r).get("error").get("code").asText());
        assertEquals(401, s.get("/v1/models", "key-c-0123456789abcdef").statusCode());
        assertEquals(200, s.get("/v1/models", A).statusCode());
    }

    @Test
    void conversationsAndResponsesBelongToTheirKey() throws Exception {
        String conv = ServerFixture.json(s.post("/v1/conversations", "{}", A)).get("id").asText();
        HttpResponse<String> resp = s.post("/v1/responses", "{\"model\":\"stories260K\",\"conversation\":\"" + conv
                + "\",\"input\":\"Hi\",\"max_output_tokens\":4}", A);
        assertEquals(200, resp.statusCode(), resp.body());
        String respId = ServerFixture.json(resp).get("id").asText();
        assertEquals(404, s.get("/v1/conversations/" + conv, B).statusCode());
        assertEquals(404, s.get("/v1/conversations/" + conv + "/items", B).statusCode());
        assertEquals(404, s.post("/v1/conversations/" + conv + "/items", "{\"items\":[{\"role\":\"user\",\"content\":\"x\"}]}", B).statusCode());
        assertEquals(404, s.delete("/v1/conversations/" + conv, B).statusCode());
        assertEquals(404, s.get("/v1/responses/" + respId, B).statusCode());
        assertEquals(404, s.post("/v1/responses", "{\"model\":\"stories260K\",\"conversation\":\"" + conv + "\",\"input\":\"x\"}", B).statusCode());
        assertEquals(404, s.post("/v1/responses", "{\"model\":\"stories260K\",\"previous_response_id\":\"" + respId + "\",\"input\":\"x\"}", B)
                .statusCode());
        assertEquals(200, s.get("/v1/conversations/" + conv, A).statusCode(), "still there for its owner");
        assertEquals(200, s.get("/v1/responses/" + respId, A).statusCode());
    }

    @Test
    void aKeyOverItsConcurrencyLimitGets429WithRetryAfter() throws Exception {
        // hold key A's only slot: a request whose body is still arriving. It reaches its handler
        // asynchronously; on a busy 2-core machine that once took longer than a 15 s poll in a full run,
        // so each attempt opens a fresh held connection and polls for 5 s, three attempts at most.
        HttpResponse<String> r = null;
        for (int attempt = 0; attempt < 3 && (r == null || r.statusCode() != 429); attempt++) {
            try (Socket held = new Socket(s.base.getHost(), s.base.getPort())) {
                OutputStream out = held.getOutputStream();
                out.write(("POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + A
                        + "\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"model\":").getBytes(StandardCharsets.US_ASCII));
                out.flush();
                long deadline = System.nanoTime() + 5_000_000_000L;
                while (System.nanoTime() < deadline) {
                    r = s.post("/v1/chat/completions", "{\"model\":\"stories260K\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"max_tokens\":2}", A);
                    if (r.statusCode() == 429) break;
                    Thread.sleep(50);
                }
                if (r.statusCode() != 429) continue;
                assertEquals("1", r.headers().firstValue("Retry-After").orElseThrow());
                JsonNode e = ServerFixture.json(r).get("error");
                assertEquals("rate_limit_exceeded", e.get("code").asText());
                HttpResponse<String> other = s.post("/v1/chat/completions",
                        "{\"model\":\"stories260K\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"max_tokens\":2}", B);
                assertEquals(200, other.statusCode(), "other keys are not limited by A's requests");
            }
        }
        assertEquals(429, r.statusCode(), r.body());
        // the slot comes back once the held request ends
        for (int i = 0; i < 100; i++) {
            r = s.post("/v1/chat/completions", "{\"model\":\"stories260K\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"max_tokens\":2}", A);
            if (r.statusCode() == 200) break;
            Thread.sleep(20);
        }
        assertEquals(200, r.statusCode());
    }

    @Test
    void withoutKeysOnlyLoopbackUnlessInsecure() {
        ChatServer.Options o = ChatServer.Options.defaults(TestModel.path("models/stories260K.gguf"), dir.resolve("d2"), ApiKeys.disabled())
                .withPort(0).withHost("0.0.0.0", false);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ChatServer.start(o, f -> ServerFixture.CHATML));
        assertTrue(e.getMessage().contains("--api-keys"));
    }

    @Test
    void keyFilesKeepOnlyHashesAndRejectNonsense() throws Exception {
        Path empty = dir.resolve("empty.txt");
        Files.writeString(empty, "# nothing\n\n");
        assertThrows(IllegalArgumentException.class, () -> ApiKeys.load(empty));
        Path shortKey = dir.resolve("short.txt");
        Files.writeString(shortKey, "abc\n");
        assertThrows(IllegalArgumentException.class, () -> ApiKeys.load(shortKey));
        ApiKeys k = ApiKeys.ofKeys(A);
        assertEquals(ApiKeys.sha256Hex(A), k.owner("Bearer " + A));
        assertEquals(64, k.owner("bearer  " + A).length());
    }
}

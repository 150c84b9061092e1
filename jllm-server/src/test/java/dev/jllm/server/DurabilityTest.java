package dev.jllm.server;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real crash: the server runs in its own JVM, a response is streaming, and the process gets
 * SIGKILL. After a restart on the same data dir every completed turn is there, the interrupted one
 * is marked incomplete with no items, the conversation goes on, and SQLite's integrity check is ok.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class DurabilityTest {
    @TempDir Path dir;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    private JsonNode call(ChildServer s, String method, String path, String body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(s.uri.resolve(path)).timeout(Duration.ofSeconds(60)).header("Content-Type", "application/json");
        b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode(), r.body());
        return ServerFixture.json(r);
    }

    private static String turn(String conv, String input, int maxTokens, boolean stream) {
        return "{\"model\":\"slow-random\",\"conversation\":\"" + conv + "\",\"input\":\"" + input + "\",\"temperature\":0,"
                + "\"max_output_tokens\":" + maxTokens + ",\"ignore_eos\":true,\"stream\":" + stream + "}";
    }

    /** With ignore_eos a turn runs to max_output_tokens: stored, and "incomplete" only in OpenAI's sense of that limit. */
    private static void assertFinishedAtTheTokenLimit(JsonNode r) {
        assertEquals("incomplete", r.get("status").asText(), r.toString());
        assertEquals("max_output_tokens", r.get("incomplete_details").get("reason").asText());
    }

    @Test
    void killMinus9MidStreamLosesOnlyTheInterruptedTurn() throws Exception {
        Path model = TestModel.slowModel(dir);
        Path data = dir.resolve("data");
        long kv = 64L << 20;
        String conv, interruptedId;
        List<String> completedAnswers = new ArrayList<>();
        try (ChildServer s = ChildServer.start(model, data, kv, dir.resolve("server1.log"))) {
            conv = call(s, "POST", "/v1/conversations", "{}").get("id").asText();
            for (String q : List.of("first question", "second question")) {
                JsonNode r = call(s, "POST", "/v1/responses", turn(conv, q, 6, false));
                assertFinishedAtTheTokenLimit(r);
                completedAnswers.add(r.get("output").get(0).get("content").get(0).get("text").asText());
            }
            // turn 3 streams 500 tokens (seconds on this model; prompt + 500 fit its 1024); the process dies after the first delta
            HttpRequest req = HttpRequest.newBuilder(s.uri.resolve("/v1/responses")).timeout(Duration.ofSeconds(60))
                    .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(turn(conv, "third question", 500, true))).build();
            HttpResponse<InputStream> r = http.send(req, HttpResponse.BodyHandlers.ofInputStream());
            assertEquals(200, r.statusCode());
            String id = null;
            int deltas = 0;
            try (BufferedReader in = new BufferedReader(new InputStreamReader(r.body(), StandardCharsets.UTF_8))) {
                for (String line; (line = in.readLine()) != null; ) {
                    if (!line.startsWith("data: ")) continue;
                    JsonNode e = ServerFixture.JSON.readTree(line.substring(6));
                    if (e.get("type").asText().equals("response.created")) id = e.get("response").get("id").asText();
                    if (e.get("type").asText().equals("response.output_text.delta") && ++deltas == 3) break;
                }
                assertEquals(3, deltas, "the stream was cut before three deltas arrived");
                s.kill();
            }
            interruptedId = id;
            assertNotNull(interruptedId);
        }
        try (ChildServer s = ChildServer.start(model, data, kv, dir.resolve("server2.log"))) {
            JsonNode items = call(s, "GET", "/v1/conversations/" + conv + "/items?order=asc&limit=100", null).get("data");
            List<String> roles = new ArrayList<>();
            for (JsonNode it : items) roles.add(it.get("role").asText());
            assertEquals(List.of("user", "assistant", "user", "assistant"), roles, "two completed turns, nothing of the killed one");
            assertEquals(completedAnswers.get(1), items.get(3).get("content").get(0).get("text").asText());
            JsonNode interrupted = call(s, "GET", "/v1/responses/" + interruptedId, null);
            assertEquals("incomplete", interrupted.get("status").asText());
            assertTrue(interrupted.get("error").get("message").asText().contains("interrupted"), interrupted.toString());
            assertEquals(0, interrupted.get("output").size());
            // the conversation goes on from the stored history
            assertFinishedAtTheTokenLimit(call(s, "POST", "/v1/responses", turn(conv, "fourth question", 4, false)));
            assertEquals(6, call(s, "GET", "/v1/conversations/" + conv + "/items?limit=100", null).get("data").size());
            s.kill(); // and once more, now idle
        }
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + data.resolve("jllm.db"));
             ResultSet rs = c.createStatement().executeQuery("PRAGMA integrity_check")) {
            assertTrue(rs.next());
            assertEquals("ok", rs.getString(1));
        }
    }
}

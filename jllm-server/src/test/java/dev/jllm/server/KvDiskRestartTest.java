package dev.jllm.server;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A conversation's KV survives a server restart: the shutdown writes it under DATA_DIR/kv, the next
 * turn after the restart loads it (cached tokens = the whole history) and answers exactly as a server
 * that was never restarted.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class KvDiskRestartTest {
    @TempDir
    Path tmp;

    private static final String[] INPUTS = {"My name is Ada and I keep bees.", "I also grow tomatoes.", "What is my name?"};

    private static JsonNode ok(HttpResponse<String> r) throws Exception {
        assertEquals(200, r.statusCode(), r.body());
        return ServerFixture.JSON.readTree(r.body());
    }

    private static String turn(ServerFixture s, String conv, String input) throws Exception {
        return "{\"model\":\"random-2k\",\"conversation\":\"" + conv + "\",\"input\":\"" + input + "\",\"temperature\":0,\"max_output_tokens\":12}";
    }

    private static String newConversation(ServerFixture s) throws Exception {
        return ok(s.post("/v1/conversations", "{}", null)).get("id").asText();
    }

    /** A small random-weight llama with a 2048-token context (room for three turns), its data under {@code dir}/data. */
    private static ServerFixture server(Path dir) throws Exception {
        return ServerFixture.randomModel(Files.createDirectories(dir), f -> ServerFixture.CHATML);
    }

    private static long kvFiles(Path dir) throws Exception {
        if (!Files.isDirectory(dir)) return 0;
        try (var s = Files.list(dir)) {
            return s.filter(p -> p.toString().endsWith(".kv")).count();
        }
    }

    @Test
    void theTurnAfterARestartLoadsTheHistoryAndAnswersAsTheUninterruptedRun() throws Exception {
        List<JsonNode> want = new ArrayList<>();
        try (ServerFixture s = server(tmp.resolve("a"))) {
            String conv = newConversation(s);
            for (String in : INPUTS) want.add(ok(s.post("/v1/responses", turn(s, conv, in), null)));
        }
        Path dir = tmp.resolve("b"), data = dir.resolve("data");
        String conv;
        try (ServerFixture s = server(dir)) {
            conv = newConversation(s);
            JsonNode r = ok(s.post("/v1/responses", turn(s, conv, INPUTS[0]), null));
            assertEquals(outputText(want.get(0)), outputText(r));
        }
        assertEquals(1, kvFiles(data.resolve("kv")), "the shutdown wrote the conversation's KV");
        for (int t = 1; t < INPUTS.length; t++) {
            try (ServerFixture s = server(dir)) { // a restart before every turn
                JsonNode r = ok(s.post("/v1/responses", turn(s, conv, INPUTS[t]), null));
                JsonNode u = r.get("usage"), w = want.get(t).get("usage");
                assertEquals(w.get("input_tokens").asInt(), u.get("input_tokens").asInt(), "turn " + t + ": the same prompt");
                assertEquals(w.get("input_tokens_details").get("cached_tokens").asInt(), u.get("input_tokens_details").get("cached_tokens").asInt(),
                        "turn " + t + ": the whole history cached, as on the warm server");
                assertTrue(u.get("input_tokens_details").get("cached_tokens").asInt() > 0);
                assertEquals(outputText(want.get(t)), outputText(r), "turn " + t + ": the same answer");
                String metrics = s.get("/metrics", null).body();
                assertTrue(metrics.contains("jllm_kv_disk_hits_total{model=\"random-2k\"} 1.0"), metrics);
                assertTrue(metrics.contains("jllm_kv_disk_read_bytes_total"), metrics);
            }
        }
        try (ServerFixture s = server(dir)) {
            assertEquals(200, s.delete("/v1/conversations/" + conv, null).statusCode());
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (kvFiles(data.resolve("kv")) > 0 && System.nanoTime() < deadline) Thread.sleep(20);
            assertEquals(0, kvFiles(data.resolve("kv")), "deleting the conversation deleted its KV file");
        }
    }

    private static String outputText(JsonNode r) {
        StringBuilder b = new StringBuilder();
        for (JsonNode item : r.get("output")) {
            if (!item.has("content")) continue;
            for (JsonNode c : item.get("content")) if (c.has("text")) b.append(c.get("text").asText());
        }
        return b.toString();
    }
}

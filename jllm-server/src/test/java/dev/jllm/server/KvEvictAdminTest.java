package dev.jllm.server;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import dev.jllm.server.http.AdminKey;
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
 * {@code POST /admin/kv/evict}: a conversation's KV evicted on request, through the LRU's own eviction.
 * With the disk tier its next turn loads the history from disk (a disk hit, every history token cached)
 * and answers as the server that kept it warm; with {@code --kv-disk-budget 0} it is dropped and the next
 * turn prefills it again, with the same answer.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class KvEvictAdminTest {
    static final String ADMIN = "admin-key-0123456789abcdef";
    private static final String[] INPUTS = {"My name is Ada and I keep bees.", "I also grow tomatoes.", "What is my name?"};

    @TempDir
    Path tmp;

    private static JsonNode ok(HttpResponse<String> r) throws Exception {
        assertEquals(200, r.statusCode(), r.body());
        return ServerFixture.JSON.readTree(r.body());
    }

    private static String turn(String conv, String input) {
        return "{\"model\":\"random-2k\",\"conversation\":\"" + conv + "\",\"input\":\"" + input + "\",\"temperature\":0,\"max_output_tokens\":12}";
    }

    private static String newConversation(ServerFixture s) throws Exception {
        return ok(s.post("/v1/conversations", "{}", null)).get("id").asText();
    }

    private static ServerFixture server(Path dir, java.util.function.UnaryOperator<ChatServer.Options> options) throws Exception {
        return ServerFixture.randomModel(Files.createDirectories(dir), f -> ServerFixture.CHATML, options);
    }

    private static HttpResponse<String> evict(ServerFixture s, String body) throws Exception {
        return s.post("/admin/kv/evict", body, ADMIN);
    }

    /** The three turns on a server that keeps the conversation warm throughout. */
    private List<JsonNode> uninterrupted() throws Exception {
        List<JsonNode> want = new ArrayList<>();
        try (ServerFixture s = server(tmp.resolve("warm"), o -> o)) {
            String conv = newConversation(s);
            for (String in : INPUTS) want.add(ok(s.post("/v1/responses", turn(conv, in), null)));
        }
        return want;
    }

    private static int cached(JsonNode r) {
        return r.get("usage").get("input_tokens_details").get("cached_tokens").asInt();
    }

    @Test
    void evictedBeforeEveryTurnTheNextLoadsItFromDiskAndAnswersAsTheWarmRun() throws Exception {
        List<JsonNode> want = uninterrupted();
        try (ServerFixture s = server(tmp.resolve("disk"), o -> o.withAdminKey(AdminKey.of(ADMIN)))) {
            String conv = newConversation(s);
            assertEquals(outputText(want.get(0)), outputText(ok(s.post("/v1/responses", turn(conv, INPUTS[0]), null))));
            for (int t = 1; t < INPUTS.length; t++) {
                JsonNode ev = ok(evict(s, "{\"conversation\":\"" + conv + "\"}"));
                assertEquals("kv.eviction", ev.get("object").asText());
                assertEquals(1, ev.get("evicted").asInt(), ev.toString());
                assertEquals(1, ev.get("spilled").asInt(), ev.toString());
                assertTrue(ev.get("disk").asBoolean());
                JsonNode row = ev.get("data").get(0);
                assertEquals(conv, row.get("id").asText());
                assertTrue(row.get("spilled").asBoolean());
                assertEquals(cached(want.get(t)), row.get("tokens").asInt(), "turn " + t + ": the KV evicted is the history the warm turn reuses");
                JsonNode again = ok(evict(s, "{\"conversation\":\"" + conv + "\"}"));
                assertEquals(0, again.get("evicted").asInt(), "nothing of it is resident any more: " + again);

                JsonNode r = ok(s.post("/v1/responses", turn(conv, INPUTS[t]), null));
                JsonNode u = r.get("usage"), w = want.get(t).get("usage");
                assertEquals(w.get("input_tokens").asInt(), u.get("input_tokens").asInt(), "turn " + t + ": the same prompt");
                assertEquals(cached(want.get(t)), cached(r), "turn " + t + ": the whole history cached, from disk");
                assertEquals(outputText(want.get(t)), outputText(r), "turn " + t + ": the same answer at temperature 0");
                String metrics = s.get("/metrics", null).body();
                assertTrue(metrics.contains("jllm_kv_disk_hits_total{model=\"random-2k\"} " + t + ".0"), "disk hit number " + t + ":\n" + metrics);
            }
            JsonNode status = ok(s.get("/admin/kv", ADMIN));
            assertEquals(INPUTS.length - 1, status.get("disk").get("hits").asInt(), status.toString());
            assertTrue(status.get("idle_entries").asInt() >= 1, status.toString());
            JsonNode all = ok(evict(s, "{\"all\":true}"));
            assertTrue(all.get("evicted").asInt() >= 1 && all.get("spilled").asInt() == 1, "the conversation again, plus any anonymous prompt: " + all);
            assertEquals(0, ok(s.get("/admin/kv", ADMIN)).get("idle_entries").asInt());
        }
    }

    @Test
    void withoutADiskTierTheEvictedConversationIsPrefilledAgainWithTheSameAnswer() throws Exception {
        List<JsonNode> want = uninterrupted();
        try (ServerFixture s = server(tmp.resolve("nodisk"), o -> o.withAdminKey(AdminKey.of(ADMIN)).withKvDisk(null, 0))) {
            String conv = newConversation(s);
            ok(s.post("/v1/responses", turn(conv, INPUTS[0]), null));
            JsonNode ev = ok(evict(s, "{\"conversation\":\"" + conv + "\"}"));
            assertEquals(1, ev.get("evicted").asInt(), ev.toString());
            assertEquals(0, ev.get("spilled").asInt(), ev.toString());
            assertFalse(ev.get("disk").asBoolean());
            assertTrue(ok(s.get("/admin/kv", ADMIN)).get("disk").isNull());
            JsonNode r = ok(s.post("/v1/responses", turn(conv, INPUTS[1]), null));
            assertEquals(0, cached(r), "the history is prefilled again");
            assertEquals(want.get(1).get("usage").get("input_tokens").asInt(), r.get("usage").get("input_tokens").asInt());
            assertEquals(outputText(want.get(1)), outputText(r));
        }
    }

    @Test
    void badRequestsAreNamedAndTheEndpointNeedsTheAdminKey() throws Exception {
        try (ServerFixture s = server(tmp.resolve("errors"), o -> o.withAdminKey(AdminKey.of(ADMIN)))) {
            assertEquals(401, s.post("/admin/kv/evict", "{\"all\":true}", null).statusCode());
            assertEquals(401, s.post("/admin/kv/evict", "{\"all\":true}", "not-the-admin-key-at-all").statusCode());
            HttpResponse<String> unknown = evict(s, "{\"conversation\":\"conv_nope\"}");
            assertEquals(404, unknown.statusCode());
            assertEquals("conversation_not_found", ServerFixture.json(unknown).get("error").get("code").asText());
            assertTrue(unknown.body().contains("conv_nope"), unknown.body());
            String[][] bad = {
                {"{}", "conversation", "say what to evict"},
                {"{\"conversation\":\"c\",\"all\":true}", "all", "not both"},
                {"{\"all\":false}", "all", "'all' must be true"},
                {"{\"conversation\":7}", "conversation", "must be a string"},
                {"{\"conversation\":\"\"}", "conversation", "empty string"},
                {"{\"all\":true,\"wait\":false}", "wait", "unknown field 'wait'"},
            };
            for (String[] b : bad) {
                HttpResponse<String> r = evict(s, b[0]);
                assertEquals(400, r.statusCode(), b[0] + " → " + r.body());
                JsonNode e = ServerFixture.json(r).get("error");
                assertEquals(b[1], e.get("param").asText(), b[0] + " → " + r.body());
                assertTrue(e.get("message").asText().contains(b[2]), b[0] + " → " + r.body());
            }
            assertEquals(400, evict(s, "[1]").statusCode(), "a JSON object is required");
            assertEquals(405, s.get("/admin/kv/evict", ADMIN).statusCode());
            assertEquals(405, s.post("/admin/kv", "{}", ADMIN).statusCode());
            assertEquals(404, s.get("/admin/kv/nothing", ADMIN).statusCode());
        }
        try (ServerFixture s = server(tmp.resolve("off"), o -> o)) {
            HttpResponse<String> off = s.post("/admin/kv/evict", "{\"all\":true}", ADMIN);
            assertEquals(404, off.statusCode());
            assertTrue(off.body().contains("--admin-key"), off.body());
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

package dev.jllm.server;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import dev.jllm.server.http.AdminKey;
import dev.jllm.server.http.ApiKeys;
import dev.jllm.server.http.HttpApi;
import dev.jllm.server.registry.Registry;
import dev.jllm.server.store.SqliteConversationStore;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Model versions under load: {@code jllm serve --registry chat} follows promotions and rollbacks made
 * through the admin endpoints or in the store (another replica, {@code jllm models}); requests in
 * flight finish on the version they started with, new ones run on the new one, nothing fails, and
 * conversations continue across the switch (re-prefilled for the new version). Two random-weight
 * models with the same shape and vocabulary but different seeds stand for two versions: their
 * answers at temperature 0 differ, so an answer says which weights made it.
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class ModelSwitchTest {
    static final String ADMIN = "admin-key-0123456789abcdef";
    static final String PROMPT = "{\"model\":\"chat\",\"temperature\":0,\"max_tokens\":16,\"ignore_eos\":true,\"messages\":[{\"role\":\"user\",\"content\":\"Which version are you?\"}]}";
    @TempDir static Path models;
    static Path v1, v2;
    static String ref1, ref2;

    static Path randomModel(String name, long seed) throws Exception {
        Path f = models.resolve(name + ".gguf");
        dev.jllm.model.RandomModel.write(new dev.jllm.model.ModelConfig("llama", 128, 384, 2, 4, 4, 32, 512, 2048, 1e-5f, 10000f, true),
                dev.jllm.tensor.GgmlType.Q8_0, seed, 0.5, f, null); // peaked: greedy answers with wide margins
        return f;
    }

    /** What each file answers to {@link #PROMPT} when served plainly (-m FILE). */
    @BeforeAll
    static void referenceAnswers() throws Exception {
        v1 = randomModel("one", 11);
        v2 = randomModel("two", 12);
        ref1 = answerOf(v1);
        ref2 = answerOf(v2);
        assertNotEquals(ref1, ref2, "the two versions must answer differently for the test to tell them apart");
    }

    private static String answerOf(Path model) throws Exception {
        ChatServer.Options o = ChatServer.Options.defaults(model, models.resolve("ref-" + model.getFileName()), ApiKeys.disabled()).withPort(0)
                .withResources(2, 32L << 20).withShutdownGrace(Duration.ofSeconds(5));
        try (ServerFixture f = ServerFixture.attach(ChatServer.start(o, m -> ServerFixture.CHATML))) {
            return content(f.post("/v1/chat/completions", PROMPT.replace("\"chat\"", "\"" + f.server.modelId() + "\""), null));
        }
    }

    private static String content(HttpResponse<String> r) throws Exception {
        assertEquals(200, r.statusCode(), r.body());
        return ServerFixture.json(r).get("choices").get(0).get("message").get("content").asText();
    }

    /** A data dir whose registry has chat v1 (promoted) and v2. */
    private static void registry(Path data) throws Exception {
        try (SqliteConversationStore s = SqliteConversationStore.open(data, false)) {
            Registry r = new Registry(s);
            r.add("chat", v1, null, Map.of());
            r.add("chat", v2, null, Map.of());
            r.promote("chat", "v1");
        }
    }

    private static ServerFixture server(Path data, long pollMillis, ApiKeys keys) throws Exception {
        ChatServer.Options o = ChatServer.Options.defaults(null, data, keys).withPort(0).withLimits(8, 64, 64, 1 << 20, 200)
                .withResources(2, 32L << 20).withShutdownGrace(Duration.ofSeconds(5)).withRegistry("chat", pollMillis)
                .withAdminKey(AdminKey.of(ADMIN));
        return ServerFixture.attach(ChatServer.start(o, m -> ServerFixture.CHATML));
    }

    private static HttpResponse<String> admin(ServerFixture f, String path, String body) throws Exception {
        return f.post("/admin/models" + path, body, ADMIN);
    }

    private static void waitFor(java.util.function.BooleanSupplier condition, String what) throws InterruptedException {
        for (long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(60); !condition.getAsBoolean(); Thread.sleep(20)) {
            if (System.nanoTime() > end) fail("timed out waiting for " + what);
        }
    }

    private static String version(HttpResponse<String> r) {
        return r.headers().firstValue(HttpApi.VERSION_HEADER).orElse(null);
    }

    @Test
    void promoteAndRollBackUnderLoadFailNothingAndAnswersComeFromTheServedVersion(@TempDir Path data) throws Exception {
        registry(data);
        try (ServerFixture f = server(data, 60_000, ApiKeys.disabled())) {
            HttpResponse<String> before = f.post("/v1/chat/completions", PROMPT, null);
            assertEquals(ref1, content(before));
            assertEquals("v1", version(before));

            AtomicBoolean stop = new AtomicBoolean();
            ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
            Map<String, AtomicInteger> byVersion = new ConcurrentHashMap<>();
            AtomicInteger done = new AtomicInteger();
            List<Thread> clients = new ArrayList<>();
            List<String> conversations = new ArrayList<>();
            for (int c = 0; c < 6; c++) {
                int id = c;
                String conv = ServerFixture.json(f.post("/v1/conversations", "{}", null)).get("id").asText();
                conversations.add(conv);
                clients.add(Thread.ofVirtual().start(() -> {
                    for (int i = 0; !stop.get(); i++) {
                        try {
                            HttpResponse<String> r;
                            boolean ok;
                            if (id % 2 == 0) { // stateful: a turn of this client's conversation, streamed every other time
                                boolean stream = i % 2 == 1;
                                r = f.post("/v1/responses", "{\"model\":\"chat\",\"conversation\":\"" + conv + "\",\"input\":\"turn " + i
                                        + "\",\"max_output_tokens\":12,\"stream\":" + stream + "}", null);
                                ok = r.statusCode() == 200 && (stream ? r.body().contains("event: response.completed") || r.body().contains("event: response.incomplete")
                                        : ServerFixture.json(r).get("status").asText().matches("completed|incomplete"));
                            } else { // stateless chat, streamed every other time
                                boolean stream = i % 2 == 1;
                                r = f.post("/v1/chat/completions", "{\"model\":\"chat\",\"max_tokens\":20,\"stream\":" + stream
                                        + ",\"messages\":[{\"role\":\"user\",\"content\":\"hello " + i + "\"}]}", null);
                                ok = r.statusCode() == 200 && (!stream || r.body().contains("data: [DONE]")) && !r.body().contains("\"error\"");
                            }
                            if (!ok) failures.add(r.statusCode() + " " + r.body());
                            byVersion.computeIfAbsent(String.valueOf(version(r)), k -> new AtomicInteger()).incrementAndGet();
                            done.incrementAndGet();
                        } catch (Exception e) {
                            failures.add(e.toString());
                        }
                    }
                }));
            }
            // a long request that starts on v1 and is still decoding when v2 is promoted: it finishes on v1, whole
            long[] longEnded = {0};
            var longOne = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
                try {
                    return f.post("/v1/chat/completions", "{\"model\":\"chat\",\"max_tokens\":1900,\"ignore_eos\":true,\"messages\":[{\"role\":\"user\","
                            + "\"content\":\"a long one\"}]}", null);
                } catch (Exception e) {
                    throw new RuntimeException(e);
                } finally {
                    longEnded[0] = System.nanoTime();
                }
            });
            waitFor(() -> done.get() >= 12 || longOne.isDone(), "load before the promotion");
            HttpResponse<String> promoted = admin(f, "/chat/promote", "{\"version\":\"v2\"}");
            long promotedAt = System.nanoTime();
            assertEquals(200, promoted.statusCode(), promoted.body());
            assertEquals("v2", ServerFixture.json(promoted).get("serving").get("version").asText());
            HttpResponse<String> after = f.post("/v1/chat/completions", PROMPT, null);
            assertEquals(ref2, content(after), "a request after the promotion runs on v2");
            assertEquals("v2", version(after));
            int atPromotion = done.get();
            waitFor(() -> done.get() >= atPromotion + 12, "load on v2");
            HttpResponse<String> back = admin(f, "/chat/rollback", "");
            assertEquals(200, back.statusCode(), back.body());
            assertEquals("v1", ServerFixture.json(back).get("rolled_back_to").get("version").asText());
            assertEquals("v1", ServerFixture.json(back).get("serving").get("version").asText());
            assertEquals(ref1, content(f.post("/v1/chat/completions", PROMPT, null)), "after the rollback: v1 again");
            int atRollback = done.get();
            waitFor(() -> done.get() >= atRollback + 12, "load after the rollback");
            stop.set(true);
            for (Thread t : clients) t.join(60_000);

            assertEquals(List.of(), List.copyOf(failures), "zero failed requests across a promotion and a rollback");
            assertTrue(done.get() >= 36, "requests done: " + done.get());
            assertTrue(byVersion.containsKey("v1") && byVersion.containsKey("v2"), "answered by both: " + byVersion);
            HttpResponse<String> l = longOne.get(120, TimeUnit.SECONDS);
            assertEquals(200, l.statusCode(), l.body());
            assertEquals("v1", version(l), "the request in flight at the promotion finished on the weights it started with");
            assertTrue(longEnded[0] > promotedAt, "the long request was still decoding when v2 was promoted");
            assertEquals(1900, ServerFixture.json(l).get("usage").get("completion_tokens").asInt());
            for (int c = 0; c < conversations.size(); c += 2) {
                var items = ServerFixture.json(f.get("/v1/conversations/" + conversations.get(c) + "/items?limit=100&order=asc", null)).get("data");
                assertEquals(0, items.size() % 2, "every turn stored whole: input and answer");
                assertTrue(items.size() >= 4, "the conversation went on across the switches");
            }
            f.server.api().flushGenerationLog();
            java.util.Set<String> versions = new java.util.TreeSet<>();
            f.server.store().scanGenerations(0, Long.MAX_VALUE, "chat", g -> versions.add(g.version()));
            assertEquals(java.util.Set.of("v1", "v2"), versions, "the generations log says which version made each answer");
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (f.server.api().draining() > 0 && System.nanoTime() < deadline) Thread.sleep(20);
            assertEquals(0, f.server.api().draining(), "replaced versions are released once their last request ends");
        }
    }

    @Test
    void aPromotionMadeElsewhereIsFollowedAndTheConversationContinuesOnTheNewVersion(@TempDir Path data) throws Exception {
        registry(data);
        try (ServerFixture f = server(data, 100, ApiKeys.disabled())) {
            String conv = ServerFixture.json(f.post("/v1/conversations", "{}", null)).get("id").asText();
            JsonNode t1 = ServerFixture.json(f.post("/v1/responses", "{\"model\":\"chat\",\"conversation\":\"" + conv + "\",\"input\":\"My name is Ada.\","
                    + "\"max_output_tokens\":8,\"temperature\":0}", null));
            assertEquals("v1", ServerFixture.json(f.get("/ready", null)).get("version").asText());
            try (SqliteConversationStore s = SqliteConversationStore.open(data, false)) { // jllm models promote chat v2, from another process
                new Registry(s).promote("chat", "v2");
            }
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (!f.server.modelVersion().equals("v2") && System.nanoTime() < deadline) Thread.sleep(20);
            assertEquals("v2", ServerFixture.json(f.get("/ready", null)).get("version").asText());
            HttpResponse<String> r2 = f.post("/v1/responses", "{\"model\":\"chat\",\"conversation\":\"" + conv + "\",\"input\":\"What is my name?\","
                    + "\"max_output_tokens\":8,\"temperature\":0}", null);
            assertEquals(200, r2.statusCode(), r2.body());
            assertEquals("v2", version(r2));
            JsonNode t2 = ServerFixture.json(r2);
            assertEquals(0, t2.get("usage").get("input_tokens_details").get("cached_tokens").asInt(),
                    "v1's KV is not v2's: the history is prefilled again on the new version");
            assertTrue(t2.get("usage").get("input_tokens").asInt() > t1.get("usage").get("input_tokens").asInt(), "turn 2's prompt holds turn 1");
            JsonNode t3 = ServerFixture.json(f.post("/v1/responses", "{\"model\":\"chat\",\"conversation\":\"" + conv + "\",\"input\":\"And again?\","
                    + "\"max_output_tokens\":8,\"temperature\":0}", null));
            assertTrue(t3.get("usage").get("input_tokens_details").get("cached_tokens").asInt() > 0, "from then on v2's own KV is reused");
            assertEquals(6, ServerFixture.json(f.get("/v1/conversations/" + conv + "/items?limit=100", null)).get("data").size());
        }
    }

    @Test
    void theAdminEndpointsNeedTheAdminKeyAndSayWhatIsWrong(@TempDir Path data) throws Exception {
        registry(data);
        String user = "user-key-0123456789abcdef";
        try (ServerFixture f = server(data, 60_000, ApiKeys.ofKeys(user))) {
            assertEquals(401, f.get("/admin/models", null).statusCode());
            HttpResponse<String> wrong = f.get("/admin/models", user);
            assertEquals(401, wrong.statusCode());
            assertTrue(wrong.body().contains("users' API keys do not open"), wrong.body());
            assertEquals(401, f.post("/v1/chat/completions", PROMPT, ADMIN).statusCode(), "and the admin key is not a user's key");
            JsonNode list = ServerFixture.json(f.get("/admin/models", ADMIN));
            assertEquals(List.of("v1", "v2"), List.of(list.get("data").get(0).get("version").asText(), list.get("data").get(1).get("version").asText()));
            assertTrue(list.get("data").get(0).get("promoted").asBoolean());
            assertEquals("v1", list.get("serving").get("version").asText());

            HttpResponse<String> unknown = admin(f, "/chat/promote", "{\"version\":\"v9\"}");
            assertEquals(404, unknown.statusCode());
            assertTrue(unknown.body().contains("model chat has no version v9; it has v1, v2"), unknown.body());
            assertEquals(404, admin(f, "/nope/rollback", "").statusCode());

            Path moved = Files.copy(v2, models.resolve("moved.gguf"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            HttpResponse<String> added = admin(f, "", "{\"name\":\"chat\",\"file\":\"" + moved + "\",\"version\":\"v3\"}");
            assertEquals(201, added.statusCode(), added.body());
            Files.delete(moved);
            HttpResponse<String> missing = admin(f, "/chat/promote", "{\"version\":\"v3\"}");
            assertEquals(409, missing.statusCode());
            assertTrue(missing.body().contains("is missing") && missing.body().contains("moved.gguf"), missing.body());

            Path changed = Files.copy(v2, models.resolve("changed.gguf"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            assertEquals(201, admin(f, "", "{\"name\":\"chat\",\"file\":\"" + changed + "\",\"version\":\"v4\"}").statusCode());
            try (var ch = java.nio.channels.FileChannel.open(changed, java.nio.file.StandardOpenOption.WRITE)) {
                ch.write(java.nio.ByteBuffer.wrap(new byte[] {42}), Files.size(changed) - 1);
            }
            HttpResponse<String> mismatch = admin(f, "/chat/promote", "{\"version\":\"v4\"}");
            assertEquals(409, mismatch.statusCode());
            assertTrue(mismatch.body().contains("hash mismatch"), mismatch.body());
            HttpResponse<String> notAModel = admin(f, "", "{\"name\":\"chat\",\"file\":\"" + data.resolve("jllm.db") + "\"}");
            assertEquals(400, notAModel.statusCode());
            assertTrue(notAModel.body().contains("is not a model jllm can serve"), notAModel.body());
            HttpResponse<String> noFile = admin(f, "", "{\"name\":\"chat\",\"file\":\"/no/such.gguf\"}");
            assertEquals(400, noFile.statusCode());
            assertTrue(noFile.body().contains("does not exist"), noFile.body());
            assertFalse(missing.body().contains("at dev.jllm") || mismatch.body().contains("Exception"), "never a stack trace");
            assertEquals("v1", f.server.modelVersion(), "refused promotions leave the served version alone");
            assertEquals("v1", ServerFixture.json(f.get("/admin/models?name=chat", ADMIN)).get("serving").get("version").asText());
        }
        ChatServer.Options same = ChatServer.Options.defaults(null, data, ApiKeys.ofKeys(ADMIN)).withPort(0).withResources(2, 32L << 20)
                .withRegistry("chat", 1000).withAdminKey(AdminKey.of(ADMIN));
        var e = assertThrows(IllegalArgumentException.class, () -> ChatServer.start(same, m -> ServerFixture.CHATML));
        assertTrue(e.getMessage().contains("--admin-key is also one of the users' API keys"), e.getMessage());
    }
}

package dev.jllm.server;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import dev.jllm.server.http.ApiKeys;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two {@code jllm serve} replicas on one PostgreSQL (in this JVM): a conversation whose turns go to
 * either one answers exactly as on one server at temperature 0 (the replica without its KV prefills the
 * stored history from the ids the other stored), and two turns of one conversation at once on the two
 * replicas are not interleaved: the second is refused with 409.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class ReplicasTest {
    @TempDir static Path dir;
    static Path model;

    @BeforeAll
    static void model() throws Exception {
        model = dir.resolve("random-2k-peaked.gguf");
        dev.jllm.model.RandomModel.write(new dev.jllm.model.ModelConfig("llama", 128, 384, 2, 4, 4, 32, 512, 2048, 1e-5f, 10000f, true),
                dev.jllm.tensor.GgmlType.Q8_0, 5, 0.5, model, null);
    }

    static ServerFixture replica(String store, String name) throws Exception {
        ChatServer.Options o = ChatServer.Options.defaults(model, dir.resolve(name), ApiKeys.disabled()).withPort(0).withStore(store)
                .withResources(2, 32L << 20).withLimits(8, 64, 64, 1 << 20, 200).withShutdownGrace(Duration.ofSeconds(5));
        return ServerFixture.attach(ChatServer.start(o, m -> ServerFixture.CHATML));
    }

    /** Three turns, the i-th sent to servers[i]; returns the answers, then the cached_tokens of each turn. */
    static List<String> conversation(ServerFixture... servers) throws Exception {
        String conv = ServerFixture.json(servers[0].post("/v1/conversations", "{}", null)).get("id").asText();
        List<String> answers = new ArrayList<>(), cached = new ArrayList<>();
        String[] inputs = {"My name is Ada and I keep bees.", "I also grow tomatoes in the garden.", "What is my name, and what do I keep?"};
        for (int i = 0; i < 3; i++) {
            HttpResponse<String> r = servers[i].post("/v1/responses", "{\"model\":\"random-2k-peaked\",\"conversation\":\"" + conv + "\",\"input\":\""
                    + inputs[i] + "\",\"max_output_tokens\":24,\"temperature\":0}", null);
            assertEquals(200, r.statusCode(), r.body());
            JsonNode j = ServerFixture.json(r);
            answers.add(j.get("output").get(0).get("content").get(0).get("text").asText());
            cached.add(j.get("usage").get("input_tokens_details").get("cached_tokens").asText());
        }
        answers.addAll(cached);
        return answers;
    }

    @Test
    void aThreeTurnConversationSpreadOverTwoReplicasAnswersAsOneServerAtTemperatureZero() throws Exception {
        try (TestPostgres shared = new TestPostgres(); TestPostgres alone = new TestPostgres();
             ServerFixture a = replica(shared.url, "a"); ServerFixture b = replica(shared.url, "b"); ServerFixture one = replica(alone.url, "one")) {
            List<String> single = conversation(one, one, one);
            List<String> split = conversation(a, b, a);
            assertEquals(single.subList(0, 3), split.subList(0, 3), "the same three answers, turn by turn");
            assertEquals("0", split.get(4), "turn 2 on b: no KV of this conversation there, the history is prefilled");
            assertTrue(Integer.parseInt(split.get(5)) > 0, "turn 3 back on a: a's KV of turn 1 is reused");
            assertTrue(Integer.parseInt(single.get(5)) > Integer.parseInt(split.get(5)), "one server reuses more: it holds turn 2 too");
            List<String> bOnly = conversation(a, b, b);
            assertEquals(single.subList(0, 3), bOnly.subList(0, 3));
        }
    }

    @Test
    void twoTurnsOfOneConversationAtOnceOnTwoReplicasTheSecondIs409() throws Exception {
        try (TestPostgres pg = new TestPostgres(); ServerFixture a = replica(pg.url, "a2"); ServerFixture b = replica(pg.url, "b2")) {
            String conv = ServerFixture.json(a.post("/v1/conversations", "{}", null)).get("id").asText();
            CompletableFuture<HttpResponse<String>> longTurn = CompletableFuture.supplyAsync(() -> {
                try {
                    return a.post("/v1/responses", "{\"model\":\"random-2k-peaked\",\"conversation\":\"" + conv + "\",\"input\":\"a long one\","
                            + "\"max_output_tokens\":800,\"ignore_eos\":true}", null);
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
            });
            // the long turn is generating on a (it began: the conversation is held)
            for (long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
                 ServerFixture.json(a.get("/ready", null)).get("running").asInt() == 0 && System.nanoTime() < end; ) {
                Thread.sleep(5);
            }
            assertFalse(longTurn.isDone(), "the first turn must still run for the test to mean something");
            HttpResponse<String> second = b.post("/v1/responses", "{\"model\":\"random-2k-peaked\",\"conversation\":\"" + conv
                    + "\",\"input\":\"meanwhile\",\"max_output_tokens\":4}", null);
            assertEquals(409, second.statusCode(), "the turn in progress on a holds the conversation: " + second.body());
            JsonNode err = ServerFixture.json(second).get("error");
            assertEquals("conversation_busy", err.get("code").asText());
            assertTrue(err.get("message").asText().contains("has a turn in progress"), err.toString());
            assertEquals("1", second.headers().firstValue("Retry-After").orElse(null));
            assertEquals(409, b.post("/v1/conversations/" + conv + "/items", "{\"items\":[{\"type\":\"message\",\"role\":\"user\",\"content\":\"x\"}]}", null)
                    .statusCode(), "items cannot be slipped in either");
            HttpResponse<String> first = longTurn.get(120, TimeUnit.SECONDS);
            assertEquals(200, first.statusCode(), first.body());
            HttpResponse<String> after = b.post("/v1/responses", "{\"model\":\"random-2k-peaked\",\"conversation\":\"" + conv + "\",\"input\":\"now\","
                    + "\"max_output_tokens\":4,\"truncation\":\"auto\"}", null); // random text re-tokenizes long: keep the newest turns
            assertEquals(200, after.statusCode(), "once it completed, the other replica takes the next turn: " + after.body());
            JsonNode items = ServerFixture.json(a.get("/v1/conversations/" + conv + "/items?order=asc", null)).get("data");
            assertEquals(List.of("a long one", "now"), List.of(items.get(0).get("content").get(0).get("text").asText(),
                    items.get(2).get("content").get(0).get("text").asText()), "nothing interleaved, nothing lost");
            assertEquals(4, items.size());
        }
    }
}

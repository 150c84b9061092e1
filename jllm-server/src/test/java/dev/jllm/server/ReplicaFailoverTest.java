package dev.jllm.server;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
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
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two {@code jllm serve} replicas (separate JVMs) on one PostgreSQL behind HAProxy with the repository's
 * config (scripts/replicas/haproxy.cfg), started once for both tests, in order: first, a conversation's
 * turns through the proxy stay on one replica, its KV warm; then clients run conversations on both
 * replicas and one of them is killed with {@code kill -9} while it generates: no acknowledged turn is
 * lost (each is in the store, whole), the clients of the dead replica retry and are served by the other,
 * the proxy's health checks on {@code /ready} take the dead one out of the pool, and with no replica left
 * the proxy answers 503. Which replica served an answer: the proxy's {@code X-Jllm-Replica} header.
 * Needs Debian's haproxy (./build installs it).
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ReplicaFailoverTest {
    @TempDir static Path dir;
    static final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    static TestPostgres pg;
    static final List<ChildServer> replicas = new ArrayList<>();
    static Process proxy;
    static int stats;
    static URI base;

    /** A turn the server acknowledged: when its answering attempt was sent, when the answer was read, after how many failed attempts, by which replica. */
    record Ack(String conversation, String responseId, String input, String text, long sentNanos, long atNanos, int attempts, String replica) {}

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    static Path haproxy() {
        for (String p : new String[] {"/usr/sbin/haproxy", "/usr/bin/haproxy", "/usr/local/sbin/haproxy"}) {
            if (Files.isExecutable(Path.of(p))) return Path.of(p);
        }
        return fail("haproxy is not installed, so the replica failover cannot be tested: run ./build (scripts/test-setup.sh installs it)"
                + " or apt-get install -y haproxy");
    }

    /** The repository's HAProxy config with these ports and replicas. */
    static String config(int front, int stats, List<URI> replicas) throws IOException {
        String t = Files.readString(dev.jllm.testkit.TestData.root().getParent().resolve("scripts/replicas/haproxy.cfg"));
        StringBuilder servers = new StringBuilder(), tracked = new StringBuilder();
        for (int i = 0; i < replicas.size(); i++) {
            URI u = replicas.get(i);
            servers.append("    server r").append(i + 1).append(' ').append(u.getHost()).append(':').append(u.getPort()).append(" check\n");
            tracked.append("    server r").append(i + 1).append(' ').append(u.getHost()).append(':').append(u.getPort()).append(" track jllm/r").append(i + 1).append('\n');
        }
        return t.replace("{{FRONTEND}}", "127.0.0.1:" + front).replace("{{STATS}}", "127.0.0.1:" + stats).replace("{{SERVERS}}", servers.toString().stripTrailing())
                .replace("{{TRACKED}}", tracked.toString().stripTrailing());
    }

    /** The proxy's view of its servers: name → status (UP, DOWN, ...), from the stats CSV. */
    static Map<String, String> pool(int stats) throws Exception {
        String csv = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + stats + "/stats;csv")).build(), HttpResponse.BodyHandlers.ofString()).body();
        Map<String, String> m = new java.util.TreeMap<>();
        for (String line : csv.split("\n")) {
            String[] f = line.split(",", -1);
            if (f.length > 17 && f[0].equals("jllm") && f[1].startsWith("r")) m.put(f[1], f[17]);
        }
        return m;
    }

    static HttpResponse<String> post(URI base, String path, String body) throws Exception {
        return http.send(HttpRequest.newBuilder(base.resolve(path)).timeout(Duration.ofSeconds(60)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    @BeforeAll
    static void start() throws Exception {
        Path hap = haproxy();
        Path model = dir.resolve("random-2k.gguf");
        dev.jllm.model.RandomModel.write(new dev.jllm.model.ModelConfig("llama", 128, 384, 2, 4, 4, 32, 512, 2048, 1e-5f, 10000f, true),
                dev.jllm.tensor.GgmlType.Q8_0, 11, model, null);
        pg = new TestPostgres();
        // two JVMs starting at once (each migrates the fresh schema: the advisory lock lets one do it)
        var starting = List.of(0, 1).stream().map(i -> java.util.concurrent.CompletableFuture.supplyAsync(() -> {
            try {
                return ChildServer.start(model, dir.resolve("r" + i), 32L << 20, dir.resolve("r" + i + ".log"), pg.url);
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        })).toList();
        for (var f : starting) replicas.add(f.get(90, TimeUnit.SECONDS));
        int front = freePort();
        stats = freePort();
        Path cfg = dir.resolve("haproxy.cfg");
        Files.writeString(cfg, config(front, stats, replicas.stream().map(r -> r.uri).toList()));
        proxy = new ProcessBuilder(hap.toString(), "-f", cfg.toString(), "-db").redirectErrorStream(true)
                .redirectOutput(dir.resolve("haproxy.log").toFile()).start();
        base = URI.create("http://127.0.0.1:" + front);
        for (long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(30); ; Thread.sleep(100)) {
            try {
                if (pool(stats).equals(Map.of("r1", "UP", "r2", "UP"))) break;
            } catch (IOException notYet) {
                // the proxy is starting
            }
            if (System.nanoTime() > end) fail("the proxy did not see both replicas up: " + Files.readString(dir.resolve("haproxy.log")));
        }
    }

    @AfterAll
    static void stop() throws Exception {
        try {
            if (proxy != null) {
                proxy.destroy();
                proxy.waitFor(10, TimeUnit.SECONDS);
            }
            for (ChildServer r : replicas) r.close();
        } finally {
            if (pg != null) pg.close();
        }
    }

    static String newConversation() throws Exception {
        HttpResponse<String> r = post(base, "/v1/conversations", "{}");
        assertEquals(200, r.statusCode(), r.body());
        return ServerFixture.json(r).get("id").asText();
    }

    /** The replica (r1, r2) the proxy routes a conversation to, by its id's hash: where a GET of it is answered. */
    static String replicaOf(String conv) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(base.resolve("/v1/conversations/" + conv)).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode(), r.body());
        return r.headers().firstValue("x-jllm-replica").orElseThrow(() -> new AssertionError("no X-Jllm-Replica from the proxy: " + r.headers().map()));
    }

    @Test
    @Order(1)
    void aConversationsTurnsThroughTheProxyStayOnOneReplicaWithItsKvWarm() throws Exception {
        Map<String, String> convOf = new java.util.TreeMap<>(); // replica -> a conversation the proxy sends there
        for (int i = 0; i < 40 && convOf.size() < 2; i++) {
            String conv = newConversation();
            convOf.putIfAbsent(replicaOf(conv), conv);
        }
        assertEquals(List.of("r1", "r2"), List.copyOf(convOf.keySet()), "conversation ids hash to both replicas");
        for (var e : convOf.entrySet()) {
            List<String> servedBy = new ArrayList<>();
            List<Integer> cached = new ArrayList<>();
            for (int turn = 1; turn <= 3; turn++) {
                HttpResponse<String> r = post(base, "/v1/responses", "{\"model\":\"random-2k\",\"conversation\":\"" + e.getValue() + "\",\"input\":\"turn "
                        + turn + " of a conversation\",\"max_output_tokens\":16,\"temperature\":0,\"truncation\":\"auto\"}");
                assertEquals(200, r.statusCode(), r.body());
                servedBy.add(r.headers().firstValue("x-jllm-replica").orElse(null));
                cached.add(ServerFixture.json(r).get("usage").get("input_tokens_details").get("cached_tokens").asInt());
            }
            assertEquals(List.of(e.getKey(), e.getKey(), e.getKey()), servedBy, "every turn on the replica the id hashes to");
            // a replica without the conversation's KV prefills the whole history (cached 0, ReplicasTest): > 0 is the warm one
            assertTrue(cached.get(1) > 0 && cached.get(2) > 0, e + ": turns 2 and 3 reuse the KV of the turns before, cached_tokens " + cached);
            System.out.printf("affinity: conversation on %s, served by %s, cached_tokens %s%n", e.getKey(), servedBy, cached);
        }
    }

    @Test
    @Order(2)
    void killingAReplicaUnderLoadLosesNoAcknowledgedTurnAndRetriesAreServedByTheOther() throws Exception {
        // three conversations on each replica (where the proxy routes them), so the one killed is carrying load
        Map<String, List<String>> convsOn = new java.util.TreeMap<>(Map.of("r1", new ArrayList<>(), "r2", new ArrayList<>()));
        for (int i = 0; i < 60 && convsOn.values().stream().anyMatch(l -> l.size() < 3); i++) {
            String conv = newConversation();
            List<String> l = convsOn.get(replicaOf(conv));
            if (l.size() < 3) l.add(conv);
        }
        assertTrue(convsOn.values().stream().allMatch(l -> l.size() == 3), "60 new conversations did not give three on each replica: " + convsOn);
        Map<String, String> home = new java.util.TreeMap<>();
        convsOn.forEach((r, l) -> l.forEach(c -> home.put(c, r)));
        ChildServer victim = replicas.get(0), survivor = replicas.get(1); // r1 and r2 of the proxy's config

        AtomicBoolean stop = new AtomicBoolean();
        ConcurrentLinkedQueue<Ack> acks = new ConcurrentLinkedQueue<>();
        ConcurrentLinkedQueue<String> gaveUp = new ConcurrentLinkedQueue<>();
        Map<String, Integer> retried = new ConcurrentHashMap<>();
        List<Thread> clients = new ArrayList<>();
        for (String conv : home.keySet()) {
            clients.add(Thread.ofVirtual().start(() -> {
                try {
                    for (int turn = 0; !stop.get(); turn++) {
                        String input = "client " + conv.substring(conv.length() - 4) + " turn " + turn;
                        boolean stream = turn % 3 == 2;
                        for (int attempt = 0; ; attempt++) {
                            if (attempt > 100) {
                                gaveUp.add(input);
                                return;
                            }
                            long sent = System.nanoTime();
                            try {
                                HttpResponse<String> r = post(base, "/v1/responses", "{\"model\":\"random-2k\",\"conversation\":\"" + conv
                                        + "\",\"input\":\"" + input + "\",\"max_output_tokens\":48,\"temperature\":0,\"truncation\":\"auto\",\"stream\":" + stream + "}");
                                JsonNode done = r.statusCode() == 200 ? (stream ? completed(r.body()) : ServerFixture.json(r)) : null;
                                if (done != null && done.get("status").asText().matches("completed|incomplete")) {
                                    acks.add(new Ack(conv, done.get("id").asText(), input, done.get("output").get(0).get("content").get(0).get("text").asText(),
                                            sent, System.nanoTime(), attempt, r.headers().firstValue("x-jllm-replica").orElse("?")));
                                    break;
                                }
                            } catch (IOException e) {
                                // the replica died under this request: retry, as a client does
                            }
                            retried.merge(conv, 1, Integer::sum);
                            Thread.sleep(100);
                        }
                    }
                } catch (Exception e) {
                    gaveUp.add(e.toString());
                }
            }));
        }
        // load until every client has turns acknowledged, then kill r1 while it is generating a turn
        for (long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
             home.keySet().stream().anyMatch(c -> acks.stream().filter(a -> a.conversation().equals(c)).count() < 2); Thread.sleep(50)) {
            if (System.nanoTime() > end) fail("no load before the kill: " + acks.size() + " turns; " + gaveUp);
        }
        for (long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10); ; Thread.sleep(2)) {
            JsonNode ready = ServerFixture.json(http.send(HttpRequest.newBuilder(victim.uri.resolve("/ready")).build(), HttpResponse.BodyHandlers.ofString()));
            if (ready.get("running").asInt() > 0) break;
            if (System.nanoTime() > end) fail("r1 generated nothing for 10 s though three clients' conversations hash to it: " + ready);
        }
        long killedAt = System.nanoTime();
        int before = acks.size();
        victim.kill(); // kill -9: no drain, no goodbye to the store
        long deadAt = System.nanoTime();
        long downAt = -1;
        for (long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10); System.nanoTime() < end; Thread.sleep(50)) {
            if ("DOWN".equals(pool(stats).get("r1"))) {
                downAt = System.nanoTime();
                break;
            }
        }
        assertTrue(downAt > 0, "the proxy's health check on /ready took the dead replica out: " + pool(stats));
        assertEquals("UP", pool(stats).get("r2"));
        assertEquals(200, http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + stats + "/ready")).build(),
                HttpResponse.BodyHandlers.ofString()).statusCode(), "the pool still has a replica");
        Thread.sleep(8000); // past the dead replica's lease: its turns in progress are released
        stop.set(true);
        for (Thread t : clients) t.join(120_000);

        assertEquals(List.of(), List.copyOf(gaveUp), "every client's turns got through, retrying");
        for (Ack a : acks) {
            // an answer read before the kill came from the conversation's own replica; a request sent after it was answered by the survivor
            if (a.atNanos() < killedAt) assertEquals(home.get(a.conversation()), a.replica(), "affinity under load: " + a);
            if (a.sentNanos() > deadAt) assertEquals("r2", a.replica(), "after the kill only r2 answers: " + a);
        }
        Map<String, Long> afterKill = new java.util.TreeMap<>();
        for (Ack a : acks) if (a.sentNanos() > deadAt) afterKill.merge(a.conversation(), 1L, Long::sum);
        assertEquals(home.keySet(), afterKill.keySet(), "every client was served after the kill, r1's three by r2: " + afterKill);
        List<Ack> retriedOnSurvivor = acks.stream().filter(a -> home.get(a.conversation()).equals("r1") && a.attempts() > 0 && a.replica().equals("r2")).toList();
        assertFalse(retriedOnSurvivor.isEmpty(), "the turn r1 was generating when killed failed, was retried and answered by r2: retries " + retried);
        // every acknowledged turn is in the store, whole: input then its answer
        for (Ack a : acks) {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(survivor.uri.resolve("/v1/responses/" + a.responseId())).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(200, r.statusCode(), "acknowledged " + a + " is lost: " + r.body());
            JsonNode j = ServerFixture.json(r);
            assertTrue(j.get("status").asText().matches("completed|incomplete"), j.toString());
            assertEquals(a.text(), j.get("output").get(0).get("content").get(0).get("text").asText());
        }
        for (String conv : home.keySet()) {
            JsonNode items = ServerFixture.json(http.send(HttpRequest.newBuilder(survivor.uri.resolve("/v1/conversations/" + conv + "/items?order=asc&limit=100"))
                    .build(), HttpResponse.BodyHandlers.ofString())).get("data");
            assertEquals(0, items.size() % 2, "whole turns only: " + items);
            for (int i = 0; i < items.size(); i += 2) {
                assertEquals("user", items.get(i).get("role").asText());
                assertEquals("assistant", items.get(i + 1).get("role").asText());
            }
            long acked = acks.stream().filter(a -> a.conversation().equals(conv)).count();
            assertTrue(items.size() / 2 >= acked, conv + ": " + items.size() / 2 + " stored turns, " + acked + " acknowledged");
        }
        System.out.printf("failover: %d acknowledged turns (%d before the kill, %d after), %d of r1's answered by r2 after failing, retries by conversation"
                + " %s, dead replica out of the pool after %d ms%n", acks.size(), before, afterKill.values().stream().mapToLong(Long::longValue).sum(),
                retriedOnSurvivor.size(), retried, TimeUnit.NANOSECONDS.toMillis(downAt - killedAt));

        // the last replica gone: the proxy's /ready and the front itself answer 503
        survivor.kill();
        for (long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10); !"DOWN".equals(pool(stats).get("r2")); Thread.sleep(50)) {
            if (System.nanoTime() > end) fail("the proxy did not take the last replica out: " + pool(stats));
        }
        assertEquals(503, http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + stats + "/ready")).build(),
                HttpResponse.BodyHandlers.ofString()).statusCode(), "the proxy's /ready with an empty pool");
        HttpResponse<String> none = post(base, "/v1/responses", "{\"model\":\"random-2k\",\"conversation\":\"" + home.keySet().iterator().next()
                + "\",\"input\":\"anyone?\",\"max_output_tokens\":4}");
        assertEquals(503, none.statusCode(), none.body());
        assertTrue(none.body().contains("No server is available"), none.body());
        assertEquals(503, http.send(HttpRequest.newBuilder(base.resolve("/v1/models")).build(), HttpResponse.BodyHandlers.ofString()).statusCode(),
                "and a request without a conversation");
    }

    /** The response of a streamed turn's response.completed (or .incomplete) event, or null when the stream ended without one. */
    static JsonNode completed(String sse) throws IOException {
        String[] lines = sse.split("\n");
        for (int i = 0; i < lines.length - 1; i++) {
            if ((lines[i].equals("event: response.completed") || lines[i].equals("event: response.incomplete")) && lines[i + 1].startsWith("data: ")) {
                return ServerFixture.JSON.readTree(lines[i + 1].substring(6)).get("response");
            }
        }
        return null;
    }
}

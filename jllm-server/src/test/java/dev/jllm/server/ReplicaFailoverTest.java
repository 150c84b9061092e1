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
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two {@code jllm serve} replicas (separate JVMs) on one PostgreSQL behind HAProxy with the repository's
 * config (scripts/replicas/haproxy.cfg), clients running conversations through the proxy, and a
 * {@code kill -9} of one replica under that load: no acknowledged turn is lost (each is in the store,
 * whole), the clients' retries are served by the other replica, and the proxy's health checks on
 * {@code /ready} take the dead one out of the pool. Needs Debian's haproxy (./build installs it).
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class ReplicaFailoverTest {
    @TempDir Path dir;
    final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    record Ack(String conversation, String responseId, String input, String text, long atNanos) {}

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
    Map<String, String> pool(int stats) throws Exception {
        String csv = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + stats + "/stats;csv")).build(), HttpResponse.BodyHandlers.ofString()).body();
        Map<String, String> m = new java.util.TreeMap<>();
        for (String line : csv.split("\n")) {
            String[] f = line.split(",", -1);
            if (f.length > 17 && f[0].equals("jllm") && f[1].startsWith("r")) m.put(f[1], f[17]);
        }
        return m;
    }

    HttpResponse<String> post(URI base, String path, String body) throws Exception {
        return http.send(HttpRequest.newBuilder(base.resolve(path)).timeout(Duration.ofSeconds(60)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void killingAReplicaUnderLoadLosesNoAcknowledgedTurnAndRetriesAreServedByTheOther() throws Exception {
        Path hap = haproxy();
        Path model = dir.resolve("random-2k.gguf");
        dev.jllm.model.RandomModel.write(new dev.jllm.model.ModelConfig("llama", 128, 384, 2, 4, 4, 32, 512, 2048, 1e-5f, 10000f, true),
                dev.jllm.tensor.GgmlType.Q8_0, 11, model, null);
        try (TestPostgres pg = new TestPostgres()) {
            List<ChildServer> replicas = new ArrayList<>();
            Process proxy = null;
            try {
                // two JVMs starting at once (each migrates the fresh schema: the advisory lock lets one do it)
                var starting = List.of(0, 1).stream().map(i -> java.util.concurrent.CompletableFuture.supplyAsync(() -> {
                    try {
                        return ChildServer.start(model, dir.resolve("r" + i), 32L << 20, dir.resolve("r" + i + ".log"), pg.url);
                    } catch (Exception e) {
                        throw new RuntimeException(e);
                    }
                })).toList();
                for (var f : starting) replicas.add(f.get(90, TimeUnit.SECONDS));
                int front = freePort(), stats = freePort();
                Path cfg = dir.resolve("haproxy.cfg");
                Files.writeString(cfg, config(front, stats, replicas.stream().map(r -> r.uri).toList()));
                proxy = new ProcessBuilder(hap.toString(), "-f", cfg.toString(), "-db").redirectErrorStream(true)
                        .redirectOutput(dir.resolve("haproxy.log").toFile()).start();
                URI base = URI.create("http://127.0.0.1:" + front);
                for (long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(30); ; Thread.sleep(100)) {
                    try {
                        if (pool(stats).equals(Map.of("r1", "UP", "r2", "UP"))) break;
                    } catch (IOException notYet) {
                        // the proxy is starting
                    }
                    if (System.nanoTime() > end) fail("the proxy did not see both replicas up: " + Files.readString(dir.resolve("haproxy.log")));
                }

                AtomicBoolean stop = new AtomicBoolean();
                ConcurrentLinkedQueue<Ack> acks = new ConcurrentLinkedQueue<>();
                ConcurrentLinkedQueue<String> gaveUp = new ConcurrentLinkedQueue<>();
                Map<String, Integer> retried = new ConcurrentHashMap<>();
                List<Thread> clients = new ArrayList<>();
                for (int c = 0; c < 6; c++) {
                    int id = c;
                    clients.add(Thread.ofVirtual().start(() -> {
                        try {
                            String conv = null;
                            for (int attempt = 0; conv == null; attempt++) {
                                try {
                                    HttpResponse<String> r = post(base, "/v1/conversations", "{}");
                                    if (r.statusCode() == 200) conv = ServerFixture.json(r).get("id").asText();
                                } catch (IOException e) {
                                    if (attempt > 50) throw e;
                                }
                            }
                            for (int turn = 0; !stop.get(); turn++) {
                                String input = "client " + id + " turn " + turn;
                                boolean stream = turn % 3 == 2;
                                for (int attempt = 0; ; attempt++) {
                                    if (attempt > 100) {
                                        gaveUp.add(input);
                                        return;
                                    }
                                    try {
                                        HttpResponse<String> r = post(base, "/v1/responses", "{\"model\":\"random-2k\",\"conversation\":\"" + conv
                                                + "\",\"input\":\"" + input + "\",\"max_output_tokens\":48,\"temperature\":0,\"truncation\":\"auto\",\"stream\":" + stream + "}");
                                        JsonNode done = r.statusCode() == 200 ? (stream ? completed(r.body()) : ServerFixture.json(r)) : null;
                                        if (done != null && done.get("status").asText().matches("completed|incomplete")) {
                                            acks.add(new Ack(conv, done.get("id").asText(), input, done.get("output").get(0).get("content").get(0).get("text").asText(),
                                                    System.nanoTime()));
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
                // load until every client has turns acknowledged (some by the replica about to die), then a moment more
                for (long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                     acks.stream().map(Ack::conversation).distinct().count() < 6 || acks.size() < 18; Thread.sleep(50)) {
                    if (System.nanoTime() > end) fail("no load before the kill: " + acks.size() + " turns; " + gaveUp);
                }
                long killedAt = System.nanoTime();
                int before = acks.size();
                replicas.getFirst().kill(); // kill -9: no drain, no goodbye to the store
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
                Map<String, Long> afterKill = new java.util.TreeMap<>();
                for (Ack a : acks) if (a.atNanos() > killedAt) afterKill.merge(a.conversation(), 1L, Long::sum);
                assertEquals(6, afterKill.size(), "every client was served after the kill: " + afterKill);
                // every acknowledged turn is in the store, whole: input then its answer
                URI survivor = replicas.get(1).uri;
                for (Ack a : acks) {
                    HttpResponse<String> r = http.send(HttpRequest.newBuilder(survivor.resolve("/v1/responses/" + a.responseId())).build(),
                            HttpResponse.BodyHandlers.ofString());
                    assertEquals(200, r.statusCode(), "acknowledged " + a + " is lost: " + r.body());
                    JsonNode j = ServerFixture.json(r);
                    assertTrue(j.get("status").asText().matches("completed|incomplete"), j.toString());
                    assertEquals(a.text(), j.get("output").get(0).get("content").get(0).get("text").asText());
                }
                for (String conv : afterKill.keySet()) {
                    JsonNode items = ServerFixture.json(http.send(HttpRequest.newBuilder(survivor.resolve("/v1/conversations/" + conv + "/items?order=asc&limit=100"))
                            .build(), HttpResponse.BodyHandlers.ofString())).get("data");
                    assertEquals(0, items.size() % 2, "whole turns only: " + items);
                    for (int i = 0; i < items.size(); i += 2) {
                        assertEquals("user", items.get(i).get("role").asText());
                        assertEquals("assistant", items.get(i + 1).get("role").asText());
                    }
                    long acked = acks.stream().filter(a -> a.conversation().equals(conv)).count();
                    assertTrue(items.size() / 2 >= acked, conv + ": " + items.size() / 2 + " stored turns, " + acked + " acknowledged");
                }
                System.out.printf("failover: %d acknowledged turns (%d before the kill, %d after), retries by conversation %s, dead replica out"
                        + " of the pool after %d ms%n", acks.size(), before, afterKill.values().stream().mapToLong(Long::longValue).sum(), retried,
                        TimeUnit.NANOSECONDS.toMillis(downAt - killedAt));
            } finally {
                if (proxy != null) {
                    proxy.destroy();
                    proxy.waitFor(10, TimeUnit.SECONDS);
                }
                for (ChildServer r : replicas) r.close();
            }
        }
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

package dev.jllm.eval;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.jllm.server.ChatServer;
import dev.jllm.server.http.AdminKey;
import dev.jllm.server.http.ApiKeys;
import dev.jllm.testkit.TestData;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code --scenario stateful-evict}: the conversation's KV is evicted (jllm's admin endpoint) before
 * every turn after the first, the call is kept out of the turn's TTFT, and what can go wrong is said in
 * one line. A scripted server shows the order of the calls and the timing; a real jllm server
 * (stories260K) shows the evicted turns loading their history from disk.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class EvictScenarioTest {
    static final String ADMIN = "admin-key-0123456789abcdef";
    /** The scripted server's eviction takes this long: far more than its first token (30 ms). */
    static final long EVICT_MS = 1000;

    @TempDir Path dir;
    private HttpServer server;
    private final ConcurrentLinkedQueue<String> calls = new ConcurrentLinkedQueue<>();

    @AfterEach
    void stop() {
        if (server != null) server.stop(0);
    }

    /** mode: "ok", "no-admin" (admin endpoints off), "evict-404" (the eviction fails after the pre-flight check). */
    private URI start(String mode) throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 64);
        server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        server.createContext("/", ex -> {
            try (ex) {
                handle(ex, mode);
            } catch (IOException | InterruptedException e) {
                // the client went away
            }
        });
        server.start();
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    }

    private void handle(HttpExchange ex, String mode) throws IOException, InterruptedException {
        String path = ex.getRequestURI().getPath(), method = ex.getRequestMethod();
        String auth = ex.getRequestHeaders().getFirst("Authorization");
        String body = new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
        if (path.startsWith("/admin/")) {
            calls.add(method + " " + path + " " + body + " auth=" + auth);
            if (mode.equals("no-admin")) {
                send(ex, 404, "{\"error\":{\"message\":\"the admin endpoints are off; start jllm serve with --admin-key FILE to use " + path + "\"}}");
            } else if (!("Bearer " + ADMIN).equals(auth)) {
                send(ex, 401, "{\"error\":{\"message\":\"incorrect admin key\"}}");
            } else if (path.equals("/admin/kv")) {
                send(ex, 200, "{\"object\":\"kv\",\"idle_entries\":0,\"disk\":{\"directory\":\"/d/kv\",\"budget_bytes\":4294967296}}");
            } else if (mode.equals("evict-404")) {
                send(ex, 404, "{\"error\":{\"message\":\"no conversation 'conv_1' on this server\",\"code\":\"conversation_not_found\"}}");
            } else {
                Thread.sleep(EVICT_MS);
                send(ex, 200, "{\"object\":\"kv.eviction\",\"evicted\":1,\"tokens\":40,\"spilled\":1,\"disk\":true,\"data\":[]}");
            }
            return;
        }
        if (path.equals("/v1/models")) {
            send(ex, 200, "{\"object\":\"list\",\"data\":[{\"id\":\"fake\"}]}");
        } else if (path.equals("/v1/chat/completions")) { // calibration: 2 tokens per word + 5
            String content = OpenAiTarget.JSON.readTree(body).path("messages").path(0).path("content").asText();
            send(ex, 200, "{\"usage\":{\"prompt_tokens\":" + (2 * content.split(" ").length + 5) + "}}");
        } else if (path.equals("/v1/conversations") && method.equals("POST")) {
            calls.add("create auth=" + auth);
            send(ex, 200, "{\"id\":\"conv_1\",\"object\":\"conversation\"}");
        } else if (path.startsWith("/v1/conversations/") && method.equals("DELETE")) {
            calls.add("delete");
            send(ex, 200, "{\"deleted\":true}");
        } else if (path.equals("/v1/responses")) {
            calls.add("turn auth=" + auth);
            ex.getResponseHeaders().set("Content-Type", "text/event-stream");
            ex.sendResponseHeaders(200, 0);
            OutputStream out = ex.getResponseBody();
            Thread.sleep(30);
            for (String t : List.of("a", "b")) write(out, "event: response.output_text.delta\ndata: {\"delta\":\"" + t + "\"}\n\n");
            write(out, "event: response.completed\ndata: {\"response\":{\"usage\":{\"input_tokens\":50,\"output_tokens\":2,"
                    + "\"input_tokens_details\":{\"cached_tokens\":40}}}}\n\n");
        } else {
            send(ex, 404, "{\"error\":{\"message\":\"no route\"}}");
        }
    }

    private static void send(HttpExchange ex, int status, String json) throws IOException {
        byte[] b = json.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", "application/json");
        ex.sendResponseHeaders(status, b.length);
        ex.getResponseBody().write(b);
    }

    private static void write(OutputStream out, String s) throws IOException {
        out.write(s.getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    private static LoadtestConfig config(URI url, int turns, String adminKey) {
        return new LoadtestConfig(url, 1, null, null, turns, 20, 2, 0, false, turns, Scenario.STATEFUL_EVICT, Slo.NONE, null, "user-key", 1,
                Duration.ofSeconds(30), adminKey, null);
    }

    private static List<LoadRunner.Run> run(LoadtestConfig c, List<Scenario> s, List<String> labels) throws Exception {
        return Loadtest.run(c, s, labels, new PrintWriter(new StringWriter()));
    }

    @Test
    void theEvictionComesBeforeEveryTurnAfterTheFirstAndIsNotPartOfItsTtft() throws Exception {
        LoadRunner.Run run = run(config(start("ok"), 3, ADMIN), List.of(Scenario.STATEFUL_EVICT), List.of("disk")).getFirst();
        assertEquals(3, run.summary().completed(), run.summary().errors() + " " + run.summary().errorSamples());
        List<String> seen = calls.stream().map(c -> c.replaceAll(" auth=.*", "")).toList();
        assertEquals(List.of("GET /admin/kv ", "create", "turn", "POST /admin/kv/evict {\"conversation\":\"conv_1\"}", "turn",
                "POST /admin/kv/evict {\"conversation\":\"conv_1\"}", "turn", "delete"), seen, "the pre-flight check, then evict before turns 2 and 3");
        for (String c : calls) {
            if (c.contains("/admin/")) assertTrue(c.endsWith("auth=Bearer " + ADMIN), "admin calls carry the admin key: " + c);
            else if (!c.equals("delete")) assertTrue(c.endsWith("auth=Bearer user-key"), "the others the user's key: " + c);
        }
        for (RequestResult r : run.requests()) {
            assertTrue(r.ttftNanos() < EVICT_MS * 1_000_000L, "turn " + (r.turn() + 1) + ": the " + EVICT_MS + " ms eviction is not in the TTFT: "
                    + r.ttftNanos() / 1e6 + " ms");
            assertTrue(r.e2eNanos() < EVICT_MS * 1_000_000L, "nor in the end-to-end time");
        }
        RequestResult t2 = run.requests().stream().filter(r -> r.turn() == 1).findFirst().orElseThrow();
        RequestResult t1 = run.requests().stream().filter(r -> r.turn() == 0).findFirst().orElseThrow();
        assertTrue(t2.startNanos() - t1.startNanos() >= EVICT_MS * 1_000_000L, "turn 2 starts after the eviction answered");
        Evictions.Snapshot e = run.evictions();
        assertEquals(new Evictions.Snapshot(2, 2, 2, 80, e.meanMs(), true), e);
        assertTrue(e.meanMs() >= EVICT_MS, "the calls' own time is reported: " + e.meanMs());
        assertEquals("disk", run.config().name());
        Map<String, Object> json = ResultJson.of(run);
        assertEquals("disk", json.get("label"));
        assertEquals("stateful-evict", json.get("scenario"));
        assertEquals("openai-responses", json.get("backend"));
        assertTrue(json.get("kv_evictions").toString().contains("spilled=2"), json.get("kv_evictions").toString());
        StringWriter table = new StringWriter();
        ResultTable.print(run, new PrintWriter(table));
        assertTrue(table.toString().contains("disk (stateful-evict), 3 turns") && table.toString().contains("Written to the server's disk:"), table.toString());
    }

    @Test
    void whatCanGoWrongIsOneLine() throws Exception {
        var missing = assertThrows(IllegalArgumentException.class, () -> config(URI.create("http://127.0.0.1:1"), 3, null));
        assertTrue(missing.getMessage().contains("--admin-key") && missing.getMessage().contains("JLLM_ADMIN_KEY"), missing.getMessage());
        var oneTurn = assertThrows(IllegalArgumentException.class, () -> config(URI.create("http://127.0.0.1:1"), 1, ADMIN));
        assertTrue(oneTurn.getMessage().contains("--turns 2 or more"), oneTurn.getMessage());
        // a stateful run first, then stateful-evict without a key: refused before the server is contacted
        LoadtestConfig statefulFirst = config(URI.create("http://127.0.0.1:1"), 3, ADMIN).withScenario(Scenario.STATEFUL);
        LoadtestConfig noKey = new LoadtestConfig(statefulFirst.url(), 1, null, null, 3, 20, 2, 0, false, 3, Scenario.STATEFUL, Slo.NONE, null, null, 1,
                Duration.ofSeconds(5));
        var late = assertThrows(IllegalArgumentException.class, () -> run(noKey, List.of(Scenario.STATEFUL, Scenario.STATEFUL_EVICT), null));
        assertTrue(late.getMessage().contains("--admin-key"), late.getMessage());
        var labels = assertThrows(IllegalArgumentException.class, () -> run(statefulFirst, List.of(Scenario.STATEFUL, Scenario.STATEFUL_EVICT),
                List.of("x")));
        assertTrue(labels.getMessage().contains("one per --scenario"), labels.getMessage());
        var same = assertThrows(IllegalArgumentException.class, () -> run(statefulFirst, List.of(Scenario.STATEFUL, Scenario.STATEFUL_EVICT),
                List.of("x", "x")));
        assertTrue(same.getMessage().contains("two runs are named 'x'"), same.getMessage());
        assertTrue(calls.isEmpty());

        URI url = start("ok");
        IOException wrongKey = assertThrows(IOException.class, () -> run(config(url, 3, "not-the-admin-key-at-all"), List.of(Scenario.STATEFUL_EVICT), null));
        assertTrue(wrongKey.getMessage().contains("refused the admin key") && wrongKey.getMessage().contains("--admin-key"), wrongKey.getMessage());
        assertFalse(calls.stream().anyMatch(c -> c.startsWith("create")), "no conversation is started with a refused key");
        server.stop(0);

        URI off = start("no-admin");
        IOException noAdmin = assertThrows(IOException.class, () -> run(config(off, 3, ADMIN), List.of(Scenario.STATEFUL_EVICT), null));
        assertTrue(noAdmin.getMessage().contains("admin endpoints off") && noAdmin.getMessage().contains("jllm serve with --admin-key FILE"),
                noAdmin.getMessage());
        server.stop(0);

        LoadRunner.Run failing = run(config(start("evict-404"), 3, ADMIN), List.of(Scenario.STATEFUL_EVICT), null).getFirst();
        assertEquals(1, failing.summary().completed(), "turn 1 ran; the failed eviction ends the conversation");
        assertEquals(Map.of("evict: HTTP 404", 1), failing.summary().errors());
        assertTrue(failing.summary().errorSamples().get("evict: HTTP 404").contains("no conversation 'conv_1'"), failing.summary().errorSamples().toString());
    }

    @Test
    void againstJllmTheEvictedTurnsLoadTheirHistoryFromDisk() throws Exception {
        ChatServer.Options o = ChatServer.Options.defaults(TestData.path("models/stories260K.gguf"), dir, ApiKeys.disabled()).withPort(0)
                .withResources(2, 4L << 20).withAdminKey(AdminKey.of(ADMIN));
        ChatServer jllm = ChatServer.start(o.withLimits(4, 16, 8, o.maxBodyBytes(), o.heartbeatMillis()));
        try {
            // stories260K has a 128-token context: 2 short turns fit
            LoadtestConfig c = new LoadtestConfig(jllm.uri(), 1, null, null, 4, 6, 4, 0, true, 2, Scenario.STATEFUL, Slo.NONE, null, null, 7,
                    Duration.ofSeconds(60), ADMIN, null);
            List<LoadRunner.Run> runs = run(c, List.of(Scenario.STATEFUL, Scenario.STATEFUL_EVICT), null);
            LoadRunner.Run warm = runs.get(0), evicted = runs.get(1);
            assertNull(warm.evictions(), "the warm run evicts nothing");
            assertEquals(4, evicted.summary().completed(), evicted.summary().errors() + " " + evicted.summary().errorSamples());
            Evictions.Snapshot e = evicted.evictions();
            assertEquals(2, e.calls());
            assertEquals(2, e.evicted(), "each conversation's KV was resident after its first turn: " + e);
            assertEquals(2, e.spilled(), "and went to disk: " + e);
            assertTrue(e.disk());
            Summary.TurnStats t2 = evicted.summary().perTurn().get(1);
            assertEquals(e.tokens() / 2.0, t2.meanCachedTokens(), 1e-9, "turn 2 found the evicted history, all of it, on disk: " + t2);
            Summary.TurnStats t1 = evicted.summary().perTurn().get(0);
            assertEquals(t1.meanPromptTokens() + 4 - 1, t2.meanCachedTokens(), 1e-9, "turn 1's prompt and 4 tokens of answer, the last never fed");
            assertTrue(warm.summary().perTurn().get(1).meanCachedTokens() > t1.meanPromptTokens(), "the warm run kept its history in memory");
            Path json = dir.resolve("evict.json");
            ResultJson.write(runs, json);
            JsonNode j = OpenAiTarget.JSON.readTree(json.toFile());
            assertEquals(2, j.get("stateful-evict").get("kv_evictions").get("spilled").asInt());
            List<ResultJson.PerTurn> back = ResultJson.readPerTurn(json);
            assertEquals(List.of("stateful", "stateful-evict"), back.stream().map(ResultJson.PerTurn::name).toList());
            assertEquals(2, back.get(1).rows().size());
            assertTrue(back.get(1).columns().containsAll(List.of("turn", "mean_ttft_ms", "mean_cached_tokens")), back.get(1).columns().toString());
        } finally {
            jllm.shutdown();
        }
    }
}

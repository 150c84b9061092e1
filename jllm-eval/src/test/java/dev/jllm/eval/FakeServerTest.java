package dev.jllm.eval;

import static org.junit.jupiter.api.Assertions.*;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A scripted server on 127.0.0.1 for what a real one does not do on demand: known chunk timing,
 * 429s, streams that stall, API-key refusals.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class FakeServerTest {
    private HttpServer server;

    private URI start(String mode) throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 64);
        server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        server.createContext("/", ex -> {
            try (ex) {
                handle(ex, mode);
            } catch (IOException | InterruptedException e) {
                // the client went away (the stall test closes the stream on purpose)
            }
        });
        server.start();
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    }

    @AfterEach
    void stop() {
        if (server != null) server.stop(0);
    }

    private static void handle(HttpExchange ex, String mode) throws IOException, InterruptedException {
        String path = ex.getRequestURI().getPath();
        String body = new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
        if (mode.equals("401")) {
            send(ex, 401, "{\"error\":{\"message\":\"missing API key\"}}");
        } else if (path.equals("/v1/models")) {
            send(ex, 200, "{\"object\":\"list\",\"data\":[{\"id\":\"fake\"}]}");
        } else if (!body.contains("\"stream\":true")) { // calibration: 2 tokens per word + 5 for the template
            var content = OpenAiTarget.JSON.readTree(body).path("messages").path(0).path("content").asText();
            send(ex, 200, "{\"usage\":{\"prompt_tokens\":" + (2 * content.split(" ").length + 5) + "}}");
        } else if (mode.equals("429")) {
            send(ex, 429, "{\"error\":{\"message\":\"busy\"}}");
        } else {
            ex.getResponseHeaders().set("Content-Type", "text/event-stream");
            ex.sendResponseHeaders(200, 0);
            OutputStream out = ex.getResponseBody();
            write(out, "data: {\"choices\":[{\"delta\":{\"role\":\"assistant\",\"content\":\"\"}}]}\n\n: ping\n\n");
            if (mode.equals("stall")) {
                for (int i = 0; i < 300; i++) { // heartbeats only, never a token: 30 s at most
                    Thread.sleep(100);
                    write(out, ": ping\n\n");
                }
                return;
            }
            Thread.sleep(30);
            for (String t : List.of("a", "b", "c")) {
                write(out, "data: {\"choices\":[{\"delta\":{\"content\":\"" + t + "\"}}]}\n\n");
                Thread.sleep(25);
            }
            write(out, "data: {\"choices\":[{\"delta\":{},\"finish_reason\":\"length\"}]}\n\n");
            write(out, "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":17,\"completion_tokens\":3}}\n\ndata: [DONE]\n\n");
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

    private static LoadtestConfig config(URI url, int requests, Duration timeout) {
        return new LoadtestConfig(url, 2, null, null, requests, 20, 3, 0, false, 1, Scenario.STATELESS, Slo.NONE, null, null, 1, timeout);
    }

    private static LoadRunner.Run run(LoadtestConfig c) throws Exception {
        return Loadtest.run(c, List.of(Scenario.STATELESS), new PrintWriter(new StringWriter())).getFirst();
    }

    @Test
    void timingsFollowTheChunksNotTheRoleChunkOrHeartbeats() throws Exception {
        LoadRunner.Run run = run(config(start("ok"), 3, Duration.ofSeconds(30)));
        assertEquals(3, run.summary().completed(), run.summary().errors().toString());
        for (RequestResult r : run.requests()) {
            assertEquals(17, r.promptTokens());
            assertEquals(3, r.outputTokens());
            assertTrue(r.ttftNanos() >= 30_000_000L, "the role chunk comes at once, the first text 30 ms later: " + r.ttftNanos());
            assertEquals(2, r.itlNanos().length, "3 text chunks, 2 gaps");
            // the server sends text chunk k at 30 + 25·(k-1) ms: a chunk can arrive late (then the next gap shrinks, to ~0 on a
            // loaded machine), never early, so each chunk's arrival time since the request is bounded below; timings taken from
            // the role chunk or heartbeats, or chunks coalesced, would break these bounds or the count of gaps
            long arrival = r.ttftNanos();
            for (int k = 0; k < r.itlNanos().length; k++) {
                assertTrue(r.itlNanos()[k] >= 0, "gaps are measured forwards: " + java.util.Arrays.toString(r.itlNanos()));
                arrival += r.itlNanos()[k];
                assertTrue(arrival >= (30 + 25 * (k + 1)) * 1_000_000L, "text chunk " + (k + 2) + " cannot arrive before it is sent: "
                        + r.ttftNanos() + " + " + java.util.Arrays.toString(r.itlNanos()));
            }
            assertTrue(r.e2eNanos() - r.ttftNanos() >= 70_000_000L, "2 gaps and the wait before [DONE]");
        }
        assertEquals(3 * 17, run.summary().totalInputTokens());
        assertEquals(9, run.summary().totalOutputTokens());
    }

    @Test
    void calibrationSizesPromptsOnTheServersTokenizer() throws Exception {
        URI url = start("ok");
        try (OpenAiTarget t = new OpenAiTarget(url, null, Duration.ofSeconds(10))) {
            PromptSource p = PromptSource.calibrate(t, "fake", 3);
            assertEquals(2.0, p.tokensPerWord(), 1e-12);
            assertEquals(50, p.message(0, 0, 100).split(" ").length);
            assertEquals(p.message(4, 2, 100), new PromptSource(3, 2.0).message(4, 2, 100), "same seed, same prompt");
            assertNotEquals(p.message(4, 2, 100), p.message(4, 3, 100));
        }
    }

    @Test
    void rejectionsAreCountedByKindAndTheRunEnds() throws Exception {
        LoadRunner.Run run = run(config(start("429"), 4, Duration.ofSeconds(30)));
        assertEquals(0, run.summary().completed());
        assertEquals(Map.of("HTTP 429", 4), run.summary().errors());
    }

    @Test
    void aStreamThatNeverProducesATokenTimesOut() throws Exception {
        long t0 = System.nanoTime();
        LoadRunner.Run run = run(config(start("stall"), 2, Duration.ofSeconds(1)));
        assertEquals(Map.of("timeout", 2), run.summary().errors());
        assertTrue((System.nanoTime() - t0) / 1e9 < 15, "two 1 s timeouts side by side");
    }

    @Test
    void setupErrorsAreOneLine() throws Exception {
        IOException e = assertThrows(IOException.class, () -> run(config(start("401"), 1, Duration.ofSeconds(5))));
        assertTrue(e.getMessage().contains("requires an API key: pass --api-key") && e.getMessage().contains("missing API key"), e.getMessage());
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        IOException refused = assertThrows(IOException.class, () -> run(config(URI.create("http://127.0.0.1:" + port), 1, Duration.ofSeconds(5))));
        assertTrue(refused.getMessage().startsWith("cannot connect to http://127.0.0.1:" + port), refused.getMessage());
    }

    @Test
    void rangeRatioDrawsLengthsWithinTheRangeReproducibly() {
        LoadtestConfig c = new LoadtestConfig(URI.create("http://127.0.0.1:1"), 1, null, null, 1, 100, 50, 0.5, true, 1, Scenario.STATELESS, null,
                null, null, 5, Duration.ofSeconds(1));
        java.util.Set<Integer> outs = new java.util.HashSet<>();
        for (int i = 0; i < 200; i++) {
            int[] l = c.lengths(i, 0);
            assertTrue(l[0] >= 50 && l[0] <= 150 && l[1] >= 25 && l[1] <= 75, java.util.Arrays.toString(l));
            assertArrayEquals(l, c.lengths(i, 0));
            outs.add(l[1]);
        }
        assertTrue(outs.size() > 20, "lengths vary: " + outs);
        LoadtestConfig fixed = new LoadtestConfig(c.url(), 1, null, null, 1, 100, 50, 0, true, 1, Scenario.STATELESS, null, null, null, 5,
                Duration.ofSeconds(1));
        assertArrayEquals(new int[] {100, 50}, fixed.lengths(3, 0), "ratio 0: the given lengths");
    }

    @Test
    void configurationErrorsNameTheOption() {
        URI u = URI.create("http://127.0.0.1:1");
        assertThrows(IllegalArgumentException.class, () -> new LoadtestConfig(u, null, null, null, 1, 1, 1, 0, false, 1, Scenario.STATELESS, null, null,
                null, 0, Duration.ofSeconds(1)), "--concurrency or --rate");
        var e = assertThrows(IllegalArgumentException.class, () -> new LoadtestConfig(URI.create("ftp://x"), 1, null, null, 1, 1, 1, 0, false, 1,
                Scenario.STATELESS, null, null, null, 0, Duration.ofSeconds(1)));
        assertTrue(e.getMessage().startsWith("--url"), e.getMessage());
        var r = assertThrows(IllegalArgumentException.class, () -> new LoadtestConfig(u, 1, null, null, 1, 1, 1, 1.0, false, 1,
                Scenario.STATELESS, null, null, null, 0, Duration.ofSeconds(1)));
        assertTrue(r.getMessage().startsWith("--range-ratio"), r.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new LoadtestConfig(u, 1, null, null, null, 1, 1, 0, false, 1, Scenario.STATELESS, null, null,
                null, 0, Duration.ofSeconds(1)), "--duration or --requests");
    }
}

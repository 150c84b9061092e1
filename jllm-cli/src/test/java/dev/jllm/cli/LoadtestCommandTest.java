package dev.jllm.cli;

import dev.jllm.testkit.TestData;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jllm.server.http.ApiKeys;
import dev.jllm.server.ChatServer;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** {@code jllm loadtest} against a stories260K server in-process on 127.0.0.1: the table, --json, --plot, one-line errors. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class LoadtestCommandTest {
    @TempDir Path dir;

    private record Result(int code, String out, String err) {}

    private static Result run(String... args) {
        StringWriter out = new StringWriter(), err = new StringWriter();
        int code = Main.run(args, new PrintWriter(out, true), new PrintWriter(err, true));
        return new Result(code, out.toString(), err.toString());
    }

    @Test
    void printsVllmsTableAndWritesJsonAndPlot() throws Exception {
        ChatServer.Options o = ChatServer.Options.defaults(TestData.path("models/stories260K.gguf"), dir, ApiKeys.disabled()).withPort(0)
                .withResources(2, 4L << 20);
        ChatServer server = ChatServer.start(o.withLimits(4, 16, 8, o.maxBodyBytes(), o.heartbeatMillis()));
        try {
            Path json = dir.resolve("out/r.json"), png = dir.resolve("out/r.png");
            Result r = run("loadtest", "--url", server.uri().toString(), "--concurrency", "2", "--requests", "4", "--prompt-tokens", "10",
                    "--max-tokens", "5", "--slo-ttft", "60000", "--json", json.toString(), "--plot", png.toString());
            assertEquals(0, r.code(), r.err());
            for (String label : new String[] {"============ Serving Benchmark Result ============", "Successful requests:", "Request goodput (req/s):",
                "Output token throughput (tok/s):", "Mean TTFT (ms):", "P99 TPOT (ms):", "Median ITL (ms):", "P90 E2EL (ms):"}) {
                assertTrue(r.out().contains(label), label + " in\n" + r.out());
            }
            assertTrue(r.out().matches("(?s).*Successful requests:\\s+4\\n.*"), r.out());
            JsonNode j = new ObjectMapper().readTree(json.toFile());
            assertEquals(4, j.get("completed").asInt());
            assertEquals(j.get("request_throughput").asDouble(), j.get("goodput").asDouble(), 1e-9, "a 60 s TTFT objective: every request is good");
            byte[] b = Files.readAllBytes(png);
            assertTrue(b.length > 1000 && b[1] == 'P' && b[2] == 'N' && b[3] == 'G');
        } finally {
            server.shutdown();
        }
    }

    @Test
    void statefulEvictRunsBesideStatefulAndItsJsonGoesToJllmPlot() throws Exception {
        String admin = "admin-key-0123456789abcdef";
        ChatServer.Options o = ChatServer.Options.defaults(TestData.path("models/stories260K.gguf"), dir, ApiKeys.disabled()).withPort(0)
                .withResources(2, 4L << 20).withAdminKey(dev.jllm.server.http.AdminKey.of(admin));
        ChatServer server = ChatServer.start(o.withLimits(4, 16, 8, o.maxBodyBytes(), o.heartbeatMillis()));
        try {
            String url = server.uri().toString();
            Path json = dir.resolve("a.json"), png = dir.resolve("a.png"), one = dir.resolve("b.json"), both = dir.resolve("both.png");
            // stories260K's 128-token context: 2 short turns
            Result r = run("loadtest", "--url", url, "--concurrency", "1", "--requests", "2", "--turns", "2", "--prompt-tokens", "6", "--max-tokens", "4",
                    "--ignore-eos", "--scenario", "stateful,stateful-evict", "--label", "warm,disk", "--admin-key", admin, "--json", json.toString(),
                    "--plot", png.toString());
            assertEquals(0, r.code(), r.err());
            assertTrue(r.out().contains("warm (stateful), 2 turns") && r.out().contains("disk (stateful-evict), 2 turns"), r.out());
            assertTrue(r.out().matches("(?s).*Written to the server's disk:\\s+1\\n.*"), r.out());
            assertTrue(r.out().contains("disk TTFT ms") && r.out().contains("warm TTFT ms"), "the per-turn comparison names the runs: " + r.out());
            assertTrue(r.err().contains("the server has a KV disk tier"), r.err());
            JsonNode j = new ObjectMapper().readTree(json.toFile());
            assertEquals(1, j.get("disk").get("kv_evictions").get("spilled").asInt(), j.toString());
            assertTrue(j.get("disk").get("per_turn").get(1).get("mean_cached_tokens").asDouble() > 0);
            assertTrue(Files.size(png) > 1000);
            Result single = run("loadtest", "--url", url, "--concurrency", "1", "--requests", "2", "--turns", "2", "--prompt-tokens", "6",
                    "--max-tokens", "4", "--ignore-eos", "--scenario", "stateful-evict", "--label", "again", "--admin-key", admin, "--json", one.toString());
            assertEquals(0, single.code(), single.err());
            Result plot = run("plot", "--loadtest", json.toString(), "--loadtest", "re-run=" + one, "--metric", "mean_ttft_ms=mean TTFT (ms)",
                    "--metric", "mean_cached_tokens", "--out", both.toString());
            assertEquals(0, plot.code(), plot.err());
            assertTrue(plot.out().contains("2 panels, 3 runs"), plot.out());

            Result noKey = run("loadtest", "--url", url, "--concurrency", "1", "--requests", "2", "--turns", "2", "--prompt-tokens", "6",
                    "--max-tokens", "4", "--scenario", "stateful-evict");
            if (System.getenv("JLLM_ADMIN_KEY") == null) {
                assertEquals(1, noKey.code());
                assertTrue(noKey.err().contains("--scenario stateful-evict") && noKey.err().contains("--admin-key KEY or set JLLM_ADMIN_KEY"), noKey.err());
            }
            Result unused = run("loadtest", "--url", url, "--concurrency", "1", "--requests", "2", "--turns", "2", "--prompt-tokens", "6",
                    "--max-tokens", "4", "--scenario", "stateful", "--admin-key", admin);
            assertEquals(1, unused.code());
            assertEquals("jllm: error: --admin-key is used only by --scenario stateful-evict (its eviction calls); this run has stateful", unused.err().strip());
            Result twice = run("loadtest", "--url", url, "--concurrency", "1", "--requests", "2", "--prompt-tokens", "6", "--max-tokens", "4",
                    "--scenario", "stateful,stateful");
            assertEquals(1, twice.code());
            assertTrue(twice.err().contains("names a scenario twice"), twice.err());
        } finally {
            server.shutdown();
        }
    }

    @Test
    void unreachableServerIsOneLine() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        Result r = run("loadtest", "--url", "http://127.0.0.1:" + port, "--concurrency", "1", "--requests", "1", "--prompt-tokens", "8",
                "--max-tokens", "4");
        assertEquals(1, r.code());
        assertEquals("jllm: error: cannot connect to http://127.0.0.1:" + port + "/: connection refused (is the server running? start one with"
                + " `jllm serve`)", r.err().strip());
    }

    @Test
    void arrivalsAndLengthAreRequired() {
        Result r = run("loadtest", "--url", "http://127.0.0.1:1", "--prompt-tokens", "8", "--max-tokens", "4", "--requests", "1");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("--concurrency") && r.err().contains("--rate"), r.err());
        Result bad = run("loadtest", "--url", "http://127.0.0.1:1", "--concurrency", "1", "--requests", "1", "--prompt-tokens", "8",
                "--max-tokens", "4", "--scenario", "cached");
        assertEquals(1, bad.code());
        assertTrue(bad.err().startsWith("jllm: error: --scenario must be stateless, stateless-cold, stateful or stateful-evict") && bad.err().contains("'cached'"), bad.err());
    }
}

package dev.jllm.eval;

import dev.jllm.testkit.TestData;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import dev.jllm.server.http.ApiKeys;
import dev.jllm.server.ChatServer;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Short load tests against a real jllm server (stories260K) started in-process on 127.0.0.1. */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class LoadtestServerTest {
    @TempDir static Path dir;
    static ChatServer server;

    @BeforeAll
    static void start() throws Exception {
        ChatServer.Options o = ChatServer.Options.defaults(TestData.path("models/stories260K.gguf"), dir, ApiKeys.disabled()).withPort(0)
                .withResources(2, 4L << 20);
        server = ChatServer.start(o.withLimits(4, 16, 8, o.maxBodyBytes(), o.heartbeatMillis()));
        assertTrue(server.uri().getHost().equals("127.0.0.1"), "tests only load loopback servers");
    }

    @AfterAll
    static void stop() {
        server.shutdown();
    }

    private static LoadtestConfig config(Integer concurrency, Double rate, Duration duration, Integer requests, int turns) {
        return config(concurrency, rate, duration, requests, turns, 12, 6);
    }

    private static LoadtestConfig config(Integer concurrency, Double rate, Duration duration, Integer requests, int turns, int prompt, int max) {
        return new LoadtestConfig(server.uri(), concurrency, rate, duration, requests, prompt, max, 0, true, turns, Scenario.STATELESS, Slo.NONE, null, null, 7,
                Duration.ofSeconds(60));
    }

    private static List<LoadRunner.Run> run(LoadtestConfig c, Scenario... s) throws Exception {
        return Loadtest.run(c, List.of(s), new PrintWriter(new StringWriter()));
    }

    @Test
    void shortRunWritesVllmKeysWithConsistentNumbers() throws Exception {
        LoadRunner.Run run = run(config(2, null, null, 6, 1), Scenario.STATELESS).getFirst();
        Path json = dir.resolve("r.json");
        ResultJson.write(List.of(run), json);
        JsonNode j = OpenAiTarget.JSON.readTree(json.toFile());
        for (String k : List.of("completed", "total_input_tokens", "total_output_tokens", "request_throughput", "output_throughput",
                "total_token_throughput", "duration", "goodput", "request_goodput", "input_lens", "output_lens", "ttfts", "itls", "errors")) {
            assertTrue(j.has(k), "missing key " + k);
        }
        for (String m : List.of("ttft", "tpot", "itl", "e2el")) {
            for (String stat : List.of("mean", "median", "std", "p90", "p99")) assertTrue(j.has(stat + "_" + m + "_ms"), stat + "_" + m + "_ms");
            double median = j.get("median_" + m + "_ms").asDouble(), p90 = j.get("p90_" + m + "_ms").asDouble(), p99 = j.get("p99_" + m + "_ms").asDouble();
            assertTrue(0 < median && median <= p90 && p90 <= p99, m + ": " + median + " " + p90 + " " + p99);
        }
        assertEquals(6, j.get("completed").asInt(), j.get("error_kinds").toString());
        assertEquals(0, j.get("failed").asInt());
        assertEquals("stories260K", j.get("model_id").asText());
        double duration = j.get("duration").asDouble();
        assertEquals(6 / duration, j.get("request_throughput").asDouble(), 1e-9);
        long out = 0, in = 0;
        for (JsonNode n : j.get("output_lens")) out += n.asLong();
        for (JsonNode n : j.get("input_lens")) in += n.asLong();
        assertEquals(out, j.get("total_output_tokens").asLong());
        assertEquals(in, j.get("total_input_tokens").asLong());
        assertEquals(out / duration, j.get("output_throughput").asDouble(), 1e-9);
        assertEquals((in + out) / duration, j.get("total_token_throughput").asDouble(), 1e-9);
        for (RequestResult r : run.requests()) {
            assertTrue(r.promptTokens() >= 12, "the prompt holds ~12 tokens of text plus the template: " + r.promptTokens());
            assertEquals(6, r.outputTokens(), "max_tokens 6 with ignore_eos");
            assertTrue(r.ttftNanos() > 0 && r.ttftNanos() <= r.e2eNanos());
            long itlSum = 0;
            for (long g : r.itlNanos()) itlSum += g;
            assertTrue(itlSum <= r.e2eNanos() - r.ttftNanos(), "gaps between text chunks fit between the first token and the end");
            if (r.outputTokens() > 1) {
                assertEquals((double) (r.e2eNanos() - r.ttftNanos()) / (r.outputTokens() - 1), r.tpotNanos(), 1e-6);
            }
        }
        double meanTpot = run.requests().stream().filter(r -> r.outputTokens() > 1).mapToDouble(RequestResult::tpotNanos).average().orElseThrow();
        assertEquals(meanTpot / 1e6, j.get("mean_tpot_ms").asDouble(), 1e-6);
        assertTrue(j.get("goodput").isNull(), "no SLO given");
    }

    @Test
    void statefulAndStatelessCarryTheHistoryAndStatefulReusesTheKv() throws Exception {
        // stories260K has a 128-token context and ChatML costs it ~35 tokens a message (no special tokens): 2 short turns fit
        List<LoadRunner.Run> runs = run(config(2, null, null, 4, 2, 6, 4), Scenario.STATELESS, Scenario.STATEFUL, Scenario.STATELESS_COLD);
        for (LoadRunner.Run r : runs) {
            assertEquals(4, r.summary().completed(), r.config().scenario() + " " + r.summary().errors() + " " + r.summary().errorSamples() + " " + r.summary().perTurn());
            assertEquals(2, r.summary().perTurn().size());
            List<Summary.TurnStats> t = r.summary().perTurn();
            assertTrue(t.get(1).meanPromptTokens() > t.get(0).meanPromptTokens() + 6, "both carry the history: the prompt grows with the turn " + t);
        }
        assertEquals(runs.get(0).config().seed() + 1_000_003L, runs.get(1).config().seed(), "the second scenario gets its own prompt text");
        Summary.TurnStats statefulTurn2 = runs.get(1).summary().perTurn().get(1);
        assertTrue(statefulTurn2.meanCachedTokens() > 0, "the server kept the conversation's KV: " + statefulTurn2);
        for (Summary.TurnStats t : runs.get(2).summary().perTurn()) assertEquals(0, t.meanCachedTokens(), "cache_prompt false: no reuse " + t);
        StringWriter table = new StringWriter();
        ResultTable.compareTurns(runs, new PrintWriter(table));
        assertTrue(table.toString().contains("stateful TTFT ms") && table.toString().contains("stateless-cold TTFT ms"), table.toString());
        List<Summary.TurnStats> st = runs.get(1).summary().perTurn();
        assertTrue(table.toString().contains(String.format(java.util.Locale.ROOT, "%.2fx", st.get(1).ttft().mean() / st.get(0).ttft().mean())),
                "the last/first TTFT ratio of each scenario: " + table);
        Path png = dir.resolve("turns.png");
        ResultPlot.write(runs, png);
        byte[] b = Files.readAllBytes(png);
        assertTrue(b.length > 1000 && b[1] == 'P' && b[2] == 'N' && b[3] == 'G', "a PNG");
    }

    @Test
    void poissonArrivalsWithACapStopAtTheRequestCount() throws Exception {
        LoadRunner.Run run = run(config(2, 50.0, null, 5, 1), Scenario.STATELESS).getFirst();
        assertEquals(5, run.issued());
        assertEquals(5, run.summary().completed(), run.summary().errors().toString());
    }

    @Test
    void durationAloneEndsTheRun() throws Exception {
        long t0 = System.nanoTime();
        LoadRunner.Run run = run(config(1, null, Duration.ofMillis(1500), null, 1), Scenario.STATELESS).getFirst();
        double wall = (System.nanoTime() - t0) / 1e9;
        assertTrue(run.issued() >= 1);
        assertTrue(wall < 60, "no request starts after 1.5 s and each is short: " + wall);
        // the budget is checked just before a request is built: allow 100 ms between that check and the send
        assertTrue(run.requests().stream().allMatch(r -> r.startNanos() < 1_600_000_000L), "a request started after the duration");
    }

    @Test
    void unknownModelIsOneClearError() {
        LoadtestConfig c = config(1, null, null, 1, 1).withModel("gpt-4");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> run(c, Scenario.STATELESS));
        assertTrue(e.getMessage().contains("model 'gpt-4' is not served") && e.getMessage().contains("stories260K"), e.getMessage());
    }
}

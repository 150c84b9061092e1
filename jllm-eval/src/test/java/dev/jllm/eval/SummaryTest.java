package dev.jllm.eval;

import static org.junit.jupiter.api.Assertions.*;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The metric math on hand-made timings; expected values worked out by hand in the comments. */
class SummaryTest {
    private static final long MS = 1_000_000;

    private static RequestResult ok(int turn, int prompt, int out, long ttftMs, long e2eMs, long... itlMs) {
        long[] itl = new long[itlMs.length];
        for (int i = 0; i < itl.length; i++) itl[i] = itlMs[i] * MS;
        return new RequestResult(0, turn, 0, null, null, prompt, prompt / 2, out, ttftMs * MS, e2eMs * MS, itl);
    }

    // r1: TTFT 100, E2E 500, 5 tokens -> TPOT (500-100)/4 = 100; r2: TTFT 200, E2E 300, 3 tokens -> TPOT 50;
    // r3: one token, no TPOT; r4: failed.
    private final List<RequestResult> rs = List.of(
            ok(0, 10, 5, 100, 500, 100, 100, 100, 100),
            ok(1, 20, 3, 200, 300, 40, 60),
            ok(0, 30, 1, 50, 50),
            RequestResult.failure(0, 1, 0, "HTTP 429", "busy", 3 * MS));

    private static void near(double expected, double actual, String what) {
        assertEquals(expected, actual, Math.abs(expected) * 1e-3 + 1e-9, what); // HdrHistogram: 3 significant digits
    }

    @Test
    void countsAndThroughputs() {
        Summary s = Summary.of(rs, 2.0, Slo.NONE);
        assertEquals(3, s.completed());
        assertEquals(1, s.failed());
        assertEquals(60, s.totalInputTokens());
        assertEquals(9, s.totalOutputTokens());
        assertEquals(5 + 10 + 15, s.totalCachedTokens());
        assertEquals(1.5, s.requestThroughput(), 1e-12);      // 3 / 2 s
        assertEquals(4.5, s.outputThroughput(), 1e-12);       // 9 / 2 s
        assertEquals(34.5, s.totalTokenThroughput(), 1e-12);  // (60 + 9) / 2 s
        assertNull(s.goodput());
        assertEquals(Map.of("HTTP 429", 1), s.errors());
        assertEquals(Map.of("HTTP 429", "busy"), s.errorSamples());
    }

    @Test
    void latencyDistributions() {
        Summary s = Summary.of(rs, 2.0, Slo.NONE);
        // TTFT {50, 100, 200}: mean 116.67; nearest rank: median = 2nd = 100, P90 = P99 = 3rd = 200
        near(350.0 / 3, s.ttft().mean(), "mean ttft");
        near(100, s.ttft().median(), "median ttft");
        near(200, s.ttft().p90(), "p90 ttft");
        near(200, s.ttft().p99(), "p99 ttft");
        // TPOT {100, 50}: mean 75, population std 25, median = 1st = 50, P90 = 100
        near(75, s.tpot().mean(), "mean tpot");
        near(25, s.tpot().std(), "std tpot");
        near(50, s.tpot().median(), "median tpot");
        near(100, s.tpot().p90(), "p90 tpot");
        assertEquals(2, s.tpot().count());
        // ITL {40, 60, 100, 100, 100, 100}: mean 500/6; median = 3rd = 100; P90 = 6th = 100
        near(500.0 / 6, s.itl().mean(), "mean itl");
        near(100, s.itl().median(), "median itl");
        near(40, Distribution.ofNanos(new long[] {40 * MS, 60 * MS}).median(), "nearest rank (numpy would interpolate 50)");
        // E2E {50, 300, 500}: mean 283.33, median 300, P99 500
        near(850.0 / 3, s.e2el().mean(), "mean e2el");
        near(300, s.e2el().median(), "median e2el");
        near(500, s.e2el().p99(), "p99 e2el");
    }

    @Test
    void goodputCountsRequestsMeetingEverySlo() {
        // TTFT <= 150 and TPOT <= 80: r1 fails TPOT (100), r2 fails TTFT (200), r3 passes (1 token: TPOT counts as 0) -> 1 / 2 s
        assertEquals(0.5, Summary.of(rs, 2.0, new Slo(150.0, 80.0)).goodput(), 1e-12);
        // TTFT only <= 250: all three successes -> 1.5
        assertEquals(1.5, Summary.of(rs, 2.0, new Slo(250.0, null)).goodput(), 1e-12);
        // TPOT only <= 50: r2 (50) and r3 (0) -> 1.0
        assertEquals(1.0, Summary.of(rs, 2.0, new Slo(null, 50.0)).goodput(), 1e-12);
    }

    @Test
    void perTurnTtft() {
        List<Summary.TurnStats> t = Summary.of(rs, 2.0, Slo.NONE).perTurn();
        assertEquals(2, t.size());
        assertEquals(1, t.get(0).turn());
        assertEquals(2, t.get(0).completed());          // r1, r3
        assertEquals(20, t.get(0).meanPromptTokens());  // (10 + 30) / 2
        assertEquals(10, t.get(0).meanCachedTokens());  // (5 + 15) / 2
        near(75, t.get(0).ttft().mean(), "turn 1 ttft");
        assertEquals(1, t.get(1).completed());          // r2 (r4 failed)
        near(200, t.get(1).ttft().mean(), "turn 2 ttft");
    }

    @Test
    void tpotIsUndefinedForOneToken() {
        assertThrows(IllegalStateException.class, () -> rs.get(2).tpotNanos());
        assertEquals(100.0 * MS, rs.get(0).tpotNanos(), 1e-6);
    }

    @Test
    void emptyAndAllFailedRuns() {
        Summary s = Summary.of(List.of(RequestResult.failure(0, 0, 0, "timeout", null, MS)), 1.0, new Slo(1.0, null));
        assertEquals(0, s.completed());
        assertEquals(0.0, s.goodput());
        assertEquals(Distribution.EMPTY, s.ttft());
        assertTrue(s.perTurn().isEmpty());
        assertThrows(IllegalArgumentException.class, () -> Summary.of(List.of(), 0, Slo.NONE));
    }
}

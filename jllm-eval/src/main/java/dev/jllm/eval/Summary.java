package dev.jllm.eval;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * vLLM benchmark_serving's result for one run, computed from the per-request measurements.
 *
 * @param durationSec           first request sent → last one finished
 * @param totalInputTokens      prompt tokens of the successful requests (from usage)
 * @param totalOutputTokens     generated tokens of the successful requests
 * @param goodput               successful requests meeting every SLO per second; null without SLOs
 * @param perTurn               TTFT by turn index (one entry for single-turn runs)
 * @param errors                failed requests by kind, e.g. {"HTTP 429": 3}
 * @param errorSamples          the first message seen for each kind
 */
public record Summary(int completed, int failed, double durationSec, long totalInputTokens, long totalOutputTokens, long totalCachedTokens,
                      double requestThroughput, double outputThroughput, double totalTokenThroughput, Double goodput,
                      Distribution ttft, Distribution tpot, Distribution itl, Distribution e2el, List<TurnStats> perTurn,
                      Map<String, Integer> errors, Map<String, String> errorSamples) {

    /** One turn index across all conversations. */
    public record TurnStats(int turn, int completed, double meanPromptTokens, double meanCachedTokens, Distribution ttft) {}

    public static Summary of(Collection<RequestResult> results, double durationSec, Slo slo) {
        if (!(durationSec > 0)) throw new IllegalArgumentException("duration must be > 0 s, got " + durationSec);
        List<RequestResult> ok = results.stream().filter(RequestResult::success).toList();
        Map<String, Integer> errors = new TreeMap<>();
        Map<String, String> samples = new TreeMap<>();
        for (RequestResult r : results) {
            if (r.success()) continue;
            errors.merge(r.error(), 1, Integer::sum);
            if (r.errorDetail() != null) samples.putIfAbsent(r.error(), r.errorDetail());
        }
        long in = 0, out = 0, cached = 0;
        int good = 0;
        List<Double> tpots = new ArrayList<>();
        List<Long> itls = new ArrayList<>();
        for (RequestResult r : ok) {
            in += r.promptTokens();
            out += r.outputTokens();
            cached += r.cachedTokens();
            if (r.outputTokens() > 1) tpots.add(r.tpotNanos());
            for (long g : r.itlNanos()) itls.add(g);
            if (slo.met(r)) good++;
        }
        return new Summary(ok.size(), results.size() - ok.size(), durationSec, in, out, cached, ok.size() / durationSec, out / durationSec,
                (in + out) / durationSec, slo.any() ? good / durationSec : null,
                Distribution.ofNanos(ok.stream().mapToLong(RequestResult::ttftNanos).toArray()),
                Distribution.ofNanos(tpots.stream().mapToDouble(Double::doubleValue).toArray()),
                Distribution.ofNanos(itls.stream().mapToLong(Long::longValue).toArray()),
                Distribution.ofNanos(ok.stream().mapToLong(RequestResult::e2eNanos).toArray()),
                perTurn(ok), errors, samples);
    }

    private static List<TurnStats> perTurn(List<RequestResult> ok) {
        int turns = ok.stream().mapToInt(RequestResult::turn).max().orElse(-1) + 1;
        List<TurnStats> stats = new ArrayList<>(turns);
        for (int t = 0; t < turns; t++) {
            int turn = t;
            List<RequestResult> rs = ok.stream().filter(r -> r.turn() == turn).toList();
            stats.add(new TurnStats(turn + 1, rs.size(), rs.stream().mapToInt(RequestResult::promptTokens).average().orElse(0),
                    rs.stream().mapToInt(RequestResult::cachedTokens).average().orElse(0),
                    Distribution.ofNanos(rs.stream().mapToLong(RequestResult::ttftNanos).toArray())));
        }
        return stats;
    }
}

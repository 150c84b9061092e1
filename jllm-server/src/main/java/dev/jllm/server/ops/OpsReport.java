package dev.jllm.server.ops;

import dev.jllm.server.store.ConversationStore;
import dev.jllm.server.store.ConversationStore.GenerationRecord;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * {@code jllm ops report}: the generations log per time bucket (an hour by default, UTC) and model
 * version — requests, answers, mean and median output length in tokens and in characters, mean and
 * median TTFT, and the error, empty-answer and refusal rates. Read from the store as rows (the medians
 * need them), the same on SQLite and PostgreSQL.
 *
 * <p>Definitions: an <em>answer</em> is a generation that completed or was cut at a limit
 * (status completed or incomplete); lengths, TTFT, empty and refusal rates are over answers. An
 * <em>error</em> is a generation that failed in the engine or the store, or was refused as busy (429):
 * the error rate is over all requests that reached the engine. Cancelled ones (the client left) count
 * as requests, not errors.
 */
public final class OpsReport {
    private OpsReport() {}

    /** One bucket of one model version. Means and medians are NaN when the bucket has no answer (TTFT: none with a first token). */
    public record Row(long startMs, String model, String version, int requests, int answers, double meanTokens, double medianTokens,
                      double meanChars, double medianChars, double meanTtftMs, double medianTtftMs, double errorRate, double emptyRate,
                      double refusalRate, int failed, int rejected, int cancelled) {}

    private static final class Acc {
        int requests, failed, rejected, cancelled, empty, refusal;
        int[] tokens = new int[16], chars = new int[16];
        double[] ttft = new double[16];
        int answers, ttfts;

        void add(GenerationRecord g) {
            requests++;
            switch (g.status()) {
                case "failed" -> failed++;
                case "rejected" -> rejected++;
                case "cancelled" -> cancelled++;
                default -> { }
            }
            if (!g.answered()) return;
            if (answers == tokens.length) {
                tokens = Arrays.copyOf(tokens, answers * 2);
                chars = Arrays.copyOf(chars, answers * 2);
            }
            tokens[answers] = g.outputTokens();
            chars[answers] = g.outputChars();
            answers++;
            if (g.empty()) empty++;
            if (g.refusal()) refusal++;
            if (g.ttftMs() >= 0) {
                if (ttfts == ttft.length) ttft = Arrays.copyOf(ttft, ttfts * 2);
                ttft[ttfts++] = g.ttftMs();
            }
        }
    }

    private record Key(long start, String model, String version) {}

    /** The report of [sinceMs, untilMs) for one model (null: all), in buckets of {@code bucketMs}, oldest first, then by model and version. */
    public static List<Row> of(ConversationStore store, long sinceMs, long untilMs, String model, long bucketMs) {
        if (bucketMs <= 0) throw new IllegalArgumentException("bucket must be > 0 ms");
        Map<Key, Acc> acc = new TreeMap<>(Comparator.comparingLong(Key::start).thenComparing(Key::model)
                .thenComparing(k -> k.version() == null ? "" : k.version()));
        store.scanGenerations(sinceMs, untilMs, model, g -> acc.computeIfAbsent(
                new Key(Math.floorDiv(g.createdMs(), bucketMs) * bucketMs, g.model(), g.version()), k -> new Acc()).add(g));
        List<Row> out = new ArrayList<>(acc.size());
        for (Map.Entry<Key, Acc> e : acc.entrySet()) {
            Acc a = e.getValue();
            int[] t = Arrays.copyOf(a.tokens, a.answers), c = Arrays.copyOf(a.chars, a.answers);
            double[] f = Arrays.copyOf(a.ttft, a.ttfts);
            out.add(new Row(e.getKey().start(), e.getKey().model(), e.getKey().version(), a.requests, a.answers, mean(t), median(t), mean(c),
                    median(c), mean(f), median(f), a.requests == 0 ? Double.NaN : (double) (a.failed + a.rejected) / a.requests,
                    a.answers == 0 ? Double.NaN : (double) a.empty / a.answers, a.answers == 0 ? Double.NaN : (double) a.refusal / a.answers,
                    a.failed, a.rejected, a.cancelled));
        }
        return out;
    }

    static double mean(int[] v) {
        if (v.length == 0) return Double.NaN;
        double s = 0;
        for (int x : v) s += x;
        return s / v.length;
    }

    static double mean(double[] v) {
        if (v.length == 0) return Double.NaN;
        double s = 0;
        for (double x : v) s += x;
        return s / v.length;
    }

    /** The middle value (the mean of the two middle ones for an even count). */
    static double median(int[] v) {
        if (v.length == 0) return Double.NaN;
        int[] s = v.clone();
        Arrays.sort(s);
        int m = s.length / 2;
        return s.length % 2 == 1 ? s[m] : (s[m - 1] + s[m]) / 2.0;
    }

    static double median(double[] v) {
        if (v.length == 0) return Double.NaN;
        double[] s = v.clone();
        Arrays.sort(s);
        int m = s.length / 2;
        return s.length % 2 == 1 ? s[m] : (s[m - 1] + s[m]) / 2.0;
    }
}

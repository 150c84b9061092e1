package dev.jllm.eval;

import org.HdrHistogram.Histogram;

/**
 * Mean, median, standard deviation and P90/P99 of a latency, in milliseconds. Mean and std are
 * exact (population std, like numpy's default); percentiles come from an HdrHistogram with 3
 * significant digits, i.e. the nearest-rank value within 0.1% — vLLM interpolates between ranks
 * with numpy instead, which differs by less than one gap between neighbouring samples.
 */
public record Distribution(int count, double mean, double median, double std, double p90, double p99) {
    private static final double NS_PER_MS = 1e6;
    public static final Distribution EMPTY = new Distribution(0, 0, 0, 0, 0, 0);

    /** From nanosecond samples (negative samples are clamped to 0: clocks are monotonic, this is only a guard). */
    public static Distribution ofNanos(double[] nanos) {
        if (nanos.length == 0) return EMPTY;
        Histogram h = histogram(nanos);
        double sum = 0;
        for (double v : nanos) sum += v;
        double mean = sum / nanos.length;
        double sq = 0;
        for (double v : nanos) sq += (v - mean) * (v - mean);
        double std = Math.sqrt(sq / nanos.length);
        return new Distribution(nanos.length, mean / NS_PER_MS, at(h, 50) / NS_PER_MS, std / NS_PER_MS, at(h, 90) / NS_PER_MS,
                at(h, 99) / NS_PER_MS);
    }

    public static Distribution ofNanos(long[] nanos) {
        double[] d = new double[nanos.length];
        for (int i = 0; i < d.length; i++) d[i] = nanos[i];
        return ofNanos(d);
    }

    /** The samples in an auto-resizing histogram (nanoseconds, 3 significant digits). */
    static Histogram histogram(double[] nanos) {
        Histogram h = new Histogram(3);
        for (double v : nanos) h.recordValue(Math.max(0, Math.round(v)));
        return h;
    }

    /** The recorded value at a percentile, as the middle of its 0.1%-wide bucket rather than its upper edge. */
    private static double at(Histogram h, double percentile) {
        return h.medianEquivalentValue(h.getValueAtPercentile(percentile));
    }
}

package dev.jllm.eval.metrics;

import java.util.Arrays;
import java.util.List;

/**
 * How often answers stay within a length budget: the fraction of answers of at most {@code limit}
 * Unicode code points (a Chinese character, a letter and an emoji each count 1; nothing is stripped),
 * and the length distribution. Percentiles interpolate linearly between order statistics (numpy's
 * default), so the median of an even count is the mean of the middle two.
 */
public record LengthCompliance(int limit, int total, int within, int min, double median, double mean, double p90, int max) {

    public static LengthCompliance of(List<String> answers, int limit) {
        if (limit < 0) throw new IllegalArgumentException("length limit must be >= 0, got " + limit);
        if (answers.isEmpty()) throw new IllegalArgumentException("no answers to measure");
        int[] len = answers.stream().mapToInt(a -> a.codePointCount(0, a.length())).sorted().toArray();
        int within = (int) Arrays.stream(len).filter(l -> l <= limit).count();
        return new LengthCompliance(limit, len.length, within, len[0], percentile(len, 50), Arrays.stream(len).average().orElseThrow(),
                percentile(len, 90), len[len.length - 1]);
    }

    /** Per-answer 0/1 compliance, for the bootstrap. */
    public static double[] itemScores(List<String> answers, int limit) {
        return answers.stream().mapToDouble(a -> a.codePointCount(0, a.length()) <= limit ? 1 : 0).toArray();
    }

    public double fraction() {
        return (double) within / total;
    }

    /** numpy.percentile(sorted, q) with linear interpolation. */
    static double percentile(int[] sorted, double q) {
        double pos = q / 100 * (sorted.length - 1);
        int lo = (int) Math.floor(pos), hi = (int) Math.ceil(pos);
        return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
    }
}

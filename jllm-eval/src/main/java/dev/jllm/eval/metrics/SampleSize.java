package dev.jllm.eval.metrics;

/**
 * How many items a proportion needs for a target CI half-width, by the normal approximation
 * {@code n = z²·p(1−p)/h²} (and its inverse {@code h = z·sqrt(p(1−p)/n)}). At 86 % and 95 %
 * confidence: 200 items give ±4.8 %; ±3 % needs 514.
 */
public final class SampleSize {
    private SampleSize() {}

    /** Items needed (rounded up) for half-width {@code halfWidth} around proportion {@code p}. */
    public static long itemsFor(double p, double halfWidth, double confidence) {
        checkP(p);
        if (!(halfWidth > 0 && halfWidth < 1)) throw new IllegalArgumentException("target half-width must be in (0, 1), got " + halfWidth);
        double z = Normal.zTwoSided(confidence);
        // a p of 0 or 1 has no spread to estimate; the worst case p = 0.5 is the honest plan then
        double pq = p * (1 - p) == 0 ? 0.25 : p * (1 - p);
        return (long) Math.ceil(z * z * pq / (halfWidth * halfWidth) - 1e-9);
    }

    /** The normal-approximation half-width of a proportion p over n items. */
    public static double halfWidth(double p, long n, double confidence) {
        checkP(p);
        if (n < 1) throw new IllegalArgumentException("need at least one item, got " + n);
        return Normal.zTwoSided(confidence) * Math.sqrt(p * (1 - p) / n);
    }

    /** Items needed for per-item scores of population variance {@code variance} (p(1−p) for 0/1 scores). */
    public static long itemsForVariance(double variance, double halfWidth, double confidence) {
        if (!(variance >= 0) || !(halfWidth > 0)) throw new IllegalArgumentException("need variance >= 0 and half-width > 0");
        double z = Normal.zTwoSided(confidence);
        return Math.max(1, (long) Math.ceil(z * z * variance / (halfWidth * halfWidth) - 1e-9));
    }

    /** The normal-approximation half-width of a mean of n scores of population variance {@code variance}. */
    public static double halfWidthForVariance(double variance, long n, double confidence) {
        if (!(variance >= 0) || n < 1) throw new IllegalArgumentException("need variance >= 0 and n >= 1");
        return Normal.zTwoSided(confidence) * Math.sqrt(variance / n);
    }

    /** z for the confidence (0.95 -> 1.96), for printing the formula with its numbers. */
    public static double z(double confidence) {
        return Normal.zTwoSided(confidence);
    }

    private static void checkP(double p) {
        if (!(p >= 0 && p <= 1)) throw new IllegalArgumentException("a proportion must be in [0, 1], got " + p);
    }
}

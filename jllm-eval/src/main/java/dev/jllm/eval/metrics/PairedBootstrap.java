package dev.jllm.eval.metrics;

import java.util.SplittableRandom;

/**
 * Paired bootstrap for two systems scored on the same items: every resample draws the same item
 * indices for both, so item difficulty cancels out of the difference. The CI of the difference
 * A − B is the percentile interval of the resampled differences. The p-value tests "no difference"
 * two-sided by shifting the bootstrap distribution to the null (Efron and Tibshirani §16.4):
 * {@code p = (1 + #{|d*_b − mean(d*)| ≥ |d|}) / (B + 1)}, where d is the observed difference; the
 * +1s keep it from being 0 with finitely many resamples (as sacreBLEU's paired test does).
 */
public final class PairedBootstrap {

    /** A and B on the real items, their difference with CI, and the p-value. */
    public record Result(double a, double b, Interval difference, double pValue, int items) {}

    private final Bootstrap.Config config;

    public PairedBootstrap(Bootstrap.Config config) {
        this.config = config;
    }

    public Result compare(ItemStats a, ItemStats b) {
        if (a.size() != b.size()) throw new IllegalArgumentException("paired comparison needs the same items: " + a.size() + " vs " + b.size());
        double sa = a.score(), sb = b.score(), d = sa - sb;
        double[] diffs = new double[config.resamples()];
        SplittableRandom rng = new SplittableRandom(config.seed());
        int[] idx = new int[a.size()];
        double sum = 0;
        for (int r = 0; r < diffs.length; r++) {
            Bootstrap.draw(rng, idx);
            diffs[r] = a.score(idx) - b.score(idx);
            sum += diffs[r];
        }
        double mean = sum / diffs.length;
        int extreme = 0;
        // a relative guard so that a resample equal to |d| up to rounding counts as "as extreme"
        double threshold = Math.abs(d) - 1e-12 * Math.max(1, Math.abs(d));
        for (double x : diffs) if (Math.abs(x - mean) >= threshold) extreme++;
        double p = (1.0 + extreme) / (diffs.length + 1.0);
        java.util.Arrays.sort(diffs);
        double alpha = 1 - config.confidence();
        Interval ci = new Interval(d, Bootstrap.percentile(diffs, 100 * alpha / 2), Bootstrap.percentile(diffs, 100 * (1 - alpha / 2)), config.confidence());
        return new Result(sa, sb, ci, p, a.size());
    }
}

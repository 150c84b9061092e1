package dev.jllm.eval.metrics;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Percentile bootstrap: resample the items with replacement {@code resamples} times (seeded, so a run
 * is reproducible), recompute the metric on each resample (from summed statistics for corpus metrics
 * such as BLEU), and take the (1−c)/2 and (1+c)/2 percentiles of those values (numpy's linear
 * interpolation). The point value is the metric on the real items, not the mean of the resamples.
 */
public final class Bootstrap {

    /** Validated settings; 10,000 resamples, seed 0, 95 % by default. */
    public record Config(int resamples, long seed, double confidence) {
        public static final Config DEFAULT = new Config(10_000, 0, 0.95);

        public Config {
            if (resamples < 100 || resamples > 10_000_000) throw new IllegalArgumentException("resamples must be 100..10,000,000, got " + resamples);
            if (!(confidence > 0 && confidence < 1)) throw new IllegalArgumentException("confidence must be in (0, 1), got " + confidence);
        }
    }

    /** The interval and the sorted resampled values (for a histogram). */
    public record Result(Interval interval, double[] distribution) {}

    private final Config config;

    public Bootstrap(Config config) {
        this.config = config;
    }

    public Config config() {
        return config;
    }

    /** The CI of the mean of per-item scores. */
    public Result mean(double[] scores) {
        return of(ItemStats.means(scores));
    }

    /** The CI of any corpus metric given by its per-item statistics. */
    public Result of(ItemStats stats) {
        double value = stats.score();
        double[] dist = new double[config.resamples];
        SplittableRandom rng = new SplittableRandom(config.seed);
        int[] idx = new int[stats.size()];
        for (int b = 0; b < dist.length; b++) {
            draw(rng, idx);
            dist[b] = stats.score(idx);
        }
        Arrays.sort(dist);
        double alpha = 1 - config.confidence;
        return new Result(new Interval(value, percentile(dist, 100 * alpha / 2), percentile(dist, 100 * (1 - alpha / 2)), config.confidence), dist);
    }

    /** One resample's item indices. The order of draws is part of the seed's contract: keep it. */
    static void draw(SplittableRandom rng, int[] idx) {
        for (int i = 0; i < idx.length; i++) idx[i] = rng.nextInt(idx.length);
    }

    /** numpy.percentile(sorted, q), linear interpolation. */
    static double percentile(double[] sorted, double q) {
        double pos = q / 100 * (sorted.length - 1);
        int lo = (int) Math.floor(pos), hi = (int) Math.ceil(pos);
        return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
    }
}

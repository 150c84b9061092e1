package dev.jllm.eval.metrics;

/**
 * A corpus metric as sufficient statistics per item plus the function from their sums to the score.
 * BLEU and chrF are not means of per-item scores (their n-gram counts are summed over the corpus first),
 * so a bootstrap must resample items and recompute from summed statistics, as sacreBLEU's own
 * {@code _bootstrap_resample} does; a mean metric is the special case of one statistic per item.
 */
public final class ItemStats {
    /** The score from statistics summed over {@code count} items (a resample has as many items as the corpus). */
    @FunctionalInterface
    public interface Aggregate {
        double score(double[] sums, int count);
    }

    private final double[][] rows;
    private final int width;
    private final Aggregate aggregate;

    private ItemStats(double[][] rows, int width, Aggregate aggregate) {
        this.rows = rows;
        this.width = width;
        this.aggregate = aggregate;
    }

    /** {@code rows[i]} are item i's statistics, all of the same width; not copied, so don't change them afterwards. */
    public static ItemStats of(double[][] rows, Aggregate aggregate) {
        if (rows.length == 0) throw new IllegalArgumentException("no items to score");
        int w = rows[0].length;
        for (double[] r : rows) {
            if (r.length != w) throw new IllegalArgumentException("items have statistics of different widths");
        }
        return new ItemStats(rows, w, aggregate);
    }

    /** The mean of per-item scores (ROUGE, exact match, F1, accuracy...). */
    public static ItemStats means(double[] scores) {
        double[][] rows = new double[scores.length][];
        for (int i = 0; i < scores.length; i++) {
            if (!Double.isFinite(scores[i])) throw new IllegalArgumentException("item " + (i + 1) + " has score " + scores[i]);
            rows[i] = new double[] {scores[i]};
        }
        return of(rows, (sums, count) -> sums[0] / count);
    }

    public int size() {
        return rows.length;
    }

    /** The score over all items. */
    public double score() {
        return aggregate.score(sums(), rows.length);
    }

    /** The statistics summed over all items. */
    public double[] sums() {
        double[] sums = new double[width];
        for (double[] r : rows) add(sums, r);
        return sums;
    }

    /** The score over the items at {@code indices} (with repeats: a bootstrap resample). */
    public double score(int[] indices) {
        double[] sums = new double[width];
        for (int i : indices) add(sums, rows[i]);
        return aggregate.score(sums, indices.length);
    }

    /** Item i's own statistic when there is one per item (a per-item score), else NaN. */
    public double itemScore(int i) {
        return width == 1 ? rows[i][0] : Double.NaN;
    }

    private static void add(double[] sums, double[] r) {
        for (int k = 0; k < r.length; k++) sums[k] += r[k];
    }
}

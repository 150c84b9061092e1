package dev.jllm.eval.metrics;

import java.util.Arrays;

/**
 * Spearman's rank correlation with ties: both samples are replaced by their ranks (tied values get
 * the mean of the ranks they span, "fractional ranking"), then Pearson's r of the ranks — what
 * {@code scipy.stats.spearmanr} computes. NaN when either sample is constant (no ranking to agree with).
 */
public final class Spearman {
    private Spearman() {}

    public static double rho(double[] x, double[] y) {
        if (x.length != y.length) throw new IllegalArgumentException("samples of different sizes: " + x.length + " and " + y.length);
        if (x.length < 2) return Double.NaN;
        return pearson(ranks(x), ranks(y));
    }

    /** 1-based ranks, ties averaged (scipy.stats.rankdata's default 'average'). */
    public static double[] ranks(double[] v) {
        int n = v.length;
        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) order[i] = i;
        Arrays.sort(order, (a, b) -> Double.compare(v[a], v[b]));
        double[] r = new double[n];
        for (int i = 0; i < n; ) {
            int j = i;
            while (j + 1 < n && v[order[j + 1]] == v[order[i]]) j++;
            double mean = (i + j) / 2.0 + 1;
            for (int k = i; k <= j; k++) r[order[k]] = mean;
            i = j + 1;
        }
        return r;
    }

    static double pearson(double[] a, double[] b) {
        int n = a.length;
        double ma = 0, mb = 0;
        for (int i = 0; i < n; i++) {
            ma += a[i] / n;
            mb += b[i] / n;
        }
        double sab = 0, saa = 0, sbb = 0;
        for (int i = 0; i < n; i++) {
            sab += (a[i] - ma) * (b[i] - mb);
            saa += (a[i] - ma) * (a[i] - ma);
            sbb += (b[i] - mb) * (b[i] - mb);
        }
        return saa == 0 || sbb == 0 ? Double.NaN : sab / Math.sqrt(saa * sbb);
    }
}

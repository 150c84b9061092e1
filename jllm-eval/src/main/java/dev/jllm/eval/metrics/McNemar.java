package dev.jllm.eval.metrics;

/**
 * McNemar's test for two systems with right/wrong answers on the same items. Only the discordant
 * items count: b (A right, B wrong) and c (A wrong, B right). With fewer than 25 of them the exact
 * binomial test (two-sided, b ~ Bin(b + c, 1/2)) is used, otherwise the chi-square statistic with
 * Edwards' continuity correction {@code (|b − c| − 1)² / (b + c)} on one degree of freedom — the
 * usual rule (e.g. statsmodels' guidance), stated in the result.
 */
public record McNemar(int bothRight, int onlyA, int onlyB, int bothWrong, Method method, double statistic, double pValue) {

    public enum Method {
        EXACT_BINOMIAL("exact binomial"), CHI_SQUARE_CORRECTED("chi-square with continuity correction");

        private final String label;

        Method(String label) {
            this.label = label;
        }

        public String label() {
            return label;
        }
    }

    /** Discordant counts below this use the exact test. */
    public static final int EXACT_BELOW = 25;

    public static McNemar of(boolean[] a, boolean[] b) {
        if (a.length != b.length) throw new IllegalArgumentException("McNemar needs the same items: " + a.length + " vs " + b.length);
        int rr = 0, rw = 0, wr = 0, ww = 0;
        for (int i = 0; i < a.length; i++) {
            if (a[i] && b[i]) rr++;
            else if (a[i]) rw++;
            else if (b[i]) wr++;
            else ww++;
        }
        return of(rr, rw, wr, ww);
    }

    public static McNemar of(int bothRight, int onlyA, int onlyB, int bothWrong) {
        if (bothRight < 0 || onlyA < 0 || onlyB < 0 || bothWrong < 0) throw new IllegalArgumentException("counts must be >= 0");
        int n = onlyA + onlyB;
        if (n < EXACT_BELOW) return new McNemar(bothRight, onlyA, onlyB, bothWrong, Method.EXACT_BINOMIAL, Math.min(onlyA, onlyB), exactP(onlyA, onlyB));
        double chi2 = Math.pow(Math.abs(onlyA - onlyB) - 1.0, 2) / n;
        // chi-square(1) upper tail = P(|Z| > sqrt(chi2)) = erfc(sqrt(chi2 / 2))
        return new McNemar(bothRight, onlyA, onlyB, bothWrong, Method.CHI_SQUARE_CORRECTED, chi2, Math.min(1.0, Normal.erfc(Math.sqrt(chi2 / 2))));
    }

    /** Two-sided exact binomial p: 2·P(X ≤ min(b, c)) for X ~ Bin(b + c, 1/2), capped at 1 (1 when there is no discordance). */
    static double exactP(int b, int c) {
        int n = b + c, k = Math.min(b, c);
        if (n == 0) return 1.0;
        double tail = 0;
        for (int i = 0; i <= k; i++) tail += Math.exp(logChoose(n, i) - n * Math.log(2));
        return Math.min(1.0, 2 * tail);
    }

    private static double logChoose(int n, int k) {
        double s = 0;
        for (int i = 1; i <= k; i++) s += Math.log(n - k + i) - Math.log(i);
        return s;
    }
}

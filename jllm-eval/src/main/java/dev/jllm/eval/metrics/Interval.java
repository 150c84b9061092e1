package dev.jllm.eval.metrics;

import java.util.Locale;

/** A point estimate with its confidence interval; printed as {@code value [lo, hi] ±half-width}. */
public record Interval(double value, double lo, double hi, double confidence) {
    public Interval {
        if (!(confidence > 0 && confidence < 1)) throw new IllegalArgumentException("confidence must be in (0, 1), got " + confidence);
    }

    /** Half the interval's width: what "±" means here (the interval need not be symmetric around the value). */
    public double halfWidth() {
        return (hi - lo) / 2;
    }

    /** {@code 0.860 [0.810, 0.905] ±0.048} with the given number of decimals. */
    public String format(int decimals) {
        String f = "%." + decimals + "f";
        // (0.905 - 0.81) / 2 is 0.04749999... in binary; nudge so that a decimal half rounds up as on paper
        double hw = halfWidth() + 1e-12 * Math.max(1, Math.abs(halfWidth()));
        return String.format(Locale.ROOT, f + " [" + f + ", " + f + "] ±" + f, value, lo, hi, hw);
    }

    @Override
    public String toString() {
        return format(3);
    }
}

package dev.jllm.data;

import java.util.Locale;

/** Keeps documents whose CJK share of non-space characters ({@link TextStats#cjkRatio}) is strictly above {@code above}. */
public record CjkRatioFilter(boolean enabled, double above) implements Filter {
    public CjkRatioFilter {
        if (!(above >= 0 && above < 1)) throw new IllegalArgumentException("filters.cjk_ratio.above must be in [0, 1), got " + above);
    }

    @Override
    public String name() {
        return "cjk_ratio";
    }

    @Override
    public String reject(Doc doc) {
        double r = doc.stats().cjkRatio();
        return r > above ? null : String.format(Locale.ROOT, "ratio %.3f <= %.2f", r, above);
    }
}

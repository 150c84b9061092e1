package dev.jllm.data;

import java.util.Locale;

/**
 * Keeps documents whose simplified ratio ({@link TextStats#simplifiedRatio}: Han characters that
 * are not traditional-only, over all Han characters) is strictly above {@code above}. A document
 * without any Han character has ratio 0 and is dropped: the seed keeps simplified <em>Chinese</em>.
 */
public record SimplifiedRatioFilter(boolean enabled, double above) implements Filter {
    public SimplifiedRatioFilter {
        if (!(above >= 0 && above < 1)) throw new IllegalArgumentException("filters.simplified.above must be in [0, 1), got " + above);
    }

    @Override
    public String name() {
        return "simplified";
    }

    @Override
    public String reject(Doc doc) {
        TextStats s = doc.stats();
        if (s.han() == 0) return "no Han characters";
        double r = s.simplifiedRatio();
        return r > above ? null : String.format(Locale.ROOT, "ratio %.3f <= %.2f (%d of %d Han traditional-only)", r, above, s.traditional(), s.han());
    }
}

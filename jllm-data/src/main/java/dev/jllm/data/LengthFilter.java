package dev.jllm.data;

/**
 * Length bounds in Unicode code points of the cleaned text, spaces and punctuation included;
 * both bounds are inclusive (the seed's 100–800 keeps 100 and 800, drops 99 and 801).
 */
public record LengthFilter(boolean enabled, int min, int max) implements Filter {
    public LengthFilter {
        if (min < 0) throw new IllegalArgumentException("filters.length.min must be >= 0, got " + min);
        if (max < min) throw new IllegalArgumentException("filters.length.max (" + max + ") must be >= min (" + min + ")");
    }

    @Override
    public String name() {
        return "length";
    }

    @Override
    public String reject(Doc doc) {
        int n = doc.stats().codePoints();
        if (n < min) return n + " < " + min + " chars";
        if (n > max) return n + " > " + max + " chars";
        return null;
    }
}

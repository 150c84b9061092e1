package dev.jllm.data;

/**
 * Drops documents with more than {@code max} emoji ({@link EmojiDetector}; the seed: none).
 * {@code textStyle} also counts bare text-default pictographs such as ☺ ❤ ✂ © ™.
 */
public record EmojiFilter(boolean enabled, int max, boolean textStyle) implements Filter {
    private static final EmojiDetector TEXT_STYLE = new EmojiDetector(true);
    private static final EmojiDetector STRICT = new EmojiDetector(false);

    public EmojiFilter {
        if (max < 0) throw new IllegalArgumentException("filters.emoji.max must be >= 0, got " + max);
    }

    @Override
    public String name() {
        return "emoji";
    }

    @Override
    public String reject(Doc doc) {
        String t = doc.text();
        int count;
        int first;
        if (textStyle) {
            count = TEXT_STYLE.count(t);
            first = TEXT_STYLE.find(t, 0);
        } else {
            count = doc.stats().emoji();
            first = doc.stats().firstEmoji();
        }
        if (count <= max) return null;
        String seq = (textStyle ? TEXT_STYLE : STRICT).sequenceAt(t, first);
        return count + " emoji > " + max + ", first " + seq + " " + codePoints(seq) + " at char " + first;
    }

    static String codePoints(String s) {
        StringBuilder b = new StringBuilder("(");
        s.codePoints().forEach(cp -> b.append(b.length() > 1 ? " " : "").append(String.format("U+%04X", cp)));
        return b.append(')').toString();
    }
}

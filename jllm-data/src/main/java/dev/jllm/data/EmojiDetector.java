package dev.jllm.data;

/**
 * Emoji by Unicode properties (UTS #51), not by code-point ranges. An emoji starts at:
 * <ul>
 *   <li>a character with Emoji_Presentation=Yes (😀, 🈶, skin-tone modifiers, 🏴 of tag flags);</li>
 *   <li>a regional indicator (two make a flag: 🇨🇳);</li>
 *   <li>{@code 0-9 # *} followed by an optional U+FE0F and U+20E3 (keycaps: 1️⃣);</li>
 *   <li>a text-default emoji character (☺ ❤ ✂ © 〰) followed by U+FE0F (VS16), a skin-tone
 *       modifier or a ZWJ — or, when {@code textStyle} is on, even bare.</li>
 * </ul>
 * The rest of the sequence (VS16, modifiers, ZWJ-joined parts 👨‍👩‍👧, tag characters, the keycap
 * mark, the second flag letter) belongs to the same emoji, so a ZWJ family counts once. Chinese
 * punctuation (，。！？「」) and text-default symbols such as ㊗ 〽 without VS16 are not emoji.
 *
 * <p>The seed's surrogate-range regex finds nothing in decoded Java/Python strings; this class is
 * checked against every RGI emoji in jemoji's list (EmojiDetectorTest).
 */
public final class EmojiDetector {
    private static final int VS16 = 0xFE0F, VS15 = 0xFE0E, ZWJ = 0x200D, KEYCAP = 0x20E3;

    private final boolean textStyle;

    /** @param textStyle also count text-default pictographs (☺ ❤ © ™) that carry no U+FE0F */
    public EmojiDetector(boolean textStyle) {
        this.textStyle = textStyle;
    }

    /** Index (char offset) of the first emoji at or after {@code from}, or -1. */
    public int find(String s, int from) {
        int n = s.length();
        for (int i = from; i < n; ) {
            char c = s.charAt(i);
            if (c < 0x80) {
                if (isKeycapBase(c) && i + 1 < n && s.charAt(i + 1) >= KEYCAP && keycapEnd(s, i) > 0) return i;
                i++;
                continue;
            }
            int cp = s.codePointAt(i);
            if (startsEmoji(s, i, cp)) return i;
            i += Character.charCount(cp);
        }
        return -1;
    }

    /** Number of emoji sequences in {@code s}. */
    public int count(String s) {
        int count = 0;
        for (int i = find(s, 0); i >= 0; i = find(s, end(s, i))) count++;
        return count;
    }

    /** The emoji sequence starting at {@code start} (which {@link #find} returned). */
    public String sequenceAt(String s, int start) {
        return s.substring(start, end(s, start));
    }

    boolean startsEmoji(String s, int i, int cp) {
        int f = CharTable.flags(cp);
        if ((f & (CharTable.EMOJI_PRESENTATION | CharTable.REGIONAL_INDICATOR)) != 0) return true;
        if ((f & CharTable.EMOJI_TEXT) != 0) {
            int j = i + Character.charCount(cp);
            if (j < s.length()) {
                int next = s.codePointAt(j);
                if (next == VS15) return false; // explicitly text style
                if (next == VS16 || next == ZWJ || (CharTable.flags(next) & CharTable.EMOJI_MODIFIER) != 0) return true;
            }
            return textStyle;
        }
        return false;
    }

    private static boolean isKeycapBase(char c) {
        return (c >= '0' && c <= '9') || c == '#' || c == '*';
    }

    /** End of a keycap sequence at i (base [FE0F] 20E3), or -1. */
    private static int keycapEnd(String s, int i) {
        int j = i + 1;
        if (j < s.length() && s.charAt(j) == VS16) j++;
        return j < s.length() && s.charAt(j) == KEYCAP ? j + 1 : -1;
    }

    /** Char offset just past the emoji sequence that starts at {@code start}. */
    int end(String s, int start) {
        int n = s.length();
        char c0 = s.charAt(start);
        if (c0 < 0x80) {
            int k = keycapEnd(s, start);
            return k > 0 ? k : start + 1;
        }
        int cp = s.codePointAt(start);
        int i = start + Character.charCount(cp);
        if ((CharTable.flags(cp) & CharTable.REGIONAL_INDICATOR) != 0) {
            if (i < n && (CharTable.flags(s.codePointAt(i)) & CharTable.REGIONAL_INDICATOR) != 0) i += 2;
            return i;
        }
        while (i < n) {
            int next = s.codePointAt(i);
            if (next == VS16 || next == KEYCAP || (CharTable.flags(next) & CharTable.EMOJI_MODIFIER) != 0
                    || (next >= 0xE0020 && next <= 0xE007F)) {
                i += Character.charCount(next);
            } else if (next == ZWJ && i + 1 < n) {
                int after = s.codePointAt(i + 1);
                if ((CharTable.flags(after) & (CharTable.EMOJI_PRESENTATION | CharTable.EMOJI_TEXT)) == 0) break;
                i += 1 + Character.charCount(after);
            } else {
                break;
            }
        }
        return i;
    }
}

package dev.jllm.data;

/**
 * Character counts of one text, taken in a single scan because the seed's rule needs three of them
 * (length, simplified ratio, emoji) and three scans cost three times as much. Lengths count Unicode
 * code points (an astral character such as 𠀀 or 😀 is one), including spaces and punctuation.
 *
 * @param codePoints   all code points
 * @param nonSpace     code points that are not White_Space
 * @param han          Han ideographs
 * @param traditional  traditional-only Han ideographs (OpenCC; {@link ChineseScript})
 * @param cjk          Han, kana, Hangul, Bopomofo, CJK punctuation and full-width forms
 * @param kana         Hiragana and Katakana
 * @param hangul       Hangul
 * @param latin        Latin letters
 * @param cyrillic     Cyrillic letters
 * @param arabic       Arabic letters
 * @param letters      letters of any script (Han included)
 * @param emoji        emoji sequences (Emoji_Presentation, VS16, keycaps, flags; ZWJ sequences count once)
 * @param firstEmoji   char offset of the first emoji, or -1
 */
public record TextStats(int codePoints, int nonSpace, int han, int traditional, int cjk, int kana, int hangul,
                        int latin, int cyrillic, int arabic, int letters, int emoji, int firstEmoji) {

    private static final EmojiDetector STRICT = new EmojiDetector(false);
    private static final int HAN_SIMPLE = CharTable.HAN | CharTable.CJK | CharTable.LETTER;

    /** Han characters that are not traditional-only over all Han characters; 0 when there is no Han character. */
    public double simplifiedRatio() {
        return han == 0 ? 0.0 : (han - traditional) / (double) han;
    }

    /** CJK characters over non-space characters; 0 for an empty text. */
    public double cjkRatio() {
        return nonSpace == 0 ? 0.0 : cjk / (double) nonSpace;
    }

    /** Per-thread scratch copy of the text: array loads are bounds-check free where String.charAt was the hot spot. */
    private static final ThreadLocal<char[]> SCRATCH = ThreadLocal.withInitial(() -> new char[4096]);

    public static TextStats of(String s) {
        int n = s.length();
        char[] a = SCRATCH.get();
        if (a.length < n) {
            a = new char[Math.max(n, 2 * a.length)];
            SCRATCH.set(a);
        }
        s.getChars(0, n, a, 0);
        int cps = 0, nonSpace = 0, han = 0, trad = 0, cjk = 0, kana = 0, hangul = 0, latin = 0, cyr = 0, arab = 0, letters = 0;
        int emoji = 0, firstEmoji = -1;
        for (int i = 0; i < n; ) {
            char c = a[i];
            cps++;
            if (c < 0x80) {
                // ASCII fast path: English text never leaves it.
                if (c > ' ') {
                    nonSpace++;
                    if ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') {
                        letters++;
                        latin++;
                    } else if ((c <= '9' && c >= '0') || c == '#' || c == '*') {
                        if (i + 1 < n && a[i + 1] >= 0x20E3 && STRICT.find(s, i) == i) {
                            emoji++;
                            if (firstEmoji < 0) firstEmoji = i;
                            int end = STRICT.end(s, i);
                            cps += end - i - 1;
                            nonSpace += end - i - 1;
                            i = end;
                            continue;
                        }
                    }
                }
                i++;
                continue;
            }
            int cp = c;
            int w = 1;
            if (Character.isHighSurrogate(c) && i + 1 < n && Character.isLowSurrogate(a[i + 1])) {
                cp = Character.toCodePoint(c, a[i + 1]);
                w = 2;
            }
            int f = CharTable.flags(cp);
            if (f == HAN_SIMPLE) {
                // the common case in Chinese text: a Han letter that is not traditional-only
                nonSpace++;
                han++;
                cjk++;
                letters++;
                i += w;
                continue;
            }
            if ((f & CharTable.SPACE) == 0) nonSpace++;
            if ((f & CharTable.HAN) != 0) {
                han++;
                if ((f & CharTable.TRAD_ONLY) != 0) trad++;
            }
            if ((f & CharTable.CJK) != 0) cjk++;
            if ((f & CharTable.LETTER) != 0) {
                letters++;
                if ((f & CharTable.KANA) != 0) kana++;
                else if ((f & CharTable.HANGUL) != 0) hangul++;
                else if ((f & CharTable.LATIN) != 0) latin++;
                else if ((f & CharTable.CYRILLIC) != 0) cyr++;
                else if ((f & CharTable.ARABIC) != 0) arab++;
            }
            if ((f & (CharTable.EMOJI_PRESENTATION | CharTable.EMOJI_TEXT | CharTable.REGIONAL_INDICATOR)) != 0
                    && STRICT.startsEmoji(s, i, cp)) {
                emoji++;
                if (firstEmoji < 0) firstEmoji = i;
                int end = STRICT.end(s, i);
                // the rest of the sequence (VS16, ZWJ parts, modifiers) is counted as code points, not as letters
                cps += s.codePointCount(i + w, end);
                nonSpace += s.codePointCount(i + w, end);
                i = end;
                continue;
            }
            i += w;
        }
        return new TextStats(cps, nonSpace, han, trad, cjk, kana, hangul, latin, cyr, arab, letters, emoji, firstEmoji);
    }
}

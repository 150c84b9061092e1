package dev.jllm.data;

import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Gopher quality rules (Rae et al. 2021) with datatrove's GopherQualityFilter defaults: word count
 * bounds, mean word length, '#' and ellipsis per word, bullet and ellipsis line shares, share of
 * words with a letter, and at least {@code minStopWords} of "the be to of and that have with".
 *
 * <p>CJK adaptation (a document whose letters are mostly Han/kana/Hangul): words are characters,
 * the mean-word-length rule is skipped (every word is one character), and the stop words are
 * common Chinese function characters (的 了 是 在 和 有 不 这 也 就 之 而 其 以 我).
 * Words are split at white space; stop words and word lengths ignore punctuation at word edges
 * (datatrove's NLTK tokenizer splits it off).
 */
public record GopherQualityFilter(boolean enabled, int minDocWords, int maxDocWords, double minAvgWordLength,
                                  double maxAvgWordLength, double maxSymbolWordRatio, double maxBulletLinesRatio,
                                  double maxEllipsisLinesRatio, double minAlphaWordsRatio, int minStopWords) implements Filter {
    private static final Set<String> STOP_EN = Set.of("the", "be", "to", "of", "and", "that", "have", "with");
    private static final Set<String> STOP_ZH = Set.of("的", "了", "是", "在", "和", "有", "不", "这", "也", "就", "之", "而", "其", "以", "我");

    public GopherQualityFilter {
        if (maxDocWords < minDocWords) throw new IllegalArgumentException("filters.gopher_quality.max_doc_words < min_doc_words");
        if (maxAvgWordLength < minAvgWordLength) throw new IllegalArgumentException("filters.gopher_quality.max_avg_word_length < min_avg_word_length");
    }

    @Override
    public String name() {
        return "gopher_quality";
    }

    @Override
    public String reject(Doc doc) {
        boolean cjk = doc.isCjk();
        List<String> words = doc.words();
        int n = words.size();
        int nonSymbol = 0, lenSum = 0, alpha = 0, stop = 0;
        for (String w : words) {
            String core = strip(w);
            if (!core.isEmpty()) {
                nonSymbol++;
                lenSum += core.codePointCount(0, core.length());
            }
            if (Words.hasLetter(w)) alpha++;
            if ((cjk ? STOP_ZH : STOP_EN).contains(cjk ? core : core.toLowerCase(Locale.ROOT))) stop++;
        }
        if (nonSymbol < minDocWords) return "short_doc " + nonSymbol + " words < " + minDocWords;
        if (nonSymbol > maxDocWords) return "long_doc " + nonSymbol + " words > " + maxDocWords;
        if (!cjk) {
            double avg = lenSum / (double) nonSymbol;
            if (avg < minAvgWordLength) return f("below_avg_word_length %.2f < %.1f", avg, minAvgWordLength);
            if (avg > maxAvgWordLength) return f("above_avg_word_length %.2f > %.1f", avg, maxAvgWordLength);
        }
        String text = doc.text();
        double hashes = count(text, "#") / (double) n;
        if (hashes > maxSymbolWordRatio) return f("too_many_hashes %.3f > %.2f", hashes, maxSymbolWordRatio);
        double ellipses = (count(text, "...") + count(text, "…")) / (double) n;
        if (ellipses > maxSymbolWordRatio) return f("too_many_ellipsis %.3f > %.2f", ellipses, maxSymbolWordRatio);
        String[] lines = text.split("\n", -1);
        int bullets = 0, endEllipsis = 0;
        for (String l : lines) {
            String s = l.strip();
            if (s.startsWith("•") || s.startsWith("-")) bullets++;
            if (s.endsWith("...") || s.endsWith("…")) endEllipsis++;
        }
        if (bullets / (double) lines.length > maxBulletLinesRatio) return f("too_many_bullets %.3f > %.2f", bullets / (double) lines.length, maxBulletLinesRatio);
        if (endEllipsis / (double) lines.length > maxEllipsisLinesRatio) return f("too_many_end_ellipsis %.3f > %.2f", endEllipsis / (double) lines.length, maxEllipsisLinesRatio);
        double alphaRatio = alpha / (double) n;
        if (alphaRatio < minAlphaWordsRatio) return f("below_alpha_words %.3f < %.2f", alphaRatio, minAlphaWordsRatio);
        if (stop < minStopWords) return "not_enough_stop_words " + stop + " < " + minStopWords;
        return null;
    }

    /** The word without leading/trailing punctuation and symbols. */
    private static String strip(String w) {
        int a = 0, b = w.length();
        while (a < b && !Character.isLetterOrDigit(w.codePointAt(a))) a += Character.charCount(w.codePointAt(a));
        while (b > a && !Character.isLetterOrDigit(w.codePointBefore(b))) b -= Character.charCount(w.codePointBefore(b));
        return w.substring(a, b);
    }

    private static int count(String s, String sub) {
        int c = 0;
        for (int i = s.indexOf(sub); i >= 0; i = s.indexOf(sub, i + sub.length())) c++;
        return c;
    }

    private static String f(String fmt, double a, double b) {
        return String.format(Locale.ROOT, fmt, a, b);
    }
}

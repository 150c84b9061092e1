package dev.jllm.data;

import java.util.LinkedHashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Gopher repetition rules (Rae et al. 2021, table A1), with datatrove's GopherRepetitionFilter
 * defaults and measures: duplicate paragraph/line fractions (by count and by characters), the
 * character share of the most frequent 2/3/4-gram, and the character share of repeated 5..10-grams.
 * For CJK text words are characters ({@link Words}) and n-grams join them without spaces.
 * N-grams are compared by 64-bit hashes, not strings (a collision only makes a duplicate look
 * slightly more frequent).
 */
public record GopherRepetitionFilter(boolean enabled, double dupLineFrac, double dupParaFrac, double dupLineCharFrac,
                                     double dupParaCharFrac, List<Double> topNGrams, List<Double> dupNGrams) implements Filter {
    public GopherRepetitionFilter {
        topNGrams = List.copyOf(topNGrams);
        dupNGrams = List.copyOf(dupNGrams);
        if (topNGrams.size() != 3) throw new IllegalArgumentException("filters.gopher_repetition.top_ngrams: 3 fractions for n = 2, 3, 4, got " + topNGrams);
        if (dupNGrams.size() != 6) throw new IllegalArgumentException("filters.gopher_repetition.dup_ngrams: 6 fractions for n = 5..10, got " + dupNGrams);
    }

    @Override
    public String name() {
        return "gopher_repetition";
    }

    @Override
    public String reject(Doc doc) {
        String text = doc.text().strip();
        double len = Math.max(1, text.codePointCount(0, text.length()));
        String[] paras = text.split("\n{2,}");
        long[] pd = duplicates(paras);
        if (pd[0] / (double) paras.length > dupParaFrac) return frac("dup_para_frac", pd[0] / (double) paras.length, dupParaFrac);
        if (pd[1] / len > dupParaCharFrac) return frac("dup_para_char_frac", pd[1] / len, dupParaCharFrac);
        String[] lines = text.split("\n+");
        long[] ld = duplicates(lines);
        if (ld[0] / (double) lines.length > dupLineFrac) return frac("dup_line_frac", ld[0] / (double) lines.length, dupLineFrac);
        if (ld[1] / len > dupLineCharFrac) return frac("dup_line_char_frac", ld[1] / len, dupLineCharFrac);

        // punctuation-only words are left out: a CJK comma is a word of its own and "，不亦" is no repetition of content
        List<String> words = new java.util.ArrayList<>();
        for (String w : doc.words()) if (hasLetterOrDigit(w)) words.add(w);
        int sep = doc.isCjk() ? 0 : 1;
        int nw = words.size();
        long[] wh = new long[nw];
        int[] wl = new int[nw];
        for (int i = 0; i < nw; i++) {
            String w = words.get(i);
            wh[i] = Hashing.hash64(w);
            wl[i] = w.codePointCount(0, w.length());
        }
        for (int k = 0; k < 3; k++) {
            int n = k + 2;
            if (nw < n) continue;
            // datatrove: Counter.most_common(1) -> the highest count, ties to the first seen; times its length
            Map<Long, int[]> counts = new LinkedHashMap<>();
            for (int i = 0; i + n <= nw; i++) counts.computeIfAbsent(ngram(wh, i, n), h -> new int[] {0, 0})[0]++;
            for (int i = 0; i + n <= nw; i++) {
                int[] e = counts.get(ngram(wh, i, n));
                if (e[1] == 0) e[1] = i + 1; // first position, 1-based
            }
            int[] top = null;
            for (int[] e : counts.values()) if (top == null || e[0] > top[0]) top = e;
            long best = (long) top[0] * (charLen(wl, top[1] - 1, n) + (long) sep * (n - 1));
            if (best / len > topNGrams.get(k)) return frac("top_" + n + "_gram", best / len, topNGrams.get(k));
        }
        for (int k = 0; k < 6; k++) {
            int n = k + 5;
            Set<Long> seen = new HashSet<>();
            long repeated = 0;
            int i = 0;
            while (i + n <= nw) {
                if (!seen.add(ngram(wh, i, n))) {
                    repeated += charLen(wl, i, n); // datatrove joins with "" here: no separators counted
                    i += n;
                } else {
                    i++;
                }
            }
            if (repeated / len > dupNGrams.get(k)) return frac("duplicated_" + n + "_n_grams", repeated / len, dupNGrams.get(k));
        }
        return null;
    }

    /** The most frequent n-gram's count times its length is datatrove's find_top_duplicate. */
    private static long ngram(long[] wh, int i, int n) {
        long h = 0x9E3779B97F4A7C15L;
        for (int j = 0; j < n; j++) h = Hashing.fmix64(h ^ wh[i + j]) + j;
        return h;
    }

    private static long charLen(int[] wl, int i, int n) {
        long s = 0;
        for (int j = 0; j < n; j++) s += wl[i + j];
        return s;
    }

    private static boolean hasLetterOrDigit(String w) {
        return w.codePoints().anyMatch(Character::isLetterOrDigit);
    }

    /** {duplicate elements, characters in duplicates}: datatrove's find_duplicates. */
    private static long[] duplicates(String[] xs) {
        Set<String> seen = new HashSet<>();
        long dup = 0, chars = 0;
        for (String x : xs) {
            if (!seen.add(x)) {
                dup++;
                chars += x.codePointCount(0, x.length());
            }
        }
        return new long[] {dup, chars};
    }

    private static String frac(String rule, double v, double limit) {
        return String.format(Locale.ROOT, "%s %.3f > %.2f", rule, v, limit);
    }
}

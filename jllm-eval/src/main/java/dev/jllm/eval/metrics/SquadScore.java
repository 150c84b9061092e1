package dev.jllm.eval.metrics;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * SQuAD v1.1's official evaluate-v1.1.py: answers normalized (lowercase, ASCII punctuation removed,
 * articles a/an/the removed, whitespace collapsed), exact match and bag-of-tokens F1, each the maximum
 * over the ground truths. Per item 0–1; the script reports 100 × the mean.
 */
public final class SquadScore {
    private SquadScore() {}

    // Python 3 re on str: \b is a Unicode word boundary, as with UNICODE_CHARACTER_CLASS in Java.
    private static final Pattern ARTICLES = Pattern.compile("\\b(a|an|the)\\b", Pattern.UNICODE_CHARACTER_CLASS);
    private static final String PUNCTUATION = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"; // string.punctuation

    public static String normalize(String s) {
        String lower = PyText.lower(s);
        StringBuilder noPunc = new StringBuilder(lower.length());
        lower.codePoints().filter(cp -> cp > 0x7f || PUNCTUATION.indexOf(cp) < 0).forEach(noPunc::appendCodePoint);
        return PyText.squeeze(ARTICLES.matcher(noPunc).replaceAll(" "));
    }

    public static double exactMatch(String prediction, String groundTruth) {
        return normalize(prediction).equals(normalize(groundTruth)) ? 1 : 0;
    }

    public static double f1(String prediction, String groundTruth) {
        List<String> p = PyText.split(normalize(prediction)), g = PyText.split(normalize(groundTruth));
        Map<String, Integer> gc = new HashMap<>();
        for (String t : g) gc.merge(t, 1, Integer::sum);
        int same = 0;
        for (String t : p) {
            Integer c = gc.get(t);
            if (c != null && c > 0) {
                same++;
                gc.put(t, c - 1);
            }
        }
        if (same == 0) return 0;
        double precision = (double) same / p.size(), recall = (double) same / g.size();
        return 2 * precision * recall / (precision + recall);
    }

    /** metric_max_over_ground_truths(exact_match_score, ...). */
    public static double exactMatch(String prediction, List<String> groundTruths) {
        double best = requireAny(groundTruths);
        for (String g : groundTruths) best = Math.max(best, exactMatch(prediction, g));
        return best;
    }

    /** metric_max_over_ground_truths(f1_score, ...). */
    public static double f1(String prediction, List<String> groundTruths) {
        double best = requireAny(groundTruths);
        for (String g : groundTruths) best = Math.max(best, f1(prediction, g));
        return best;
    }

    static double requireAny(List<String> groundTruths) {
        if (groundTruths.isEmpty()) throw new IllegalArgumentException("no ground truth to compare with");
        return Double.NEGATIVE_INFINITY;
    }
}

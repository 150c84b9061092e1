package dev.jllm.eval.metrics;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * CMRC 2018's evaluation script (ymcui/cmrc2018 squad-style-data/cmrc2018_evaluate.py, "v5 - special"),
 * character level for Chinese. Both lowercase and strip the text and drop its "special characters"
 * (a fixed list of ASCII and full-width punctuation). EM: the remaining strings are equal. F1: "mixed
 * segmentation" makes each CJK character U+4E00..U+9FA5 a token and runs of anything else NLTK word
 * tokens; precision and recall come from the longest common contiguous run of tokens (the script's
 * find_lcs is a longest common substring, not subsequence). Both are maxima over the answers, 0–1.
 *
 * <p>One known difference: the script feeds each non-Chinese run to {@code nltk.word_tokenize}, which
 * first splits sentences with the Punkt model; here each run is one sentence, which differs only when
 * a run holds a sentence-final period followed by more text (the period then stays on its word).
 */
public final class Cmrc2018Score {
    private Cmrc2018Score() {}

    // sp_char as listed in the script. "……" is one two-character entry, so a single "…" never matches it.
    private static final Set<String> SP_CHAR = Set.of("-", ":", "_", "*", "^", "/", "\\", "~", "`", "+", "=",
            "，", "。", "：", "？", "！", "“", "”", "；", "’", "《", "》", "……", "·", "、",
            "「", "」", "（", "）", "－", "～", "『", "』");

    private static boolean isCjk(int cp) {
        return cp >= 0x4e00 && cp <= 0x9fa5;
    }

    /** mixed_segmentation(s, rm_punc). */
    static List<String> mixedSegmentation(String s, boolean removePunctuation) {
        List<String> out = new ArrayList<>();
        StringBuilder temp = new StringBuilder();
        for (String ch : PyText.chars(PyText.strip(PyText.lower(s)))) {
            boolean special = SP_CHAR.contains(ch);
            if (removePunctuation && special) continue;
            if (isCjk(ch.codePointAt(0)) || special) {
                if (!temp.isEmpty()) {
                    out.addAll(NltkWordTokenizer.tokenize(temp.toString()));
                    temp.setLength(0);
                }
                out.add(ch);
            } else {
                temp.append(ch);
            }
        }
        if (!temp.isEmpty()) out.addAll(NltkWordTokenizer.tokenize(temp.toString()));
        return out;
    }

    /** remove_punctuation(s). */
    static String removePunctuation(String s) {
        StringBuilder sb = new StringBuilder();
        for (String ch : PyText.chars(PyText.strip(PyText.lower(s)))) if (!SP_CHAR.contains(ch)) sb.append(ch);
        return sb.toString();
    }

    /** Length of the longest common contiguous run of tokens (find_lcs's mmax). */
    static int longestCommonRun(List<String> a, List<String> b) {
        int[] prev = new int[b.size() + 1], cur = new int[b.size() + 1];
        int best = 0;
        for (int i = 0; i < a.size(); i++) {
            for (int j = 0; j < b.size(); j++) {
                cur[j + 1] = a.get(i).equals(b.get(j)) ? prev[j] + 1 : 0;
                best = Math.max(best, cur[j + 1]);
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return best;
    }

    /** calc_f1_score(answers, prediction). */
    public static double f1(String prediction, List<String> answers) {
        double best = SquadScore.requireAny(answers);
        List<String> pred = mixedSegmentation(prediction, true);
        for (String ans : answers) {
            List<String> a = mixedSegmentation(ans, true);
            int lcs = longestCommonRun(a, pred);
            double f1 = 0;
            if (lcs > 0) {
                double precision = (double) lcs / pred.size(), recall = (double) lcs / a.size();
                f1 = 2 * precision * recall / (precision + recall);
            }
            best = Math.max(best, f1);
        }
        return best;
    }

    /** calc_em_score(answers, prediction). */
    public static double exactMatch(String prediction, List<String> answers) {
        SquadScore.requireAny(answers);
        String p = removePunctuation(prediction);
        for (String ans : answers) if (removePunctuation(ans).equals(p)) return 1;
        return 0;
    }
}

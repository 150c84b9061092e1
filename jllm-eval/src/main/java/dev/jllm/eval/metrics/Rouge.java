package dev.jllm.eval.metrics;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * rouge-score's RougeScorer (rouge/rouge_scorer.py): ROUGE-N by clipped n-gram overlap, ROUGE-L by
 * longest common subsequence of the token lists, ROUGE-Lsum by the summary-level union LCS over
 * newline-separated sentences; precision, recall and F1 (0–1). Several references: the one with the
 * highest F1 wins, as {@code score_multi}.
 */
public final class Rouge {

    /** ROUGE-1..9, L or Lsum. */
    public record Type(int n, boolean lcs, boolean summary) {
        public Type {
            if (!lcs && (n < 1 || n > 9)) throw new IllegalArgumentException("ROUGE-N needs n in 1..9, got " + n);
        }

        public static final Type ROUGE_1 = new Type(1, false, false);
        public static final Type ROUGE_2 = new Type(2, false, false);
        public static final Type ROUGE_L = new Type(0, true, false);
        public static final Type ROUGE_LSUM = new Type(0, true, true);

        /** rouge-score's names: rouge1, rouge2, rougeL, rougeLsum (also rouge-1, rouge-l). */
        public static Type of(String name) {
            String s = name.toLowerCase(java.util.Locale.ROOT).replace("-", "");
            if (s.equals("rougel")) return ROUGE_L;
            if (s.equals("rougelsum")) return ROUGE_LSUM;
            if (s.matches("rouge[1-9]")) return new Type(s.charAt(5) - '0', false, false);
            throw new IllegalArgumentException("invalid ROUGE type '" + name + "' (rouge1..rouge9, rougeL, rougeLsum)");
        }
    }

    /** rouge-score's Score tuple. */
    public record Score(double precision, double recall, double fmeasure) {
        static final Score ZERO = new Score(0, 0, 0);

        static Score of(double p, double r) {
            return new Score(p, r, p + r > 0 ? 2 * p * r / (p + r) : 0.0);
        }
    }

    private final Type type;
    private final RougeTokenizer tokenizer;

    public Rouge(Type type, RougeTokenizer tokenizer) {
        this.type = type;
        this.tokenizer = tokenizer;
    }

    /** {@code scorer.score(target, prediction)}. */
    public Score score(String target, String prediction) {
        if (type.summary) return summaryLevelLcs(sentences(target), sentences(prediction));
        List<String> t = tokenizer.tokenize(target), p = tokenizer.tokenize(prediction);
        return type.lcs ? lcsScore(t, p) : ngramScore(t, p, type.n);
    }

    /** {@code scorer.score_multi(targets, prediction)}: the target with the highest F1 (the first on ties). */
    public Score scoreMulti(List<String> targets, String prediction) {
        Score best = null;
        for (String t : targets) {
            Score s = score(t, prediction);
            if (best == null || s.fmeasure > best.fmeasure) best = s;
        }
        if (best == null) throw new IllegalArgumentException("no target to score against");
        return best;
    }

    /** Mean F1 over items, each against its references (rouge-score's per-item scores averaged). */
    public ItemStats stats(List<String> predictions, List<List<String>> targetsPerItem) {
        double[] f = new double[predictions.size()];
        for (int i = 0; i < f.length; i++) f[i] = scoreMulti(targetsPerItem.get(i), predictions.get(i)).fmeasure;
        return ItemStats.means(f);
    }

    private List<List<String>> sentences(String text) {
        List<List<String>> out = new ArrayList<>();
        for (String s : text.split("\n", -1)) if (!s.isEmpty()) out.add(tokenizer.tokenize(s));
        return out;
    }

    static Score ngramScore(List<String> target, List<String> prediction, int n) {
        Map<List<String>, Integer> t = ngrams(target, n), p = ngrams(prediction, n);
        long inter = 0, tc = 0, pc = 0;
        for (Map.Entry<List<String>, Integer> e : t.entrySet()) inter += Math.min(e.getValue(), p.getOrDefault(e.getKey(), 0));
        for (int c : t.values()) tc += c;
        for (int c : p.values()) pc += c;
        return Score.of((double) inter / Math.max(pc, 1), (double) inter / Math.max(tc, 1));
    }

    private static Map<List<String>, Integer> ngrams(List<String> toks, int n) {
        Map<List<String>, Integer> m = new HashMap<>();
        for (int i = 0; i + n <= toks.size(); i++) m.merge(toks.subList(i, i + n), 1, Integer::sum);
        return m;
    }

    static Score lcsScore(List<String> target, List<String> prediction) {
        if (target.isEmpty() || prediction.isEmpty()) return Score.ZERO;
        int lcs = lcsLength(target, prediction);
        return Score.of((double) lcs / prediction.size(), (double) lcs / target.size());
    }

    /** LCS length with two rows of the DP table (long texts would not fit a full table). */
    static int lcsLength(List<String> a, List<String> b) {
        int[] prev = new int[b.size() + 1], cur = new int[b.size() + 1];
        for (int i = 1; i <= a.size(); i++) {
            for (int j = 1; j <= b.size(); j++) {
                cur[j] = a.get(i - 1).equals(b.get(j - 1)) ? prev[j - 1] + 1 : Math.max(prev[j], cur[j - 1]);
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev[b.size()];
    }

    /** Indices into {@code ref} of one LCS, read back as rouge-score's _backtrack_norec does. */
    static List<Integer> lcsIndices(List<String> ref, List<String> can) {
        int[][] t = new int[ref.size() + 1][can.size() + 1];
        for (int i = 1; i <= ref.size(); i++) {
            for (int j = 1; j <= can.size(); j++) {
                t[i][j] = ref.get(i - 1).equals(can.get(j - 1)) ? t[i - 1][j - 1] + 1 : Math.max(t[i - 1][j], t[i][j - 1]);
            }
        }
        List<Integer> lcs = new ArrayList<>();
        int i = ref.size(), j = can.size();
        while (i > 0 && j > 0) {
            if (ref.get(i - 1).equals(can.get(j - 1))) {
                lcs.addFirst(i - 1);
                i--;
                j--;
            } else if (t[i][j - 1] > t[i - 1][j]) {
                j--;
            } else {
                i--;
            }
        }
        return lcs;
    }

    /** Section 3.2 of the ROUGE paper with ROUGE-1.5.5's guard against counting a token twice. */
    static Score summaryLevelLcs(List<List<String>> refSents, List<List<String>> canSents) {
        if (refSents.isEmpty() || canSents.isEmpty()) return Score.ZERO;
        long m = refSents.stream().mapToLong(List::size).sum(), n = canSents.stream().mapToLong(List::size).sum();
        if (m == 0 || n == 0) return Score.ZERO;
        Map<String, Integer> cntR = new HashMap<>(), cntC = new HashMap<>();
        refSents.forEach(s -> s.forEach(t -> cntR.merge(t, 1, Integer::sum)));
        canSents.forEach(s -> s.forEach(t -> cntC.merge(t, 1, Integer::sum)));
        long hits = 0;
        for (List<String> r : refSents) {
            TreeSet<Integer> union = new TreeSet<>();
            for (List<String> c : canSents) union.addAll(lcsIndices(r, c));
            for (int idx : union) {
                String t = r.get(idx);
                if (cntC.getOrDefault(t, 0) > 0 && cntR.getOrDefault(t, 0) > 0) {
                    hits++;
                    cntC.merge(t, -1, Integer::sum);
                    cntR.merge(t, -1, Integer::sum);
                }
            }
        }
        return Score.of((double) hits / n, (double) hits / m);
    }
}

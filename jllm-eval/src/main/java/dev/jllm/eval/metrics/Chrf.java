package dev.jllm.eval.metrics;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * sacreBLEU 2.x chrF / chrF++ (sacrebleu/metrics/chrf.py): character n-grams (whitespace removed by
 * default) and optionally word n-grams; per segment the best-F reference's [hyp, ref, match] counts per
 * order are kept, summed over the corpus, and turned into an F-beta score averaged over orders. 0–100.
 */
public final class Chrf {

    /**
     * @param whitespace keep whitespace inside character n-grams (sacreBLEU's default: removed)
     * @param epsSmoothing chrF++.py/NLTK/Moses-style eps smoothing; sacreBLEU's default (false) averages
     *     precision and recall over the orders that have both hypothesis and reference n-grams
     */
    public record Config(int charOrder, int wordOrder, int beta, boolean lowercase, boolean whitespace, boolean epsSmoothing) {
        public Config {
            if (charOrder < 0 || wordOrder < 0 || charOrder + wordOrder == 0 || charOrder > 20 || wordOrder > 9) {
                throw new IllegalArgumentException("chrF orders must be >= 0, not both 0, got char " + charOrder + " word " + wordOrder);
            }
            if (beta < 0) throw new IllegalArgumentException("chrF beta must be >= 0, got " + beta);
        }

        /** sacreBLEU's CHRF() defaults: chrF2, character order 6, no word n-grams. */
        public static Config chrf() {
            return new Config(6, 0, 2, false, false, false);
        }

        /** chrF++: the defaults plus word unigrams and bigrams. */
        public static Config chrfPlusPlus() {
            return new Config(6, 2, 2, false, false, false);
        }
    }

    // string.punctuation, which chrF++'s word splitter peels off word edges
    private static final Set<Integer> PUNCTS = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~".codePoints().boxed().collect(java.util.stream.Collectors.toSet());

    private final Config config;

    public Chrf(Config config) {
        this.config = config;
    }

    public Config config() {
        return config;
    }

    /** Per-segment [hyp, ref, match] counts for every order (character orders first, then word orders). */
    public ItemStats stats(List<String> hyps, List<List<String>> refStreams) {
        int n = hyps.size();
        if (refStreams.isEmpty()) throw new IllegalArgumentException("no references");
        for (List<String> s : refStreams) {
            if (s.size() != n) throw new IllegalArgumentException("a reference stream has " + s.size() + " segments, the hypotheses " + n);
        }
        double[][] rows = new double[n][];
        for (int i = 0; i < n; i++) {
            List<String> refs = new ArrayList<>();
            for (List<String> s : refStreams) if (s.get(i) != null) refs.add(s.get(i));
            rows[i] = segmentStats(hyps.get(i), refs);
        }
        return ItemStats.of(rows, (sums, count) -> fScore(sums));
    }

    public double corpus(List<String> hyps, List<List<String>> refStreams) {
        return fScore(stats(hyps, refStreams).sums());
    }

    /** chrF of one hypothesis against its references (sacreBLEU's sentence_score). */
    public double sentence(String hyp, List<String> refs) {
        return fScore(segmentStats(hyp, refs));
    }

    double[] segmentStats(String hyp, List<String> refs) {
        List<Map<String, Integer>> hypNgrams = allNgrams(preprocess(hyp));
        double[] best = new double[0];
        double bestF = -1.0;
        for (String ref : refs) {
            List<Map<String, Integer>> refNgrams = allNgrams(preprocess(ref));
            double[] stats = new double[3 * hypNgrams.size()];
            for (int k = 0; k < hypNgrams.size(); k++) matchStats(hypNgrams.get(k), refNgrams.get(k), stats, 3 * k);
            double f = fScore(stats);
            if (f > bestF) {
                bestF = f;
                best = stats;
            }
        }
        return best.length == 0 ? new double[3 * (config.charOrder + config.wordOrder)] : best;
    }

    private String preprocess(String s) {
        return config.lowercase ? PyText.lower(s) : s;
    }

    private List<Map<String, Integer>> allNgrams(String line) {
        List<Map<String, Integer>> out = new ArrayList<>();
        String chars = config.whitespace ? line : String.join("", PyText.split(line));
        int[] cps = chars.codePoints().toArray();
        for (int n = 1; n <= config.charOrder; n++) {
            Map<String, Integer> m = new HashMap<>();
            for (int i = 0; i + n <= cps.length; i++) m.merge(new String(cps, i, n), 1, Integer::sum);
            out.add(m);
        }
        if (config.wordOrder > 0) {
            List<String> words = removePunctuation(line);
            for (int n = 1; n <= config.wordOrder; n++) {
                Map<String, Integer> m = new HashMap<>();
                for (int i = 0; i + n <= words.size(); i++) m.merge(String.join(" ", words.subList(i, i + n)), 1, Integer::sum);
                out.add(m);
            }
        }
        return out;
    }

    /** chrF++'s word splitter: a punctuation mark at the end (else the start) of a longer word becomes its own word. */
    static List<String> removePunctuation(String sent) {
        List<String> out = new ArrayList<>();
        for (String w : PyText.split(sent)) {
            int[] cps = w.codePoints().toArray();
            if (cps.length == 1) {
                out.add(w);
            } else if (PUNCTS.contains(cps[cps.length - 1])) {
                out.add(new String(cps, 0, cps.length - 1));
                out.add(new String(cps, cps.length - 1, 1));
            } else if (PUNCTS.contains(cps[0])) {
                out.add(new String(cps, 0, 1));
                out.add(new String(cps, 1, cps.length - 1));
            } else {
                out.add(w);
            }
        }
        return out;
    }

    private static void matchStats(Map<String, Integer> hyp, Map<String, Integer> ref, double[] out, int at) {
        long match = 0, hypCount = 0, refCount = 0;
        for (Map.Entry<String, Integer> e : hyp.entrySet()) {
            hypCount += e.getValue();
            Integer r = ref.get(e.getKey());
            if (r != null) match += Math.min(e.getValue(), r);
        }
        for (int c : ref.values()) refCount += c;
        out[at] = ref.isEmpty() ? 0 : hypCount; // no hits are counted for an order the reference lacks
        out[at + 1] = refCount;
        out[at + 2] = match;
    }

    /** sacreBLEU's CHRF._compute_f_score. */
    double fScore(double[] stats) {
        final double eps = 1e-16;
        int order = config.charOrder + config.wordOrder;
        double factor = (double) config.beta * config.beta;
        double score = 0, avgPrec = 0, avgRec = 0;
        int effectiveOrder = 0;
        for (int i = 0; i < order; i++) {
            double nHyp = stats[3 * i], nRef = stats[3 * i + 1], nMatch = stats[3 * i + 2];
            double prec = nHyp > 0 ? nMatch / nHyp : eps;
            double rec = nRef > 0 ? nMatch / nRef : eps;
            double denom = factor * prec + rec;
            score += denom > 0 ? (1 + factor) * prec * rec / denom : eps;
            if (nHyp > 0 && nRef > 0) {
                avgPrec += prec;
                avgRec += rec;
                effectiveOrder++;
            }
        }
        if (config.epsSmoothing) return 100 * score / order;
        if (effectiveOrder == 0) {
            avgPrec = avgRec = 0;
        } else {
            avgPrec /= effectiveOrder;
            avgRec /= effectiveOrder;
        }
        if (avgPrec + avgRec == 0) return 0.0;
        double f = (1 + factor) * avgPrec * avgRec; // same operation order as the Python, to the last bit
        f /= factor * avgPrec + avgRec;
        return 100 * f;
    }
}

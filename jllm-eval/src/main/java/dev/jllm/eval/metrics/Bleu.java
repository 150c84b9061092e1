package dev.jllm.eval.metrics;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * sacreBLEU 2.x BLEU (sacrebleu/metrics/bleu.py): per-segment n-gram statistics against all references
 * (clipped by the maximum count over references, closest reference length, shorter on ties), summed
 * over the corpus, then geometric mean of precisions with the configured smoothing times the brevity
 * penalty. Scores are on sacreBLEU's 0–100 scale.
 */
public final class Bleu {

    /** sacreBLEU's smooth_method values. */
    public enum Smoothing { NONE, FLOOR, ADD_K, EXP }

    /**
     * @param smoothValue for FLOOR and ADD_K; null = sacreBLEU's default (0.1 and 1)
     * @param effectiveOrder stop the geometric mean at the highest order with any hypothesis n-gram
     *     (sacreBLEU's default is off for corpus BLEU, on for {@code sentence_bleu})
     */
    public record Config(BleuTokenizer tokenizer, boolean lowercase, Smoothing smoothing, Double smoothValue,
                         int maxOrder, boolean effectiveOrder) {
        public Config {
            if (tokenizer == null || smoothing == null) throw new IllegalArgumentException("tokenizer and smoothing are required");
            if (maxOrder < 1 || maxOrder > 9) throw new IllegalArgumentException("BLEU max n-gram order must be 1..9, got " + maxOrder);
            if (smoothValue != null && !(smoothValue >= 0)) throw new IllegalArgumentException("smoothing value must be >= 0, got " + smoothValue);
        }

        /** {@code sacrebleu.corpus_bleu} defaults: 13a, mixed case, exp smoothing, order 4, no effective order. */
        public static Config corpus(BleuTokenizer tokenizer) {
            return new Config(tokenizer, false, Smoothing.EXP, null, 4, false);
        }

        /** {@code sacrebleu.sentence_bleu} defaults: as corpus BLEU but with effective order. */
        public static Config sentence(BleuTokenizer tokenizer) {
            return new Config(tokenizer, false, Smoothing.EXP, null, 4, true);
        }

        double smoothValueOrDefault() {
            if (smoothValue != null) return smoothValue;
            return switch (smoothing) {
                case FLOOR -> 0.1;
                case ADD_K -> 1;
                default -> 0;
            };
        }
    }

    /** A BLEU score with its statistics, as sacreBLEU's BLEUScore. */
    public record Score(double score, double[] counts, double[] totals, double[] precisions, double bp, long sysLen, long refLen) {
        public double ratio() {
            return refLen == 0 ? 0 : (double) sysLen / refLen;
        }
    }

    private final Config config;

    public Bleu(Config config) {
        this.config = config;
    }

    public Config config() {
        return config;
    }

    /**
     * Per-segment statistics {@code [hyp_len, ref_len, correct_1..N, total_1..N]}.
     *
     * @param refStreams reference streams as sacreBLEU takes them: {@code refStreams.get(r).get(i)} is
     *     reference r of segment i; a null entry means "no such reference for this segment"
     */
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
        int order = config.maxOrder;
        return ItemStats.of(rows, (sums, count) -> fromStats(sums, order).score);
    }

    public Score corpus(List<String> hyps, List<List<String>> refStreams) {
        return fromStats(stats(hyps, refStreams).sums(), config.maxOrder);
    }

    /** BLEU of one hypothesis against its references (sacreBLEU's sentence_score; use Config.sentence for sentence_bleu). */
    public Score sentence(String hyp, List<String> refs) {
        return fromStats(segmentStats(hyp, refs), config.maxOrder);
    }

    double[] segmentStats(String hyp, List<String> refs) {
        int order = config.maxOrder;
        Map<List<String>, Integer> refNgrams = new HashMap<>();
        List<Integer> refLens = new ArrayList<>();
        for (String ref : refs) {
            List<String> toks = BleuTokenizer.words(preprocess(ref));
            refLens.add(toks.size());
            ngrams(toks, order).forEach((g, c) -> refNgrams.merge(g, c, Math::max));
        }
        List<String> hypToks = BleuTokenizer.words(preprocess(hyp));
        int hypLen = hypToks.size();
        double[] row = new double[2 + 2 * order];
        row[0] = hypLen;
        row[1] = closestRefLen(hypLen, refLens);
        for (Map.Entry<List<String>, Integer> e : ngrams(hypToks, order).entrySet()) {
            int n = e.getKey().size() - 1;
            row[2 + order + n] += e.getValue();
            Integer r = refNgrams.get(e.getKey());
            if (r != null) row[2 + n] += Math.min(e.getValue(), r);
        }
        return row;
    }

    private String preprocess(String s) {
        if (config.lowercase) s = PyText.lower(s);
        return config.tokenizer.tokenize(PyText.rstrip(s));
    }

    private static int closestRefLen(int hypLen, List<Integer> refLens) {
        int closestDiff = -1, closestLen = -1;
        for (int r : refLens) {
            int diff = Math.abs(hypLen - r);
            if (closestDiff == -1 || diff < closestDiff) {
                closestDiff = diff;
                closestLen = r;
            } else if (diff == closestDiff && r < closestLen) {
                closestLen = r;
            }
        }
        return closestLen; // -1 without references, as sacreBLEU
    }

    static Map<List<String>, Integer> ngrams(List<String> toks, int maxOrder) {
        Map<List<String>, Integer> m = new HashMap<>();
        for (int n = 1; n <= maxOrder; n++) {
            for (int i = 0; i + n <= toks.size(); i++) m.merge(List.copyOf(toks.subList(i, i + n)), 1, Integer::sum);
        }
        return m;
    }

    private Score fromStats(double[] s, int order) {
        double[] correct = java.util.Arrays.copyOfRange(s, 2, 2 + order);
        double[] total = java.util.Arrays.copyOfRange(s, 2 + order, 2 + 2 * order);
        return compute(correct, total, (long) s[0], (long) s[1], config);
    }

    /** sacreBLEU's BLEU.compute_bleu from sufficient statistics (arrays are copied, not changed). */
    public static Score compute(double[] correctIn, double[] totalIn, long sysLen, long refLen, Config c) {
        double[] correct = correctIn.clone(), total = totalIn.clone();
        int maxOrder = c.maxOrder;
        double smoothValue = c.smoothValueOrDefault();
        double bp = 1.0;
        if (sysLen < refLen) bp = sysLen > 0 ? Math.exp(1 - (double) refLen / sysLen) : 0.0;
        double[] precisions = new double[maxOrder];
        boolean anyCorrect = false;
        for (double x : correct) anyCorrect |= x != 0;
        if (!anyCorrect) return new Score(0.0, correct, total, precisions, bp, sysLen, refLen); // sacreBLEU #141
        double smoothMteval = 1.0;
        int effOrder = maxOrder;
        for (int n = 1; n <= maxOrder; n++) {
            if (c.smoothing == Smoothing.ADD_K && n > 1) {
                correct[n - 1] += smoothValue;
                total[n - 1] += smoothValue;
            }
            if (total[n - 1] == 0) break;
            if (c.effectiveOrder) effOrder = n;
            if (correct[n - 1] == 0) {
                if (c.smoothing == Smoothing.EXP) {
                    smoothMteval *= 2;
                    precisions[n - 1] = 100.0 / (smoothMteval * total[n - 1]);
                } else if (c.smoothing == Smoothing.FLOOR) {
                    precisions[n - 1] = 100.0 * smoothValue / total[n - 1];
                }
            } else {
                precisions[n - 1] = 100.0 * correct[n - 1] / total[n - 1];
            }
        }
        double logSum = 0;
        for (int n = 0; n < effOrder; n++) logSum += myLog(precisions[n]);
        return new Score(bp * Math.exp(logSum / effOrder), correct, total, precisions, bp, sysLen, refLen);
    }

    /** sacreBLEU's utils.my_log: log floored at -9999999999 for 0. */
    private static double myLog(double x) {
        return x == 0.0 ? -9999999999.0 : Math.log(x);
    }
}

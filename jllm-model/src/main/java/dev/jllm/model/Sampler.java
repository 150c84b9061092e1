package dev.jllm.model;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Picks next tokens for one sequence, in llama.cpp's default order: logit bias → penalties →
 * (greedy if temperature 0) → top-k → top-p → min-p → temperature → draw. Holds its own seeded RNG
 * and the token history the penalties need. Not thread-safe: one per sequence.
 */
public final class Sampler {
    /** Candidates more than this many nats below the best cannot matter (probability ratio e^−30). */
    private static final float CUTOFF = 30f;

    private final SamplingParams p;
    private final SplittableRandom rng;
    private int[] history = new int[64];
    private int historyLen;
    // scratch, grown on demand
    private long[] packed = new long[0];
    private float[] probs = new float[0];
    private int[] ids = new int[0];

    public Sampler(SamplingParams params) {
        this.p = params;
        this.rng = new SplittableRandom(params.seed());
    }

    public SamplingParams params() {
        return p;
    }

    /** Records a token (prompt or generated) for the penalties. */
    public void accept(int token) {
        if (historyLen == history.length) history = Arrays.copyOf(history, history.length * 2);
        history[historyLen++] = token;
    }

    /** Chooses a token from {@code logits} (modified in place). Does not record it: call {@link #accept}. */
    public int sample(float[] logits) {
        int V = logits.length;
        for (var e : p.logitBias().entrySet()) if (e.getKey() < V) logits[e.getKey()] += e.getValue();
        applyPenalties(logits);
        if (p.temperature() == 0f) return argmax(logits);
        float max = logits[argmax(logits)];
        // No truncation at all (OpenAI's defaults: top_p 1, no top-k/min-p): draw from the full
        // softmax in one pass, no sorting (sorting a 150k vocabulary per token costs ~10 ms).
        if (p.topK() == 0 && p.topP() >= 1f && p.minP() == 0f) return drawFull(logits, max);

        // Candidates sorted by logit, descending, as packed (ordered float bits, id) longs. Only as
        // many as the cuts can need are selected and sorted: top-k exactly; for top-p/min-p a
        // growing prefix (256, 1024, ...) until it holds the nucleus, which is exact because the
        // nucleus is a prefix of the sorted order.
        int n = 0;
        if (packed.length < V) packed = new long[V];
        for (int i = 0; i < V; i++) {
            if (logits[i] >= max - CUTOFF) packed[n++] = ((long) ~sortableBits(logits[i]) << 32) | i;
        }
        int all = n;
        int want = p.topK() > 0 ? Math.min(p.topK(), all) : Math.min(256, all);
        while (true) {
            selectSmallest(packed, all, want);
            Arrays.sort(packed, 0, want);
            n = want;
            if (ids.length < n) { ids = new int[n]; probs = new float[n]; }
            for (int i = 0; i < n; i++) ids[i] = (int) packed[i];
            // probabilities at temperature 1 for the top-p / min-p cuts (llama.cpp applies temperature last),
            // normalised over all candidates so the nucleus is measured against the whole distribution
            // (over the top-k set when there is one: llama.cpp renormalises after top-k)
            double total = 0;
            for (int i = 0; i < (p.topK() > 0 ? n : all); i++) total += Math.exp(logits[(int) packed[i]] - max);
            double cum = 0;
            int cut = n;
            boolean complete = p.topK() > 0 || want == all;
            if (p.topP() < 1f) {
                cut = -1;
                for (int i = 0; i < n; i++) {
                    cum += Math.exp(logits[ids[i]] - max) / total;
                    if (cum >= p.topP()) { cut = i + 1; break; }
                }
                if (cut < 0) {
                    if (!complete) { want = Math.min(all, want * 4); continue; }
                    cut = n;
                }
            } else if (!complete && p.minP() > 0f) {
                // min-p keeps every token with p >= minP · p(max): all of them must be in the prefix
                double threshold = Math.log(p.minP());
                if (logits[ids[n - 1]] - max >= threshold) { want = Math.min(all, want * 4); continue; }
            } else if (!complete) {
                want = all;
                continue;
            }
            n = cut;
            break;
        }
        softmax(logits, n, 1f);
        if (p.minP() > 0f) {
            float threshold = probs[0] * p.minP();
            int keep = 1;
            while (keep < n && probs[keep] >= threshold) keep++;
            n = keep;
        }
        softmax(logits, n, p.temperature());
        double r = rng.nextDouble(), cum = 0;
        for (int i = 0; i < n; i++) {
            cum += probs[i];
            if (r < cum) return ids[i];
        }
        return ids[n - 1];
    }

    /** One draw from softmax(logits / T) over the whole vocabulary, in id order. */
    private int drawFull(float[] logits, float max) {
        float t = p.temperature();
        double sum = 0;
        for (float l : logits) sum += Math.exp((l - max) / t);
        double r = rng.nextDouble() * sum, cum = 0;
        for (int i = 0; i < logits.length; i++) {
            cum += Math.exp((logits[i] - max) / t);
            if (r < cum) return i;
        }
        return argmax(logits);
    }

    /**
     * Rearranges a[0..n) so that its k smallest values occupy a[0..k) (in any order): quickselect,
     * O(n) on average, instead of sorting everything.
     */
    static void selectSmallest(long[] a, int n, int k) {
        if (k <= 0 || k >= n) return;
        int lo = 0, hi = n - 1;
        while (hi > lo) {
            long pivot = a[(lo + hi) >>> 1];
            int i = lo, j = hi;
            while (i <= j) {
                while (a[i] < pivot) i++;
                while (a[j] > pivot) j--;
                if (i <= j) {
                    long x = a[i];
                    a[i] = a[j];
                    a[j] = x;
                    i++;
                    j--;
                }
            }
            // a[lo..j] <= pivot <= a[i..hi]; keep the side that holds index k-1
            if (k - 1 <= j) hi = j;
            else if (k - 1 >= i) lo = i;
            else return;
        }
    }

    private void softmax(float[] logits, int n, float temperature) {
        float m = logits[ids[0]];
        double sum = 0;
        for (int i = 0; i < n; i++) {
            probs[i] = (float) Math.exp((logits[ids[i]] - m) / temperature);
            sum += probs[i];
        }
        for (int i = 0; i < n; i++) probs[i] /= (float) sum;
    }

    private void applyPenalties(float[] logits) {
        boolean rep = p.repetitionPenalty() != 1f, pres = p.presencePenalty() != 0f, freq = p.frequencyPenalty() != 0f;
        if (!(rep || pres || freq) || historyLen == 0) return;
        int from = p.penaltyLastN() < 0 ? 0 : Math.max(0, historyLen - p.penaltyLastN());
        java.util.HashMap<Integer, Integer> counts = new java.util.HashMap<>();
        for (int i = from; i < historyLen; i++) counts.merge(history[i], 1, Integer::sum);
        for (var e : counts.entrySet()) {
            int t = e.getKey();
            if (t < 0 || t >= logits.length) continue;
            if (rep) logits[t] = logits[t] > 0 ? logits[t] / p.repetitionPenalty() : logits[t] * p.repetitionPenalty();
            logits[t] -= e.getValue() * p.frequencyPenalty() + (pres ? p.presencePenalty() : 0f);
        }
    }

    /** Index of the largest value; ties → the lowest index (as llama.cpp's greedy sampler). */
    public static int argmax(float[] x) {
        int best = 0;
        for (int i = 1; i < x.length; i++) if (x[i] > x[best]) best = i;
        return best;
    }

    /** float bits mapped so that signed int order equals float order. */
    private static int sortableBits(float f) {
        int b = Float.floatToRawIntBits(f);
        return b >= 0 ? b : b ^ 0x7fffffff;
    }
}

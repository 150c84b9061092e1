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

        // candidates sorted by logit, descending: pack (ordered float bits, id) into longs and sort
        float max = logits[argmax(logits)];
        int n = 0;
        if (packed.length < V) packed = new long[V];
        for (int i = 0; i < V; i++) {
            if (logits[i] >= max - CUTOFF) packed[n++] = ((long) ~sortableBits(logits[i]) << 32) | i;
        }
        Arrays.sort(packed, 0, n);
        if (p.topK() > 0) n = Math.min(n, p.topK());
        if (ids.length < n) { ids = new int[n]; probs = new float[n]; }
        for (int i = 0; i < n; i++) ids[i] = (int) packed[i];
        // probabilities at temperature 1 for the top-p / min-p cuts (llama.cpp applies temperature last)
        softmax(logits, n, 1f);
        if (p.topP() < 1f) {
            double cum = 0;
            for (int i = 0; i < n; i++) {
                cum += probs[i];
                if (cum >= p.topP()) { n = i + 1; break; }
            }
        }
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

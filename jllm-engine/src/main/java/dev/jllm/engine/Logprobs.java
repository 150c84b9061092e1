package dev.jllm.engine;

import java.util.Arrays;

/**
 * Log-probabilities of tokens under the model's raw distribution: the log-softmax of the logits the
 * forward pass produced, in double, BEFORE anything a request changes (token mask, logit bias,
 * repetition/presence/frequency penalties, temperature, top-k/p). That is what lm-evaluation-harness
 * and perplexity need (the model's own probabilities, whatever the sampling settings), and it is the
 * same arithmetic as {@code model.Perplexity} and {@code model.LogLikelihood}, so the numbers agree
 * with {@code jllm perplexity} on the same tokens.
 */
public final class Logprobs {
    private Logprobs() {}

    /** OpenAI's limit on alternatives per position. */
    public static final int MAX_TOP = 20;

    /**
     * What a request wants back.
     *
     * @param top    alternatives per position (0..20), most likely first
     * @param prompt also the prompt's tokens (completions' {@code echo}): each prompt token given the
     *               ones before it, the first one has none. Such a request is prefilled from scratch
     *               (a cached prefix has no logits) with logits at every position.
     */
    public record Request(int top, boolean prompt) {
        public Request {
            if (top < 0 || top > MAX_TOP) throw new IllegalArgumentException("top logprobs must be in 0.." + MAX_TOP + ", got " + top);
        }
    }

    /**
     * One position: the token there, its log-probability, and the {@code top} most likely tokens
     * (ties by lower id) with theirs.
     */
    public record Token(int id, double logprob, int[] topIds, double[] topLogprobs) {
        public Token {
            if (topIds.length != topLogprobs.length) throw new IllegalArgumentException("top ids and logprobs differ in length");
            topIds = topIds.clone();
            topLogprobs = topLogprobs.clone();
        }

        @Override
        public int[] topIds() {
            return topIds.clone();
        }

        @Override
        public double[] topLogprobs() {
            return topLogprobs.clone();
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Token t && t.id == id && Double.compare(t.logprob, logprob) == 0 && Arrays.equals(t.topIds, topIds)
                    && Arrays.equals(t.topLogprobs, topLogprobs);
        }

        @Override
        public int hashCode() {
            return 31 * Integer.hashCode(id) + Double.hashCode(logprob);
        }
    }

    /** log p(id) and the top {@code top} alternatives from one row of raw logits (not modified). */
    public static Token of(float[] logits, int id, int top) {
        float max = Float.NEGATIVE_INFINITY;
        for (float v : logits) max = Math.max(max, v);
        double sum = 0;
        for (float v : logits) sum += Math.exp(v - max);
        double logSum = Math.log(sum);
        int[] best = topIds(logits, top);
        double[] lp = new double[best.length];
        for (int i = 0; i < best.length; i++) lp[i] = logits[best[i]] - max - logSum;
        return new Token(id, logits[id] - max - logSum, best, lp);
    }

    /** The k largest logits' ids, largest first, ties by lower id: one pass with a small sorted buffer (k ≤ 20). */
    static int[] topIds(float[] logits, int k) {
        int[] ids = new int[Math.min(k, logits.length)];
        int n = 0;
        for (int i = 0; i < logits.length; i++) {
            float v = logits[i];
            if (n == ids.length && (n == 0 || v <= logits[ids[n - 1]])) continue;
            int at = n == ids.length ? n - 1 : n++;
            while (at > 0 && logits[ids[at - 1]] < v) {
                ids[at] = ids[at - 1];
                at--;
            }
            ids[at] = i;
        }
        return ids;
    }
}

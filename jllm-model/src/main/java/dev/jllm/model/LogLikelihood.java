package dev.jllm.model;

import java.util.Arrays;

/**
 * The log-likelihood of a continuation given a context, as lm-evaluation-harness's
 * {@code loglikelihood} requests define it: the sum over the continuation's tokens of
 * log p(token | everything before it), and whether each of them was the greedy choice. It is
 * computed on the same path as {@link Perplexity} (one forward pass from an empty cache with logits at
 * every position, {@link Perplexity#logSoftmaxAt} in double), so the two cannot disagree on the same tokens.
 */
public final class LogLikelihood {
    private LogLikelihood() {}

    /**
     * @param sum       the summed log-probabilities of the continuation's tokens (natural log)
     * @param greedy    every continuation token was the argmax of its logits
     * @param truncated context tokens dropped from the left to fit the model's context
     */
    public record Result(double sum, boolean greedy, int truncated) {}

    /**
     * @param context      the context tokens (BOS included if the model wants one); at least one token
     * @param continuation the tokens to score; at least one
     */
    public static Result of(Transformer tr, int[] context, int[] continuation) {
        if (context.length == 0) throw new IllegalArgumentException("log-likelihood needs at least one context token (BOS)");
        if (continuation.length == 0) throw new IllegalArgumentException("log-likelihood of an empty continuation");
        int ctx = tr.config().contextLength();
        if (continuation.length >= ctx) {
            throw new IllegalArgumentException("the continuation has " + continuation.length + " tokens; the model's context is " + ctx);
        }
        int[] all = new int[context.length + continuation.length];
        System.arraycopy(context, 0, all, 0, context.length);
        System.arraycopy(continuation, 0, all, context.length, continuation.length);
        // lm-evaluation-harness keeps the last max_length tokens: the left of the context goes first
        int drop = Math.max(0, all.length - ctx);
        int[] input = Arrays.copyOfRange(all, drop, all.length);
        int first = input.length - continuation.length; // position of the first continuation token
        KvCacheManager kv = tr.cache();
        int seq = kv.allocate();
        try {
            float[][] logits = tr.forward(Batch.of(seq, input, 0, Batch.Logits.ALL)).get(0);
            double sum = 0;
            boolean greedy = true;
            for (int p = first; p < input.length; p++) {
                float[] row = logits[p - 1];
                sum += Perplexity.logSoftmaxAt(row, input[p]);
                greedy &= argmax(row) == input[p];
            }
            return new Result(sum, greedy, drop);
        } finally {
            kv.free(seq);
        }
    }

    private static int argmax(float[] x) {
        int best = 0;
        for (int i = 1; i < x.length; i++) if (x[i] > x[best]) best = i;
        return best;
    }
}

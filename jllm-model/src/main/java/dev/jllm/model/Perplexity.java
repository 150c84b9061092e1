package dev.jllm.model;

import java.util.ArrayList;
import java.util.List;
import java.util.function.IntConsumer;

/**
 * Perplexity computed exactly as llama.cpp's {@code llama-perplexity} does, so numbers compare:
 * tokens (with BOS) are cut into {@code n_chunks = n_tokens / n_ctx} chunks; each chunk is
 * evaluated from an empty cache with its first token replaced by BOS; only the second half of each
 * chunk is scored (positions p in [n_ctx/2, n_ctx−2] predicting token p+1), so every scored token
 * has at least n_ctx/2 tokens of context. PPL = exp(mean NLL); stderr as llama.cpp reports it.
 */
public final class Perplexity {
    private Perplexity() {}

    public record Result(double ppl, double stderr, int chunks, long scored, double[] runningPpl) {}

    public static Result compute(Transformer tr, int[] tokens, int nCtx, int bos, IntConsumer progress) {
        if (nCtx < 4) throw new IllegalArgumentException("context (-c) must be >= 4, got " + nCtx);
        int chunks = tokens.length / nCtx;
        if (chunks == 0) {
            throw new IllegalArgumentException("the text has " + tokens.length + " tokens; perplexity with -c " + nCtx
                    + " needs at least " + nCtx + " (use a longer file or a smaller -c)");
        }
        int first = nCtx / 2;
        double nll = 0, nll2 = 0;
        long count = 0;
        List<Double> running = new ArrayList<>();
        KvCacheManager kv = tr.cache();
        for (int c = 0; c < chunks; c++) {
            int[] chunk = java.util.Arrays.copyOfRange(tokens, c * nCtx, (c + 1) * nCtx);
            if (bos >= 0) chunk[0] = bos;
            int seq = kv.allocate();
            try {
                float[][] logits = tr.forward(Batch.of(seq, chunk, 0, Batch.Logits.ALL)).get(0);
                for (int p = first; p <= nCtx - 2; p++) {
                    double lp = logSoftmaxAt(logits[p], chunk[p + 1]);
                    nll -= lp;
                    nll2 += lp * lp;
                    count++;
                }
            } finally {
                kv.free(seq);
            }
            running.add(Math.exp(nll / count));
            if (progress != null) progress.accept(c + 1);
        }
        double mean = nll / count;
        double ppl = Math.exp(mean);
        double var = nll2 / count - mean * mean;
        double stderr = count > 1 ? Math.sqrt(var / (count - 1)) * ppl : Double.NaN;
        return new Result(ppl, stderr, chunks, count, running.stream().mapToDouble(Double::doubleValue).toArray());
    }

    /** log softmax(logits)[target], computed stably in double. */
    static double logSoftmaxAt(float[] logits, int target) {
        float max = Float.NEGATIVE_INFINITY;
        for (float v : logits) max = Math.max(max, v);
        double sum = 0;
        for (float v : logits) sum += Math.exp(v - max);
        return logits[target] - max - Math.log(sum);
    }
}

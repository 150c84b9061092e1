package dev.jllm.model;

import dev.jllm.tensor.Parallel;

/**
 * The package-private engine entry points the benchmarks drive, so they measure the real path and not
 * a copy of it: the load-time repacking of a {@link Matrix}, and one attention head over a sequence's
 * KV blocks exactly as {@link Transformer#forward} calls it. This class lives in the benchmark module
 * (its jar runs on the class path, where a package may span jars) and is not part of the engine API.
 */
public final class BenchAccess {
    private BenchAccess() {}

    /** What {@link Weights} does at load: the matrix with its repacked copy, if its format has one. */
    public static Matrix packed(Matrix m, Parallel pool) {
        return m.packed(pool);
    }

    /** Appends K/V rows for positions [from, to) of layer 0..layers-1, as the forward pass stores them. */
    public static void store(KvCacheManager kv, int seq, int from, int to, int layers, float[] k, float[] v) {
        kv.beginWrite(seq, from, to);
        for (int p = from; p < to; p++) {
            for (int l = 0; l < layers; l++) kv.store(seq, l, p, k, p * kv.kvDim, v, p * kv.kvDim);
        }
    }

    /** One query head attending over positions 0..pos of {@code seq} in {@code layer}. */
    public static void attentionHead(KvCacheManager kv, int layer, int seq, int pos, float[] q, int qOff, int hd, int kvHead,
                                     float[] out, int outOff, float[] scores) {
        Attention.head(kv, layer, seq, pos, q, qOff, hd, kvHead, out, outOff, scores);
    }
}

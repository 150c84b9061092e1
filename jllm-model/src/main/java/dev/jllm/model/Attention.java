package dev.jllm.model;

import dev.jllm.tensor.FloatOps;
import java.util.List;

/**
 * Scaled dot-product attention of one query head over one sequence's cached keys and values,
 * positions 0..pos (causal): out = softmax(q·Kᵀ / √hd) · V, walking the sequence's blocks.
 *
 * <p>The reference beside {@link ChunkAttention}'s tiles and {@link DecodeAttention}'s splits, and the
 * path the forward pass takes when the head width is not whole vectors (or with
 * {@code -Djllm.attention=reference}).
 * Public so that code outside this package can run exactly this walk: the attention benchmark in
 * jllm-bench, and tests of other modules.
 */
public final class Attention {
    private Attention() {}

    /**
     * @param q       query vector at {@code q[qOff..qOff+hd)} (already rotated)
     * @param kvHead  the KV head this query head reads (GQA: query head / (nh / nkv))
     * @param scores  scratch of at least pos+1 floats
     */
    public static void head(KvCacheManager kv, int layer, int seq, int pos, float[] q, int qOff, int hd, int kvHead,
                     float[] out, int outOff, float[] scores) {
        float scale = (float) (1.0 / Math.sqrt(hd));
        int n = pos + 1, bt = kv.blockTokens, stride = kv.kvDim;
        List<KvCacheManager.Block> blocks = kv.blocks(seq);
        // scores[p] = q·k_p / √hd, block by block (slots of a block are kvDim apart)
        for (int p0 = 0; p0 < n; p0 += bt) {
            KvCacheManager.Block b = blocks.get(p0 / bt);
            int at = kv.index(layer, p0) + kvHead * hd, end = Math.min(n, p0 + bt);
            for (int p = p0; p < end; p++, at += stride) {
                float s = kv.f16 ? FloatOps.dotF16(q, qOff, b.kh, at, hd) : FloatOps.dot(q, qOff, b.kf, at, hd);
                scores[p] = s * scale;
            }
        }
        FloatOps.softmax(scores, 0, n);
        // out = Σ_p scores[p]·v_p
        java.util.Arrays.fill(out, outOff, outOff + hd, 0f);
        for (int p0 = 0; p0 < n; p0 += bt) {
            KvCacheManager.Block b = blocks.get(p0 / bt);
            int at = kv.index(layer, p0) + kvHead * hd, end = Math.min(n, p0 + bt);
            for (int p = p0; p < end; p++, at += stride) {
                if (kv.f16) FloatOps.axpyF16(scores[p], b.vh, at, out, outOff, hd);
                else FloatOps.axpy(scores[p], b.vf, at, out, outOff, hd);
            }
        }
    }
}

package dev.jllm.model;

import dev.jllm.tensor.FloatOps;

/**
 * Scaled dot-product attention of one query head over one sequence's cached keys and values,
 * positions 0..pos (causal): out = softmax(q·Kᵀ / √hd) · V, walking the sequence's blocks.
 */
final class Attention {
    private Attention() {}

    /**
     * @param q       query vector at {@code q[qOff..qOff+hd)} (already rotated)
     * @param kvHead  the KV head this query head reads (GQA: query head / (nh / nkv))
     * @param scores  scratch of at least pos+1 floats
     */
    static void head(KvCacheManager kv, int layer, int seq, int pos, float[] q, int qOff, int hd, int kvHead,
                     float[] out, int outOff, float[] scores) {
        float scale = (float) (1.0 / Math.sqrt(hd));
        int headOff = kvHead * hd;
        int n = pos + 1;
        for (int p = 0; p < n; p++) {
            KvCacheManager.Block b = kv.block(seq, p);
            int at = kv.index(layer, p) + headOff;
            float s;
            if (kv.f16) {
                s = 0;
                for (int i = 0; i < hd; i++) s += q[qOff + i] * Float.float16ToFloat(b.kh[at + i]);
            } else {
                s = FloatOps.dot(q, qOff, b.kf, at, hd);
            }
            scores[p] = s * scale;
        }
        FloatOps.softmax(scores, 0, n);
        java.util.Arrays.fill(out, outOff, outOff + hd, 0f);
        for (int p = 0; p < n; p++) {
            KvCacheManager.Block b = kv.block(seq, p);
            int at = kv.index(layer, p) + headOff;
            float a = scores[p];
            if (kv.f16) {
                for (int i = 0; i < hd; i++) out[outOff + i] += a * Float.float16ToFloat(b.vh[at + i]);
            } else {
                FloatOps.axpy(a, b.vf, at, out, outOff, hd);
            }
        }
    }
}

package dev.jllm.model;

import dev.jllm.tensor.AttentionKernels;
import dev.jllm.tensor.FloatOps;
import java.util.Arrays;
import java.util.List;

/**
 * Attention of one decode token over its sequence's cache, split along the positions (flash
 * decoding): each split walks its span of cache blocks once for all heads and keeps a partial
 * softmax; {@link #merge} joins the splits. The fast path beside the per-head reference
 * {@link Attention#head}.
 * <pre>
 *   split u covers keys [p0, p1) of the n = pos + 1 the token sees;  h = query head, g = h / G its KV head
 *   S_u (nh, p1 − p0) = Q (nh, hd) · K[p0..p1, g(h)]ᵀ / √hd
 *   m_u[h] = max S_u[h],  P_u = exp(S_u − m_u),  l_u[h] = Σ P_u[h],  O_u (nh, hd) = P_u · V[p0..p1, g(h)]
 *   out[h] = Σ_u e^(m_u[h] − M[h]) · O_u[h]  /  Σ_u e^(m_u[h] − M[h]) · l_u[h],   M[h] = max_u m_u[h]
 * </pre>
 *
 * <p>Why not {@link ChunkAttention}'s tiles: a tile is one KV head's rows and reads the keys
 * transposed, which pays for itself over a prefill's dozens of rows, but a decode token has only
 * G (= nh / nkv) rows per KV head: the scalar transposing copy then cost more than the products
 * (at 4,096 cached tokens, attention took longer than all the weights). Here a block's K (and
 * then V) slab of one layer, {@code blockTokens × kvDim} contiguous values, is converted from F16
 * in one run (C2 vectorizes it with the hardware conversion), scores are direct dot products
 * ({@link AttentionKernels#dotRows}), and memory is read in order, once.
 */
final class DecodeAttention {
    private DecodeAttention() {}

    /** Positions per split at most: the scores (nh × span floats) stay in L2. */
    static final int MAX_SPAN = 1024;

    /** Positions per split at least: shorter spans are not worth a thread hand-off and a merge. */
    static final int MIN_SPAN = 256;

    /** Positions per split for a token that sees {@code n} keys on {@code threads} threads: a multiple of the block size. */
    static int span(int n, int threads, int blockTokens) {
        int want = Math.max(MIN_SPAN, Math.min(MAX_SPAN, (n + threads - 1) / threads));
        return (want + blockTokens - 1) / blockTokens * blockTokens;
    }

    /**
     * Floats of K (or V) converted from F16 per step of the products (64 KiB: two 16-token blocks of
     * Llama-3.2-1B): fewer, longer kernel calls; 4–8 Ki floats measured slower, 32 Ki no faster.
     */
    static final int RUN_FLOATS = 16384;

    /** Per-thread scratch, grown on demand (no allocation per token in steady state). */
    static final class Scratch {
        float[] q = new float[0], s = new float[0], kf = new float[0], vf = new float[0];
        float[] src; // the slab the products read next (kf/vf, or a block's own F32 array), from index at
        int at;

        void ensure(int qd, int scores, int slab) {
            if (q.length < qd) q = new float[qd];
            if (s.length < scores) s = new float[scores];
            if (kf.length < slab) { kf = new float[slab]; vf = new float[slab]; }
        }
    }

    /** One split's partial result: per query head the max score m, the sum l of exp(s − m), and O unnormalised. */
    static class Partial {
        float[] m = new float[0], l = new float[0], o = new float[0];

        void ensure(int nh, int hd) {
            if (m.length < nh) { m = new float[nh]; l = new float[nh]; }
            if (o.length < nh * hd) o = new float[nh * hd];
        }
    }

    /**
     * Keys [p0, p1) of a sequence for the token whose query rows (nh × hd) start at {@code q[qBase]}:
     * fills {@code out} with this split's partial softmax.
     */
    static void split(KvCacheManager kv, int layer, int seq, int p0, int p1, float[] q, int qBase, int nh, int nkv, int hd,
                      Partial out, Scratch sc) {
        int G = nh / nkv, kvd = nkv * hd, span = p1 - p0;
        int run = Math.max(1, RUN_FLOATS / kvd); // positions converted (F16) per step of the products
        sc.ensure(nh * hd, nh * span, run * kvd);
        out.ensure(nh, hd);
        float[] qs = sc.q, s = sc.s;
        float scale = (float) (1.0 / Math.sqrt(hd));
        for (int i = 0; i < nh * hd; i++) qs[i] = q[qBase + i] * scale;
        List<KvCacheManager.Block> blocks = kv.blocks(seq);

        // S = Q·Kᵀ/√hd, a slab of positions at a time: head h's scores at s[h·span ..]
        for (int p = p0, cnt; p < p1; p += cnt) {
            cnt = slab(kv, blocks, layer, p, p1, run, true, sc);
            for (int g = 0; g < nkv; g++) {
                AttentionKernels.dotRows(qs, g * G * hd, G, hd, sc.src, sc.at + g * hd, kvd, cnt, s, g * G * span + (p - p0), span);
            }
        }
        // partial softmax per head, left unnormalised
        for (int h = 0; h < nh; h++) {
            float m = FloatOps.max(s, h * span, span);
            out.m[h] = m;
            out.l[h] = (float) FloatOps.expShifted(s, h * span, span, m);
        }
        // O = P·V
        float[] o = out.o;
        Arrays.fill(o, 0, nh * hd, 0f);
        for (int p = p0, cnt; p < p1; p += cnt) {
            cnt = slab(kv, blocks, layer, p, p1, run, false, sc);
            for (int g = 0; g < nkv; g++) {
                AttentionKernels.accumulateValues(s, g * G * span + (p - p0), span, G, cnt, sc.src, sc.at + g * hd, kvd, hd, o, g * G * hd);
            }
        }
        sc.src = null; // not to hold a block's array past the call
    }

    /**
     * The K (or V) rows of the next positions from p (before p1) of one layer as floats, kvDim apart
     * from {@code sc.src[sc.at]}: an F16 cache's converted into scratch, up to {@code run} positions
     * across blocks; an F32 cache's read in place, to the end of p's block. Returns the positions.
     */
    private static int slab(KvCacheManager kv, List<KvCacheManager.Block> blocks, int layer, int p, int p1, int run, boolean keys, Scratch sc) {
        int bt = kv.blockTokens;
        if (kv.f16) {
            sc.src = keys ? sc.kf : sc.vf;
            sc.at = 0;
            return convert(kv, blocks, layer, p, Math.min(p1, p + run), keys, sc.src);
        }
        KvCacheManager.Block b = blocks.get(p / bt);
        sc.src = keys ? b.kf : b.vf;
        sc.at = kv.index(layer, p);
        return Math.min(bt - p % bt, p1 - p);
    }

    /**
     * Converts the F16 keys (or values) of positions [p, end) of one layer into dst as rows of kvDim
     * floats: each block's slab of the layer is contiguous, so this is one long run per block.
     * Returns the positions converted (end − p).
     */
    private static int convert(KvCacheManager kv, List<KvCacheManager.Block> blocks, int layer, int p, int end, boolean keys, float[] dst) {
        int bt = kv.blockTokens, kvd = kv.kvDim;
        for (int at = p; at < end; ) {
            int cnt = Math.min(bt - at % bt, end - at);
            KvCacheManager.Block b = blocks.get(at / bt);
            FloatOps.halvesToFloats(keys ? b.kh : b.vh, kv.index(layer, at), dst, (at - p) * kvd, cnt * kvd);
            at += cnt;
        }
        return end - p;
    }

    /** att[qBase + h·hd + d] = the token's attention output, from its splits parts[from..to). */
    static void merge(Partial[] parts, int from, int to, int nh, int hd, float[] att, int qBase) {
        for (int h = 0; h < nh; h++) {
            float max = Float.NEGATIVE_INFINITY;
            for (int u = from; u < to; u++) max = Math.max(max, parts[u].m[h]);
            double l = 0;
            for (int u = from; u < to; u++) l += Math.exp(parts[u].m[h] - max) * parts[u].l[h];
            int dst = qBase + h * hd;
            Arrays.fill(att, dst, dst + hd, 0f);
            for (int u = from; u < to; u++) {
                float w = (float) (Math.exp(parts[u].m[h] - max) / l);
                float[] o = parts[u].o;
                for (int d = 0; d < hd; d++) att[dst + d] += w * o[h * hd + d];
            }
        }
    }
}

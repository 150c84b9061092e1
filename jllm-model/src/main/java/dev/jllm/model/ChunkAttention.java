package dev.jllm.model;

import dev.jllm.tensor.AttentionKernels;
import dev.jllm.tensor.FloatOps;
import java.util.Arrays;
import java.util.List;

/**
 * Causal attention of a run of consecutive tokens of one sequence (a prefill chunk) over that
 * sequence's cache, for all query heads that share one KV head: the fast path beside the per-head
 * reference {@link Attention#head}. A single decode token takes {@link DecodeAttention} instead.
 *
 * <p>Why: the reference walks the whole cache once per query token and head, so a 100-token chunk
 * against 1,300 cached tokens re-reads (and, for an F16 cache, re-converts) every key and value
 * 300 times per KV head. Here each chunk of the cache is converted once per tile of rows and the
 * work becomes two small matrix products per chunk, written as broadcast-FMA micro-kernels (no
 * horizontal sums):
 * <pre>
 *   rows r = i·G + j: token i of the run (position start + i), query head kvHead·G + j;  G = nh / nkv
 *   S (R, n)  = Q (R, hd) · Kᵀ (hd, n) / √hd          row r sees positions 0 .. start + i (causal)
 *   P         = softmax over each row of S
 *   O (R, hd) = P (R, n) · V (n, hd)
 * </pre>
 * Keys are taken {@code KC} (two vectors) at a time, whatever the cache block size. Requires hd to be
 * a multiple of the vector length ({@link #supports}); the caller uses the reference otherwise.
 */
final class ChunkAttention {
    private ChunkAttention() {}

    /**
     * Rows per tile: as many as fit S (rows × keys) in {@link #SCORE_BUDGET} floats (~512 KiB, L2), so
     * each block is converted once for many rows, at least {@link #MIN_TILE_ROWS}, at most {@link #MAX_TILE_ROWS}.
     */
    static final int MIN_TILE_ROWS = 16, MAX_TILE_ROWS = 128, SCORE_BUDGET = 128 * 1024;

    static int tileRows(int keys) {
        return Math.max(MIN_TILE_ROWS, Math.min(MAX_TILE_ROWS, SCORE_BUDGET / Math.max(1, keys) / 8 * 8));
    }

    /** Keys per step of the two products (two vectors: enough independent FMAs per load). */
    private static final int KC = AttentionKernels.KEY_CHUNK;

    /** -Djllm.attention=reference sends all attention through the reference walk (A/B checks). */
    private static final boolean DISABLED = "reference".equals(System.getProperty("jllm.attention"));

    static boolean supports(int hd) {
        return !DISABLED && AttentionKernels.supports(hd);
    }

    /** Per-thread scratch, grown on demand (no allocation per token in steady state). */
    static final class Scratch {
        float[] q = new float[0], o = new float[0], kt = new float[0], vb = new float[0], s = new float[0], sum = new float[0];

        void ensure(int rows, int hd, int bt, int n) {
            if (q.length < rows * hd) { q = new float[rows * hd]; o = new float[rows * hd]; }
            if (sum.length < rows) sum = new float[rows];
            if (kt.length < hd * bt) { kt = new float[hd * bt]; vb = new float[bt * hd]; }
            if (s.length < rows * n) s = new float[Math.max(rows * n, s.length * 2)];
        }
    }

    /**
     * Rows [r0, r1) of one (sequence, KV head): reads q rows of tokens {@code start + r / G} from
     * {@code q[qBase + (r / G)·qd + (kvHead·G + r % G)·hd ..]} and writes the attention output to the
     * same offsets of {@code out}.
     */
    static void rows(KvCacheManager kv, int layer, int seq, int start, int r0, int r1, int group, int kvHead,
                     float[] q, int qBase, int qd, int hd, float[] out, Scratch sc) {
        rows(kv, layer, seq, start, r0, r1, group, kvHead, q, qBase, qd, hd, out, sc, null, null);
    }

    /**
     * As above; {@code kAll}/{@code vAll}, when not null, hold this (sequence, KV head)'s keys and
     * values already converted by {@link #prepare} (several tiles of one prefill share them).
     */
    static void rows(KvCacheManager kv, int layer, int seq, int start, int r0, int r1, int group, int kvHead,
                     float[] q, int qBase, int qd, int hd, float[] out, Scratch sc, float[] kAll, float[] vAll) {
        int R = r1 - r0;
        int n = start + (r1 - 1) / group + 1; // keys the last row sees
        int stride = roundUp(n, KC);          // S row stride: whole key chunks
        sc.ensure(R, hd, KC, stride);
        float[] qs = sc.q, os = sc.o, kt = sc.kt, vb = sc.vb, s = sc.s;
        float scale = (float) (1.0 / Math.sqrt(hd));
        for (int r = 0; r < R; r++) {
            int src = qOffset(r0 + r, group, kvHead, qBase, qd, hd);
            for (int d = 0; d < hd; d++) qs[r * hd + d] = q[src + d] * scale;
        }
        List<KvCacheManager.Block> blocks = kv.blocks(seq);
        int headOff = kvHead * hd;

        // S = Q·Kᵀ, KC keys at a time through the transposed chunk kt (hd, KC)
        for (int p0 = 0; p0 < n; p0 += KC) {
            if (kAll != null) {
                AttentionKernels.scores(qs, R, hd, kAll, p0 / KC * hd * KC, s, stride, p0);
            } else {
                transposeKeys(kv, blocks, layer, headOff, p0, Math.min(KC, n - p0), hd, kt, 0, vb);
                AttentionKernels.scores(qs, R, hd, kt, 0, s, stride, p0);
            }
        }
        // causal softmax per row, left unnormalised (O is divided by the row sum at the end); the
        // masked tail is zeroed so P·V may run over whole blocks
        float[] sums = sc.sum;
        for (int r = 0; r < R; r++) {
            int seen = start + (r0 + r) / group + 1;
            sums[r] = (float) FloatOps.expShifted(s, r * stride, seen);
            Arrays.fill(s, r * stride + seen, r * stride + stride, 0f);
        }
        // O = P·V
        Arrays.fill(os, 0, R * hd, 0f);
        for (int p0 = 0; p0 < n; p0 += KC) {
            int valid = Math.min(KC, n - p0);
            if (vAll != null) {
                AttentionKernels.accumulateValues(s, R, stride, p0, valid, vAll, p0 * hd, hd, os);
            } else {
                gatherValues(kv, blocks, layer, headOff, p0, valid, hd, vb, 0);
                AttentionKernels.accumulateValues(s, R, stride, p0, valid, vb, 0, hd, os);
            }
        }
        for (int r = 0; r < R; r++) {
            int dst = qOffset(r0 + r, group, kvHead, qBase, qd, hd);
            float inv = (float) (1.0 / sums[r]);
            for (int d = 0; d < hd; d++) out[dst + d] = os[r * hd + d] * inv;
        }
    }

    /** Floats {@link #prepare} writes per array for {@code n} keys. */
    static int preparedLength(int n, int hd) {
        return roundUp(n, KC) * hd;
    }

    /**
     * Converts keys 0..n of one (sequence, KV head) once for all tiles: kAll as transposed chunks
     * (chunk c at c·hd·KC, laid out (hd, KC)), vAll as rows (n, hd).
     */
    static void prepare(KvCacheManager kv, int layer, int seq, int n, int kvHead, int hd, float[] kAll, float[] vAll, Scratch sc) {
        sc.ensure(1, hd, KC, 1);
        List<KvCacheManager.Block> blocks = kv.blocks(seq);
        int headOff = kvHead * hd;
        for (int p0 = 0; p0 < n; p0 += KC) {
            int valid = Math.min(KC, n - p0);
            transposeKeys(kv, blocks, layer, headOff, p0, valid, hd, kAll, p0 / KC * hd * KC, sc.vb);
            gatherValues(kv, blocks, layer, headOff, p0, valid, hd, vAll, p0 * hd);
        }
    }

    static int qOffset(int r, int group, int kvHead, int qBase, int qd, int hd) {
        return qBase + (r / group) * qd + (kvHead * group + r % group) * hd;
    }

    private static int roundUp(int n, int m) {
        return (n + m - 1) / m * m;
    }

    /** kt[ktOff + d·KC + j] = K[p0 + j][d] for j < valid, 0 beyond (keys past the end score 0, then masked). */
    private static void transposeKeys(KvCacheManager kv, List<KvCacheManager.Block> blocks, int layer, int headOff, int p0, int valid, int hd,
                                      float[] kt, int ktOff, float[] row) {
        for (int j = 0; j < valid; j++) {
            int p = p0 + j, at = kv.index(layer, p) + headOff;
            KvCacheManager.Block b = blocks.get(p / kv.blockTokens);
            float[] src = b.kf;
            if (kv.f16) { // a vector conversion into the (not yet used) value buffer, then the transposing copy
                FloatOps.halvesToFloats(b.kh, at, row, 0, hd);
                src = row;
                at = 0;
            }
            for (int d = 0; d < hd; d++) kt[ktOff + d * KC + j] = src[at + d];
        }
        for (int j = valid; j < KC; j++) for (int d = 0; d < hd; d++) kt[ktOff + d * KC + j] = 0f;
    }

    /** vb[vbOff + j·hd + d] = V[p0 + j][d] for j < valid. */
    private static void gatherValues(KvCacheManager kv, List<KvCacheManager.Block> blocks, int layer, int headOff, int p0, int valid, int hd,
                                     float[] vb, int vbOff) {
        for (int j = 0; j < valid; j++) {
            int p = p0 + j, at = kv.index(layer, p) + headOff;
            KvCacheManager.Block b = blocks.get(p / kv.blockTokens);
            if (kv.f16) FloatOps.halvesToFloats(b.vh, at, vb, vbOff + j * hd, hd);
            else System.arraycopy(b.vf, at, vb, vbOff + j * hd, hd);
        }
    }
}

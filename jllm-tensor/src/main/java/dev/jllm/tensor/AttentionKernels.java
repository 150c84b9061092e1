package dev.jllm.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * The two matrix products of attention over one block of cached keys/values, for a tile of query
 * rows (the model's ChunkAttention and DecodeAttention hold the blocking, masking and softmax).
 * Broadcast-FMA micro-kernels: no horizontal sums, several independent accumulator chains per loop
 * so the FMA latency is hidden; each kernel is one small method so C2 inlines it. The exception is
 * {@link #dotRows}, for a handful of rows (one decode token's query heads sharing a KV head): there
 * the keys are read as they lie in the cache, one horizontal sum per score, because transposing
 * them first costs more than the sums when only a few rows share each key.
 */
public final class AttentionKernels {
    private AttentionKernels() {}

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();

    /**
     * Horizontal sums by a fixed tree of lane-exact steps (blend, a constant permutation, add), so a
     * score's bits are the same whether C2 compiled the kernel or the Vector API's Java fallback ran
     * it (reduceLanes adds in another order once compiled; JitTierInvariantTest). Four rows' sums
     * share the first two steps: fold(x, y) leaves x's pairwise sums in the lanes without bit w and
     * y's in the lanes with it. Other lane counts take {@link VectorMath#sum}.
     */
    private static final boolean FOLD = L == 8 || L == 16;
    private static final VectorMask<Float> HI_HALF = lanesWithBit(L / 2), HI_QUARTER = lanesWithBit(Math.max(1, L / 4));
    private static final VectorShuffle<Float> X_HALF = xor(L / 2), X_QUARTER = xor(Math.max(1, L / 4)), X_EIGHTH = xor(Math.max(1, L / 8)),
            X_SIXTEENTH = xor(Math.max(1, L / 16));

    private static VectorMask<Float> lanesWithBit(int w) {
        boolean[] b = new boolean[L];
        for (int i = 0; i < L; i++) b[i] = (i & w) != 0;
        return VectorMask.fromArray(S, b, 0);
    }

    private static VectorShuffle<Float> xor(int w) {
        return VectorShuffle.fromOp(S, i -> (i ^ w) & (L - 1));
    }

    private static FloatVector fold(FloatVector x, FloatVector y, VectorMask<Float> m, VectorShuffle<Float> xorW) {
        return x.blend(y, m).add(y.blend(x, m).rearrange(xorW));
    }

    /** Σ lanes of v in the fixed tree order. */
    static float sum(FloatVector v) {
        if (!FOLD) return VectorMath.sum(v);
        v = v.add(v.rearrange(X_HALF));
        v = v.add(v.rearrange(X_QUARTER));
        v = v.add(v.rearrange(X_EIGHTH));
        if (L == 16) v = v.add(v.rearrange(X_SIXTEENTH));
        return v.lane(0);
    }

    /** Keys per call of {@link #scores}: two vectors, so each query broadcast feeds two FMAs. */
    public static final int KEY_CHUNK = 2 * L;

    /** True when a head of {@code hd} splits into whole vectors. */
    public static boolean supports(int hd) {
        return hd % L == 0;
    }

    /**
     * s[r·stride + p0 + j] = Σ_d qs[r·hd + d]·kt[ktOff + d·KEY_CHUNK + j] for rows r < R and keys j < KEY_CHUNK:
     * scores of R query rows against a chunk of keys stored transposed (hd, KEY_CHUNK).
     */
    public static void scores(float[] qs, int R, int hd, float[] kt, int ktOff, float[] s, int stride, int p0) {
        int r = 0;
        for (; r + 8 <= R; r += 8) qk8(qs, r, hd, kt, ktOff, s, stride, p0);
        for (; r < R; r++) qk1(qs, r, hd, kt, ktOff, s, stride, p0);
    }

    /** os[r·hd + c] += Σ_{j < valid} s[r·stride + p0 + j]·vb[vbOff + j·hd + c]: probabilities times a chunk of values (valid, hd), 4 rows at a time. */
    public static void accumulateValues(float[] s, int R, int stride, int p0, int valid, float[] vb, int vbOff, int hd, float[] os) {
        accumulateValues(s, p0, stride, R, valid, vb, vbOff, hd, hd, os, 0);
    }

    /**
     * os[osOff + r·hd + c] += Σ_{j < valid} s[sOff + r·stride + j]·vb[vbOff + j·vStride + c] for rows r < R:
     * as above with the values {@code vStride} apart (rows of one KV head as they lie in a cache block).
     */
    public static void accumulateValues(float[] s, int sOff, int stride, int R, int valid, float[] vb, int vbOff, int vStride, int hd,
                                        float[] os, int osOff) {
        int r = 0;
        if (hd % (4 * L) == 0) {
            for (; r + 4 <= R; r += 4) pv4(s, sOff + r * stride, stride, valid, vb, vbOff, vStride, hd, os, osOff + r * hd);
            for (; r + 2 <= R; r += 2) pv2(s, sOff + r * stride, stride, valid, vb, vbOff, vStride, hd, os, osOff + r * hd);
        }
        for (; r < R; r++) pv1(s, sOff + r * stride, valid, vb, vbOff, vStride, hd, os, osOff + r * hd);
    }

    /**
     * s[sOff + r·stride + j] = Σ_{d < hd} q[qOff + r·hd + d]·k[kOff + j·kStride + d] for rows r < R and keys j < count:
     * scores of a few query rows against keys as they lie in the cache (row-major, {@code kStride} apart).
     * Four rows share each key load and the first steps of their horizontal sums.
     */
    public static void dotRows(float[] q, int qOff, int R, int hd, float[] k, int kOff, int kStride, int count, float[] s, int sOff, int stride) {
        int r = 0;
        for (; r + 4 <= R; r += 4) qk4Rows(q, qOff + r * hd, hd, k, kOff, kStride, count, s, sOff + r * stride, stride);
        for (; r < R; r++) qk1Row(q, qOff + r * hd, hd, k, kOff, kStride, count, s, sOff + r * stride);
    }

    /** Reference for {@link #dotRows}: the plain triple loop, products summed in order. */
    static void dotRowsReference(float[] q, int qOff, int R, int hd, float[] k, int kOff, int kStride, int count, float[] s, int sOff, int stride) {
        for (int r = 0; r < R; r++) {
            for (int j = 0; j < count; j++) {
                float a = 0;
                for (int d = 0; d < hd; d++) a += q[qOff + r * hd + d] * k[kOff + j * kStride + d];
                s[sOff + r * stride + j] = a;
            }
        }
    }

    /** Reference for the strided {@link #accumulateValues}: the plain loops. */
    static void accumulateValuesReference(float[] s, int sOff, int stride, int R, int valid, float[] vb, int vbOff, int vStride, int hd,
                                          float[] os, int osOff) {
        for (int r = 0; r < R; r++) {
            for (int j = 0; j < valid; j++) {
                float p = s[sOff + r * stride + j];
                for (int c = 0; c < hd; c++) os[osOff + r * hd + c] += p * vb[vbOff + j * vStride + c];
            }
        }
    }

    /** Four rows against each key: one key vector load feeds four FMAs; four sums per key. */
    private static void qk4Rows(float[] q, int q0, int hd, float[] k, int kOff, int kStride, int count, float[] s, int s0, int stride) {
        for (int j = 0; j < count; j++) {
            int k0 = kOff + j * kStride;
            FloatVector a0 = FloatVector.zero(S), a1 = a0, a2 = a0, a3 = a0;
            for (int d = 0; d < hd; d += L) {
                FloatVector kv = FloatVector.fromArray(S, k, k0 + d);
                a0 = kv.fma(FloatVector.fromArray(S, q, q0 + d), a0);
                a1 = kv.fma(FloatVector.fromArray(S, q, q0 + hd + d), a1);
                a2 = kv.fma(FloatVector.fromArray(S, q, q0 + 2 * hd + d), a2);
                a3 = kv.fma(FloatVector.fromArray(S, q, q0 + 3 * hd + d), a3);
            }
            int o = s0 + j;
            if (FOLD) { // row r's sum ends in lane 0, L/2, L/4, 3L/4 for r = 0..3
                FloatVector f = fold(fold(a0, a1, HI_HALF, X_HALF), fold(a2, a3, HI_HALF, X_HALF), HI_QUARTER, X_QUARTER);
                f = f.add(f.rearrange(X_EIGHTH));
                if (L == 16) f = f.add(f.rearrange(X_SIXTEENTH));
                s[o] = f.lane(0);
                s[o + stride] = f.lane(L / 2);
                s[o + 2 * stride] = f.lane(L / 4);
                s[o + 3 * stride] = f.lane(3 * L / 4);
            } else {
                s[o] = VectorMath.sum(a0);
                s[o + stride] = VectorMath.sum(a1);
                s[o + 2 * stride] = VectorMath.sum(a2);
                s[o + 3 * stride] = VectorMath.sum(a3);
            }
        }
    }

    private static void qk1Row(float[] q, int q0, int hd, float[] k, int kOff, int kStride, int count, float[] s, int s0) {
        for (int j = 0; j < count; j++) {
            int k0 = kOff + j * kStride;
            FloatVector a = FloatVector.zero(S);
            for (int d = 0; d < hd; d += L) a = FloatVector.fromArray(S, k, k0 + d).fma(FloatVector.fromArray(S, q, q0 + d), a);
            s[s0 + j] = sum(a);
        }
    }

    /** 8 rows × 2 key vectors: 16 independent FMA chains, 2 loads + 8 broadcasts per 16 FMAs. */
    private static void qk8(float[] qs, int r, int hd, float[] kt, int ktOff, float[] s, int stride, int p0) {
        int q0 = r * hd;
        FloatVector a0 = FloatVector.zero(S), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
        FloatVector b0 = a0, b1 = a0, b2 = a0, b3 = a0, b4 = a0, b5 = a0, b6 = a0, b7 = a0;
        for (int d = 0; d < hd; d++) {
            FloatVector k = FloatVector.fromArray(S, kt, ktOff + d * KEY_CHUNK), l = FloatVector.fromArray(S, kt, ktOff + d * KEY_CHUNK + L);
            int qi = q0 + d;
            FloatVector x;
            x = FloatVector.broadcast(S, qs[qi]);          a0 = k.fma(x, a0); b0 = l.fma(x, b0);
            x = FloatVector.broadcast(S, qs[qi + hd]);     a1 = k.fma(x, a1); b1 = l.fma(x, b1);
            x = FloatVector.broadcast(S, qs[qi + 2 * hd]); a2 = k.fma(x, a2); b2 = l.fma(x, b2);
            x = FloatVector.broadcast(S, qs[qi + 3 * hd]); a3 = k.fma(x, a3); b3 = l.fma(x, b3);
            x = FloatVector.broadcast(S, qs[qi + 4 * hd]); a4 = k.fma(x, a4); b4 = l.fma(x, b4);
            x = FloatVector.broadcast(S, qs[qi + 5 * hd]); a5 = k.fma(x, a5); b5 = l.fma(x, b5);
            x = FloatVector.broadcast(S, qs[qi + 6 * hd]); a6 = k.fma(x, a6); b6 = l.fma(x, b6);
            x = FloatVector.broadcast(S, qs[qi + 7 * hd]); a7 = k.fma(x, a7); b7 = l.fma(x, b7);
        }
        int o = r * stride + p0;
        a0.intoArray(s, o); b0.intoArray(s, o + L); o += stride;
        a1.intoArray(s, o); b1.intoArray(s, o + L); o += stride;
        a2.intoArray(s, o); b2.intoArray(s, o + L); o += stride;
        a3.intoArray(s, o); b3.intoArray(s, o + L); o += stride;
        a4.intoArray(s, o); b4.intoArray(s, o + L); o += stride;
        a5.intoArray(s, o); b5.intoArray(s, o + L); o += stride;
        a6.intoArray(s, o); b6.intoArray(s, o + L); o += stride;
        a7.intoArray(s, o); b7.intoArray(s, o + L);
    }

    private static void qk1(float[] qs, int r, int hd, float[] kt, int ktOff, float[] s, int stride, int p0) {
        FloatVector a = FloatVector.zero(S), b = a;
        for (int d = 0; d < hd; d++) {
            FloatVector x = FloatVector.broadcast(S, qs[r * hd + d]);
            a = FloatVector.fromArray(S, kt, ktOff + d * KEY_CHUNK).fma(x, a);
            b = FloatVector.fromArray(S, kt, ktOff + d * KEY_CHUNK + L).fma(x, b);
        }
        a.intoArray(s, r * stride + p0);
        b.intoArray(s, r * stride + p0 + L);
    }

    /** Four rows × four value vectors: 16 accumulators, 4 broadcasts + 4 loads per 16 FMAs. */
    private static void pv4(float[] s, int s0, int stride, int valid, float[] vb, int vbOff, int vStride, int hd, float[] os, int o0) {
        for (int c = 0; c < hd; c += 4 * L) {
            int o = o0 + c;
            FloatVector a0 = FloatVector.fromArray(S, os, o), a1 = FloatVector.fromArray(S, os, o + L);
            FloatVector a2 = FloatVector.fromArray(S, os, o + 2 * L), a3 = FloatVector.fromArray(S, os, o + 3 * L);
            FloatVector b0 = FloatVector.fromArray(S, os, o + hd), b1 = FloatVector.fromArray(S, os, o + hd + L);
            FloatVector b2 = FloatVector.fromArray(S, os, o + hd + 2 * L), b3 = FloatVector.fromArray(S, os, o + hd + 3 * L);
            FloatVector c0 = FloatVector.fromArray(S, os, o + 2 * hd), c1 = FloatVector.fromArray(S, os, o + 2 * hd + L);
            FloatVector c2 = FloatVector.fromArray(S, os, o + 2 * hd + 2 * L), c3 = FloatVector.fromArray(S, os, o + 2 * hd + 3 * L);
            FloatVector d0 = FloatVector.fromArray(S, os, o + 3 * hd), d1 = FloatVector.fromArray(S, os, o + 3 * hd + L);
            FloatVector d2 = FloatVector.fromArray(S, os, o + 3 * hd + 2 * L), d3 = FloatVector.fromArray(S, os, o + 3 * hd + 3 * L);
            for (int j = 0; j < valid; j++) {
                int v = vbOff + j * vStride + c;
                FloatVector v0 = FloatVector.fromArray(S, vb, v), v1 = FloatVector.fromArray(S, vb, v + L);
                FloatVector v2 = FloatVector.fromArray(S, vb, v + 2 * L), v3 = FloatVector.fromArray(S, vb, v + 3 * L);
                FloatVector p = FloatVector.broadcast(S, s[s0 + j]);
                a0 = v0.fma(p, a0); a1 = v1.fma(p, a1); a2 = v2.fma(p, a2); a3 = v3.fma(p, a3);
                p = FloatVector.broadcast(S, s[s0 + stride + j]);
                b0 = v0.fma(p, b0); b1 = v1.fma(p, b1); b2 = v2.fma(p, b2); b3 = v3.fma(p, b3);
                p = FloatVector.broadcast(S, s[s0 + 2 * stride + j]);
                c0 = v0.fma(p, c0); c1 = v1.fma(p, c1); c2 = v2.fma(p, c2); c3 = v3.fma(p, c3);
                p = FloatVector.broadcast(S, s[s0 + 3 * stride + j]);
                d0 = v0.fma(p, d0); d1 = v1.fma(p, d1); d2 = v2.fma(p, d2); d3 = v3.fma(p, d3);
            }
            a0.intoArray(os, o); a1.intoArray(os, o + L); a2.intoArray(os, o + 2 * L); a3.intoArray(os, o + 3 * L);
            b0.intoArray(os, o + hd); b1.intoArray(os, o + hd + L); b2.intoArray(os, o + hd + 2 * L); b3.intoArray(os, o + hd + 3 * L);
            c0.intoArray(os, o + 2 * hd); c1.intoArray(os, o + 2 * hd + L); c2.intoArray(os, o + 2 * hd + 2 * L); c3.intoArray(os, o + 2 * hd + 3 * L);
            d0.intoArray(os, o + 3 * hd); d1.intoArray(os, o + 3 * hd + L); d2.intoArray(os, o + 3 * hd + 2 * L); d3.intoArray(os, o + 3 * hd + 3 * L);
        }
    }

    /** os[r..r+1][c..c+4L) += Σ_j P[r][p0+j]·vb[j][c..], two rows × four vectors of accumulators. */
    private static void pv2(float[] s, int s0, int stride, int valid, float[] vb, int vbOff, int vStride, int hd, float[] os, int o0) {
        int s1 = s0 + stride, o1 = o0 + hd;
        for (int c = 0; c < hd; c += 4 * L) {
            FloatVector a0 = FloatVector.fromArray(S, os, o0 + c), a1 = FloatVector.fromArray(S, os, o0 + c + L);
            FloatVector a2 = FloatVector.fromArray(S, os, o0 + c + 2 * L), a3 = FloatVector.fromArray(S, os, o0 + c + 3 * L);
            FloatVector b0 = FloatVector.fromArray(S, os, o1 + c), b1 = FloatVector.fromArray(S, os, o1 + c + L);
            FloatVector b2 = FloatVector.fromArray(S, os, o1 + c + 2 * L), b3 = FloatVector.fromArray(S, os, o1 + c + 3 * L);
            for (int j = 0; j < valid; j++) {
                FloatVector pa = FloatVector.broadcast(S, s[s0 + j]), pb = FloatVector.broadcast(S, s[s1 + j]);
                int v = vbOff + j * vStride + c;
                FloatVector v0 = FloatVector.fromArray(S, vb, v), v1 = FloatVector.fromArray(S, vb, v + L);
                FloatVector v2 = FloatVector.fromArray(S, vb, v + 2 * L), v3 = FloatVector.fromArray(S, vb, v + 3 * L);
                a0 = v0.fma(pa, a0); a1 = v1.fma(pa, a1); a2 = v2.fma(pa, a2); a3 = v3.fma(pa, a3);
                b0 = v0.fma(pb, b0); b1 = v1.fma(pb, b1); b2 = v2.fma(pb, b2); b3 = v3.fma(pb, b3);
            }
            a0.intoArray(os, o0 + c); a1.intoArray(os, o0 + c + L); a2.intoArray(os, o0 + c + 2 * L); a3.intoArray(os, o0 + c + 3 * L);
            b0.intoArray(os, o1 + c); b1.intoArray(os, o1 + c + L); b2.intoArray(os, o1 + c + 2 * L); b3.intoArray(os, o1 + c + 3 * L);
        }
    }

    private static void pv1(float[] s, int s0, int valid, float[] vb, int vbOff, int vStride, int hd, float[] os, int o0) {
        for (int c = 0; c < hd; c += L) {
            FloatVector a = FloatVector.fromArray(S, os, o0 + c);
            for (int j = 0; j < valid; j++) a = FloatVector.fromArray(S, vb, vbOff + j * vStride + c).fma(FloatVector.broadcast(S, s[s0 + j]), a);
            a.intoArray(os, o0 + c);
        }
    }
}

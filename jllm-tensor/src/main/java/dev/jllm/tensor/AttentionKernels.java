package dev.jllm.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The two matrix products of attention over one block of cached keys/values, for a tile of query
 * rows (the model's ChunkAttention holds the blocking, masking and softmax). Broadcast-FMA
 * micro-kernels: no horizontal sums, several independent accumulator chains per loop so the FMA
 * latency is hidden; each kernel is one small method so C2 inlines it.
 */
public final class AttentionKernels {
    private AttentionKernels() {}

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();

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
        int r = 0;
        if (hd % (4 * L) == 0) {
            for (; r + 4 <= R; r += 4) pv4(s, r, stride, p0, valid, vb, vbOff, hd, os);
            for (; r + 2 <= R; r += 2) pv2(s, r, stride, p0, valid, vb, vbOff, hd, os);
        }
        for (; r < R; r++) pv1(s, r, stride, p0, valid, vb, vbOff, hd, os);
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
    private static void pv4(float[] s, int r, int stride, int p0, int valid, float[] vb, int vbOff, int hd, float[] os) {
        int s0 = r * stride + p0, o0 = r * hd;
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
                int v = vbOff + j * hd + c;
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
    private static void pv2(float[] s, int r, int stride, int p0, int valid, float[] vb, int vbOff, int hd, float[] os) {
        int s0 = r * stride + p0, s1 = s0 + stride, o0 = r * hd, o1 = o0 + hd;
        for (int c = 0; c < hd; c += 4 * L) {
            FloatVector a0 = FloatVector.fromArray(S, os, o0 + c), a1 = FloatVector.fromArray(S, os, o0 + c + L);
            FloatVector a2 = FloatVector.fromArray(S, os, o0 + c + 2 * L), a3 = FloatVector.fromArray(S, os, o0 + c + 3 * L);
            FloatVector b0 = FloatVector.fromArray(S, os, o1 + c), b1 = FloatVector.fromArray(S, os, o1 + c + L);
            FloatVector b2 = FloatVector.fromArray(S, os, o1 + c + 2 * L), b3 = FloatVector.fromArray(S, os, o1 + c + 3 * L);
            for (int j = 0; j < valid; j++) {
                FloatVector pa = FloatVector.broadcast(S, s[s0 + j]), pb = FloatVector.broadcast(S, s[s1 + j]);
                int v = vbOff + j * hd + c;
                FloatVector v0 = FloatVector.fromArray(S, vb, v), v1 = FloatVector.fromArray(S, vb, v + L);
                FloatVector v2 = FloatVector.fromArray(S, vb, v + 2 * L), v3 = FloatVector.fromArray(S, vb, v + 3 * L);
                a0 = v0.fma(pa, a0); a1 = v1.fma(pa, a1); a2 = v2.fma(pa, a2); a3 = v3.fma(pa, a3);
                b0 = v0.fma(pb, b0); b1 = v1.fma(pb, b1); b2 = v2.fma(pb, b2); b3 = v3.fma(pb, b3);
            }
            a0.intoArray(os, o0 + c); a1.intoArray(os, o0 + c + L); a2.intoArray(os, o0 + c + 2 * L); a3.intoArray(os, o0 + c + 3 * L);
            b0.intoArray(os, o1 + c); b1.intoArray(os, o1 + c + L); b2.intoArray(os, o1 + c + 2 * L); b3.intoArray(os, o1 + c + 3 * L);
        }
    }

    private static void pv1(float[] s, int r, int stride, int p0, int valid, float[] vb, int vbOff, int hd, float[] os) {
        for (int c = 0; c < hd; c += L) {
            FloatVector a = FloatVector.fromArray(S, os, r * hd + c);
            for (int j = 0; j < valid; j++) a = FloatVector.fromArray(S, vb, vbOff + j * hd + c).fma(FloatVector.broadcast(S, s[r * stride + p0 + j]), a);
            a.intoArray(os, r * hd + c);
        }
    }
}

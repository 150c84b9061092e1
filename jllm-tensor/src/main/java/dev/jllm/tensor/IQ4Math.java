package dev.jllm.tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * What IQ4_NL and IQ4_XS share: ggml's non-linear 4-bit grid {@code kvalues_iq4nl} and its quantizer
 * {@code quantize_row_iq4_nl_impl} (ggml-quants.c), mirrored operation by operation in float (see
 * {@link QuantMath} on why the order matters), and the table lookup of the dot kernels.
 */
final class IQ4Math {
    private IQ4Math() {}

    /** ggml-common.h kvalues_iq4nl: a 4-bit index selects one of these 16 levels (times the block scale). */
    static final byte[] KVALUES = {-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113};

    /** The 16 levels as one 128-bit byte vector: {@code nibbles.selectFrom(TABLE)} decodes 16 indices at once. */
    static final VectorSpecies<Byte> B16 = ByteVector.SPECIES_128;
    static final ByteVector TABLE = ByteVector.fromArray(B16, KVALUES, 0);

    /** ggml-quants.c GROUP_MAX_EPS: a block whose largest |x| is below it gets scale 0. */
    private static final float GROUP_MAX_EPS = 1e-15f;

    /** ggml-quants.c best_index_int8(16, kvalues_iq4nl, x): the nearest level by bisection, ties to the upper one. */
    static int bestIndex(float x) {
        byte[] v = KVALUES;
        if (x <= v[0]) return 0;
        if (x >= v[15]) return 15;
        int ml = 0, mu = 15;
        while (mu - ml > 1) {
            int mav = (ml + mu) / 2;
            if (x < v[mav]) mu = mav;
            else ml = mav;
        }
        return x - v[mu - 1] < v[mu] - x ? mu - 1 : mu;
    }

    /**
     * quantize_row_iq4_nl_impl(superBlock, 32, x, ..., quant_weights, ntry = 7) — the form
     * quantize_iq4_nl and quantize_iq4_xs (what llama-quantize calls, with or without an imatrix) use.
     * Writes the block at {@code o}: IQ4_NL ({@code superBlock} 32): f16 d at o, qs at o+2; IQ4_XS
     * ({@code superBlock} 256): f16 d at o, u16 scales_h at o+2, scales_l[4] at o+4, qs at o+8.
     * {@code qw} null: weights x² (no imatrix); else qw[j]·√(σ² + x²) with σ² = 2·Σx²/superBlock.
     * Scratch: L[superBlock], scales[superBlock/32], weight[32].
     */
    static void quantize(int superBlock, float[] x, int xo, float[] qw, int qo, MemorySegment dst, long o,
            byte[] L, float[] scales, float[] weight) {
        final int ntry = 7, nb = superBlock / 32;
        final byte[] values = KVALUES;
        float sigma2 = 0;
        for (int j = 0; j < superBlock; j++) sigma2 += x[xo + j] * x[xo + j];
        sigma2 *= 2.f / superBlock;
        float maxScale = 0, amaxScale = 0;
        for (int ib = 0; ib < nb; ib++) {
            int xb = xo + ib * 32, lb = ib * 32;
            if (qw != null) {
                for (int j = 0; j < 32; j++) weight[j] = qw[qo + ib * 32 + j] * (float) Math.sqrt(sigma2 + x[xb + j] * x[xb + j]);
            } else {
                for (int j = 0; j < 32; j++) weight[j] = x[xb + j] * x[xb + j];
            }
            float amax = 0, max = 0;
            for (int j = 0; j < 32; j++) {
                float ax = Math.abs(x[xb + j]);
                if (ax > amax) {
                    amax = ax;
                    max = x[xb + j];
                }
            }
            if (amax < GROUP_MAX_EPS) {
                scales[ib] = 0;
                continue;
            }
            float d = -max / values[0];     // ntry > 0
            float id = 1 / d;
            float sumqx = 0, sumq2 = 0;
            for (int j = 0; j < 32; j++) {
                float al = id * x[xb + j];
                int l = bestIndex(al);
                L[lb + j] = (byte) l;
                float q = values[l], w = weight[j];
                sumqx += w * q * x[xb + j];
                sumq2 += w * q * q;
            }
            d = sumq2 > 0 ? sumqx / sumq2 : 0.f;
            float best = d * sumqx;
            for (int itry = -ntry; itry <= ntry; itry++) {
                id = (itry + values[0]) / max;
                sumqx = sumq2 = 0;
                for (int j = 0; j < 32; j++) {
                    float al = id * x[xb + j];
                    float q = values[bestIndex(al)], w = weight[j];
                    sumqx += w * q * x[xb + j];
                    sumq2 += w * q * q;
                }
                if (sumq2 > 0 && sumqx * sumqx > best * sumq2) {
                    d = sumqx / sumq2;
                    best = d * sumqx;
                }
            }
            scales[ib] = d;
            float absD = Math.abs(d);
            if (absD > amaxScale) {
                amaxScale = absD;
                maxScale = d;
            }
        }
        long qs;
        if (nb > 1) {
            // IQ4_XS: 6-bit signed sub-block scales l ∈ [−32, 31] of one f16 super-block scale; the
            // indices are refitted to the scale as quantized (d·l, d not yet rounded to f16, as in C)
            qs = o + 8;
            float d = -maxScale / 32;
            QuantMath.putF16(dst, o, d);
            float id = d != 0 ? 1 / d : 0.f;
            int scalesH = 0;
            byte[] scalesL = new byte[4];
            for (int ib = 0; ib < nb; ib++) {
                int l = QuantMath.nearestInt(id * scales[ib]);
                l = Math.max(-32, Math.min(31, l));
                float dl = d * l;
                float idl = dl != 0 ? 1 / dl : 0.f;
                int xb = xo + ib * 32;
                for (int j = 0; j < 32; j++) L[ib * 32 + j] = (byte) bestIndex(idl * x[xb + j]);
                l += 32;
                int lo = l & 0xf, hi = l >> 4;
                if (ib % 2 == 0) scalesL[ib / 2] = (byte) lo;
                else scalesL[ib / 2] |= (byte) (lo << 4);
                scalesH |= hi << 2 * (ib % 8);
            }
            dst.set(QuantMath.SHORT_LE, o + 2, (short) scalesH);
            MemorySegment.copy(scalesL, 0, dst, ValueLayout.JAVA_BYTE, o + 4, 4);
        } else {
            // IQ4_NL: the block's own scale in f16; indices refitted to it (before rounding, as in C)
            qs = o + 2;
            QuantMath.putF16(dst, o, scales[0]);
            float id = scales[0] != 0 ? 1 / scales[0] : 0;
            for (int j = 0; j < 32; j++) L[j] = (byte) bestIndex(id * x[xo + j]);
        }
        for (int i = 0; i < superBlock / 32; i++) {
            for (int j = 0; j < 16; j++) dst.set(ValueLayout.JAVA_BYTE, qs + 16 * i + j, (byte) (L[32 * i + j] | L[32 * i + 16 + j] << 4));
        }
    }
}

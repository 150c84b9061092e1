package dev.jllm.tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * Scalar arithmetic shared by the quantizers. Every function reproduces one of llama.cpp's helpers
 * in ggml-quants.c / ggml-impl.h operation by operation, in float, in the same order: the quantizers
 * must produce the same bytes as the C reference, and float addition is not associative. Java never
 * contracts a*b+c into an FMA, which matches ggml-base (built without -mfma, so no contraction).
 */
final class QuantMath {
    private QuantMath() {}

    static final ValueLayout.OfShort SHORT_LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfInt INT_LE = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfFloat FLOAT_LE = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** Reads the little-endian IEEE half at {@code off} as a float (exact: every half is a float). */
    static float f16(MemorySegment s, long off) {
        return Float.float16ToFloat(s.get(SHORT_LE, off));
    }

    static void putF16(MemorySegment s, long off, float v) {
        s.set(SHORT_LE, off, fp32ToFp16(v));
    }

    /**
     * ggml's GGML_FP32_TO_FP16: round to nearest even, overflow to infinity; a NaN becomes the quiet
     * NaN 0x7E00 with the input's sign (ggml's portable converter drops the payload, whereas
     * {@link Float#floatToFloat16} keeps part of it).
     */
    static short fp32ToFp16(float v) {
        if (Float.isNaN(v)) return (short) ((Float.floatToRawIntBits(v) >>> 16 & 0x8000) | 0x7E00);
        return Float.floatToFloat16(v);
    }

    /** The float GGML_FP16_TO_FP32(GGML_FP32_TO_FP16(v)): what a scale becomes once stored. */
    static float roundTripF16(float v) {
        return Float.float16ToFloat(fp32ToFp16(v));
    }

    /**
     * llama.cpp's nearest_int: adding 1.5·2^23 pushes the fraction out of a float's mantissa so the
     * FPU rounds half to even, then the low 23 bits hold the integer offset by 2^22. Valid for
     * |v| ≤ 4194303; outside that it returns the same garbage as the C code, which is what we want.
     */
    static int nearestInt(float v) {
        float biased = v + 12582912f;
        return (Float.floatToRawIntBits(biased) & 0x007fffff) - 0x00400000;
    }

    /** C's roundf: half away from zero. Done in double so that e.g. 0.49999997f + 0.5 cannot round up. */
    static float roundf(float v) {
        double r = Math.floor(Math.abs((double) v) + 0.5);
        return (float) Math.copySign(r, v);
    }

    /**
     * llama.cpp's get_scale_min_k4 for Q4_K/Q5_K: 8 six-bit scales and 8 six-bit mins in 12 bytes.
     * Bytes 0–3 hold scales 0–3 in their low 6 bits, bytes 4–7 mins 0–3; scales/mins 4–7 keep their
     * low 4 bits in the nibbles of bytes 8–11 and their top 2 bits in the spare top bits of 0–7.
     * Returns scale | min << 8.
     */
    static int scaleMinK4(int j, MemorySegment s, long scalesOff) {
        int sc, m;
        if (j < 4) {
            sc = s.get(ValueLayout.JAVA_BYTE, scalesOff + j) & 63;
            m = s.get(ValueLayout.JAVA_BYTE, scalesOff + j + 4) & 63;
        } else {
            int hi = s.get(ValueLayout.JAVA_BYTE, scalesOff + j + 4) & 0xFF;
            sc = (hi & 0xF) | (((s.get(ValueLayout.JAVA_BYTE, scalesOff + j - 4) & 0xFF) >> 6) << 4);
            m = (hi >> 4) | (((s.get(ValueLayout.JAVA_BYTE, scalesOff + j) & 0xFF) >> 6) << 4);
        }
        return sc | m << 8;
    }

    /** Inverse of {@link #scaleMinK4} for all eight sub-blocks (as quantize_row_q4_K_ref packs them). */
    static void packScalesK4(int[] ls, int[] lm, byte[] out) {
        for (int j = 0; j < 8; j++) {
            if (j < 4) {
                out[j] = (byte) ls[j];
                out[j + 4] = (byte) lm[j];
            } else {
                out[j + 4] = (byte) ((ls[j] & 0xF) | ((lm[j] & 0xF) << 4));
                out[j - 4] |= (byte) ((ls[j] >> 4) << 6);
                out[j] |= (byte) ((lm[j] >> 4) << 6);
            }
        }
    }

    /**
     * llama.cpp's make_qkx2_quants: fits x ≈ scale·L − min with L in [0, nmax] by trying nstep+1
     * candidate inverse scales and solving weighted least squares for (scale, min) at each. Writes L,
     * stores the (positive) min in {@code theMin[0]} and returns the scale.
     */
    static float makeQkx2Quants(int n, int nmax, float[] x, int xOff, float[] weights, byte[] L, int lOff,
                                float[] theMin, byte[] laux, float rmin, float rdelta, int nstep, boolean useMad) {
        float min = x[xOff], max = x[xOff];
        float sumW = weights[0];
        float sumX = sumW * x[xOff];
        for (int i = 1; i < n; i++) {
            float xi = x[xOff + i];
            if (xi < min) min = xi;
            if (xi > max) max = xi;
            float w = weights[i];
            sumW += w;
            sumX += w * xi;
        }
        if (min > 0) min = 0;
        if (max == min) {
            for (int i = 0; i < n; i++) L[lOff + i] = 0;
            theMin[0] = -min;
            return 0f;
        }
        float iscale = nmax / (max - min);
        float scale = 1 / iscale;
        float bestError = 0;
        for (int i = 0; i < n; i++) {
            int l = Math.max(0, Math.min(nmax, nearestInt(iscale * (x[xOff + i] - min))));
            L[lOff + i] = (byte) l;
            float diff = scale * l + min - x[xOff + i];
            diff = useMad ? Math.abs(diff) : diff * diff;
            bestError += weights[i] * diff;
        }
        if (nstep < 1) {
            theMin[0] = -min;
            return scale;
        }
        for (int is = 0; is <= nstep; is++) {
            iscale = (rmin + rdelta * is + nmax) / (max - min);
            float sumL = 0, sumL2 = 0, sumXL = 0;
            for (int i = 0; i < n; i++) {
                int l = Math.max(0, Math.min(nmax, nearestInt(iscale * (x[xOff + i] - min))));
                laux[i] = (byte) l;
                float w = weights[i];
                sumL += w * l;
                sumL2 += w * l * l;
                sumXL += w * l * x[xOff + i];
            }
            float det = sumW * sumL2 - sumL * sumL;
            if (det > 0) {
                float thisScale = (sumW * sumXL - sumX * sumL) / det;
                float thisMin = (sumL2 * sumX - sumL * sumXL) / det;
                if (thisMin > 0) {
                    thisMin = 0;
                    thisScale = sumXL / sumL2;
                }
                float curError = 0;
                for (int i = 0; i < n; i++) {
                    float diff = thisScale * (laux[i] & 0xFF) + thisMin - x[xOff + i];
                    diff = useMad ? Math.abs(diff) : diff * diff;
                    curError += weights[i] * diff;
                }
                if (curError < bestError) {
                    System.arraycopy(laux, 0, L, lOff, n);
                    bestError = curError;
                    scale = thisScale;
                    min = thisMin;
                }
            }
        }
        theMin[0] = -min;
        return scale;
    }

    /**
     * llama.cpp's make_qx_quants with rmse_type 1 and no importance weights (the only use in the
     * _ref quantizers, by Q6_K): symmetric L in [0, 2·nmax) around nmax, weights x², and 18 nudged
     * inverse scales −(nmax ± 0.1·k)/max tried for a better weighted least-squares fit. Returns the scale.
     */
    static float makeQxQuantsRmse1(int n, int nmax, float[] x, int xOff, byte[] L, int lOff) {
        float max = 0, amax = 0;
        for (int i = 0; i < n; i++) {
            float ax = Math.abs(x[xOff + i]);
            if (ax > amax) {
                amax = ax;
                max = x[xOff + i];
            }
        }
        if (amax < 1e-15f) { // GROUP_MAX_EPS: an all-zero group
            for (int i = 0; i < n; i++) L[lOff + i] = 0;
            return 0f;
        }
        float iscale = -nmax / max;
        float sumlx = 0, suml2 = 0;
        for (int i = 0; i < n; i++) {
            float xi = x[xOff + i];
            int l = Math.max(-nmax, Math.min(nmax - 1, nearestInt(iscale * xi)));
            L[lOff + i] = (byte) (l + nmax);
            float w = xi * xi;
            sumlx += w * xi * l;
            suml2 += w * l * l;
        }
        float scale = suml2 != 0 ? sumlx / suml2 : 0f;
        float best = scale * sumlx;
        for (int is = -9; is <= 9; is++) {
            if (is == 0) continue;
            iscale = -(nmax + 0.1f * is) / max;
            sumlx = 0;
            suml2 = 0;
            for (int i = 0; i < n; i++) {
                float xi = x[xOff + i];
                int l = Math.max(-nmax, Math.min(nmax - 1, nearestInt(iscale * xi)));
                float w = xi * xi;
                sumlx += w * xi * l;
                suml2 += w * l * l;
            }
            if (suml2 > 0 && sumlx * sumlx > best * suml2) {
                for (int i = 0; i < n; i++) {
                    int l = nearestInt(iscale * x[xOff + i]);
                    L[lOff + i] = (byte) (nmax + Math.max(-nmax, Math.min(nmax - 1, l)));
                }
                scale = sumlx / suml2;
                best = scale * sumlx;
            }
        }
        return scale;
    }

    /**
     * The part of quantize_row_q4_K_ref / quantize_row_q5_K_ref that Q4_K and Q5_K share, for one
     * 256-weight super-block at x[xo..]: fit (scale, min) per 32-weight sub-block with
     * make_qkx2_quants (weights av_x + |x|), quantize those to 6 bits against d = max_scale/63 and
     * dmin = max_min/63, pack them into {@code scales12}, then requantize each sub-block with the
     * rounded scales. Leaves quants 0..nmax in L[0..256) and returns f16 d | f16 dmin << 16.
     */
    static int fitSuperBlockK4(float[] x, int xo, int nmax, float rmin, float rdelta, int nstep,
                               byte[] L, byte[] scales12) {
        float[] weights = new float[32], scales = new float[8], mins = new float[8], theMin = new float[1];
        byte[] laux = new byte[32];
        float maxScale = 0, maxMin = 0;
        for (int j = 0; j < 8; j++) {
            float sumX2 = 0;
            for (int l = 0; l < 32; l++) sumX2 += x[xo + 32 * j + l] * x[xo + 32 * j + l];
            float avX = (float) Math.sqrt(sumX2 / 32);
            for (int l = 0; l < 32; l++) weights[l] = avX + Math.abs(x[xo + 32 * j + l]);
            scales[j] = makeQkx2Quants(32, nmax, x, xo + 32 * j, weights, L, 32 * j, theMin, laux, rmin, rdelta, nstep, false);
            mins[j] = theMin[0];
            if (scales[j] > maxScale) maxScale = scales[j];
            if (mins[j] > maxMin) maxMin = mins[j];
        }
        float invScale = maxScale > 0 ? 63f / maxScale : 0f;
        float invMin = maxMin > 0 ? 63f / maxMin : 0f;
        int[] ls = new int[8], lm = new int[8];
        for (int j = 0; j < 8; j++) {
            // C stores nearest_int into a uint8_t before MIN(63, ·): keep the low byte, then clamp
            ls[j] = Math.min(63, nearestInt(invScale * scales[j]) & 0xFF);
            lm[j] = Math.min(63, nearestInt(invMin * mins[j]) & 0xFF);
        }
        java.util.Arrays.fill(scales12, (byte) 0);
        packScalesK4(ls, lm, scales12);
        short d16 = fp32ToFp16(maxScale / 63f), dmin16 = fp32ToFp16(maxMin / 63f);
        float dAll = Float.float16ToFloat(d16), dminAll = Float.float16ToFloat(dmin16);
        for (int j = 0; j < 8; j++) {
            float d = dAll * ls[j];
            if (d == 0) continue; // the sub-block keeps the quants make_qkx2_quants chose
            float dm = dminAll * lm[j];
            for (int ii = 0; ii < 32; ii++) {
                int l = nearestInt((x[xo + 32 * j + ii] + dm) / d);
                L[32 * j + ii] = (byte) Math.max(0, Math.min(nmax, l));
            }
        }
        return (d16 & 0xFFFF) | (dmin16 & 0xFFFF) << 16;
    }

    static void checkBlocks(int n, GgmlType t) {
        if (n < 0 || n % t.blockSize != 0) {
            throw new IllegalArgumentException(
                    "a row of " + n + " weights is not a multiple of " + t + "'s block size " + t.blockSize);
        }
    }
}

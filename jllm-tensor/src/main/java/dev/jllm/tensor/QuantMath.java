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
    static final ValueLayout.OfLong LONG_LE = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
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

    /**
     * {@link #scaleMinK4} for four sub-blocks at once, from two loads and a few masks (llama.cpp's utmp
     * trick): byte k of the low int is the scale of sub-block 4·half + k, byte k of the high int its min.
     * The row dots call this once per half super-block instead of eight scalar byte reads per 64 weights.
     */
    static long scaleMinsK4(MemorySegment s, long scalesOff, int half) {
        long lo = s.get(LONG_LE, scalesOff); // bytes 0–7: scales 0–3, mins 0–3 (low six bits), top bits of 4–7
        if (half == 0) return lo & 0x3F3F3F3F3F3F3F3FL;
        int hi = s.get(INT_LE, scalesOff + 8); // bytes 8–11: low four bits of scale and min 4–7
        long sc = (hi & 0x0F0F0F0F) | (((int) lo >>> 6 & 0x03030303) << 4);
        long m = (hi >>> 4 & 0x0F0F0F0F) | (((int) (lo >>> 32) >>> 6 & 0x03030303) << 4);
        return sc & 0xFFFFFFFFL | m << 32;
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
     * _ref quantizers, by Q6_K): {@link #makeQxQuantsWeighted} with weights x². Returns the scale.
     */
    static float makeQxQuantsRmse1(int n, int nmax, float[] x, int xOff, byte[] L, int lOff) {
        return makeQxQuantsWeighted(n, nmax, x, xOff, L, lOff, null, 0);
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

    /**
     * llama.cpp's make_qx_quants with rmse_type 1 and importance weights {@code qw[qwOff..]} (the
     * imatrix quantizers of Q4_0, Q5_0 and Q6_K), or weights x² when {@code qw} is null (Q6_K's _ref
     * quantizer): symmetric L in [0, 2·nmax) around nmax, and 18 nudged inverse scales
     * −(nmax ± 0.1·k)/max tried for a better weighted least-squares fit. Returns the scale.
     */
    static float makeQxQuantsWeighted(int n, int nmax, float[] x, int xOff, byte[] L, int lOff, float[] qw, int qwOff) {
        float max = 0, amax = 0;
        for (int i = 0; i < n; i++) {
            float ax = Math.abs(x[xOff + i]);
            if (ax > amax) {
                amax = ax;
                max = x[xOff + i];
            }
        }
        if (amax < 1e-15f) { // GROUP_MAX_EPS
            for (int i = 0; i < n; i++) L[lOff + i] = 0;
            return 0f;
        }
        float iscale = -nmax / max;
        float sumlx = 0, suml2 = 0;
        for (int i = 0; i < n; i++) {
            float xi = x[xOff + i];
            int l = Math.max(-nmax, Math.min(nmax - 1, nearestInt(iscale * xi)));
            L[lOff + i] = (byte) (l + nmax);
            float w = qw == null ? xi * xi : qw[qwOff + i];
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
                float w = qw == null ? xi * xi : qw[qwOff + i];
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
     * llama.cpp's make_qkx3_quants (the imatrix quantizers of Q4_1, Q5_1, Q4_K and Q5_K): like
     * {@link #makeQkx2Quants} but with weights x² when {@code weights} is null and a {@code max <= min}
     * guard. Writes L (0..nmax), the positive min into {@code theMin[0]}; returns the scale.
     */
    static float makeQkx3Quants(int n, int nmax, float[] x, int xOff, float[] weights, int wOff, byte[] L, int lOff,
                                float[] theMin, byte[] laux, float rmin, float rdelta, int nstep, boolean useMad) {
        float min = x[xOff], max = x[xOff];
        float sumW = weights != null ? weights[wOff] : x[xOff] * x[xOff];
        float sumX = sumW * x[xOff];
        for (int i = 1; i < n; i++) {
            float xi = x[xOff + i];
            if (xi < min) min = xi;
            if (xi > max) max = xi;
            float w = weights != null ? weights[wOff + i] : xi * xi;
            sumW += w;
            sumX += w * xi;
        }
        if (min > 0) min = 0;
        if (max <= min) {
            for (int i = 0; i < n; i++) L[lOff + i] = 0;
            theMin[0] = -min;
            return 0f;
        }
        float iscale = nmax / (max - min);
        float scale = 1 / iscale;
        float bestMad = 0;
        for (int i = 0; i < n; i++) {
            int l = Math.max(0, Math.min(nmax, nearestInt(iscale * (x[xOff + i] - min))));
            L[lOff + i] = (byte) l;
            float diff = scale * l + min - x[xOff + i];
            diff = useMad ? Math.abs(diff) : diff * diff;
            float w = weights != null ? weights[wOff + i] : x[xOff + i] * x[xOff + i];
            bestMad += w * diff;
        }
        if (nstep < 1) {
            theMin[0] = -min;
            return scale;
        }
        for (int is = 0; is <= nstep; is++) {
            iscale = (rmin + rdelta * is + nmax) / (max - min);
            float sumL = 0, sumL2 = 0, sumXL = 0;
            for (int i = 0; i < n; i++) {
                float xi = x[xOff + i];
                int l = Math.max(0, Math.min(nmax, nearestInt(iscale * (xi - min))));
                laux[i] = (byte) l;
                float w = weights != null ? weights[wOff + i] : xi * xi;
                sumL += w * l;
                sumL2 += w * l * l;
                sumXL += w * l * xi;
            }
            float det = sumW * sumL2 - sumL * sumL;
            if (det > 0) {
                float thisScale = (sumW * sumXL - sumX * sumL) / det;
                float thisMin = (sumL2 * sumX - sumL * sumXL) / det;
                if (thisMin > 0) {
                    thisMin = 0;
                    thisScale = sumXL / sumL2;
                }
                float mad = 0;
                for (int i = 0; i < n; i++) {
                    float xi = x[xOff + i];
                    float diff = thisScale * (laux[i] & 0xFF) + thisMin - xi;
                    diff = useMad ? Math.abs(diff) : diff * diff;
                    float w = weights != null ? weights[wOff + i] : xi * xi;
                    mad += w * diff;
                }
                if (mad < bestMad) {
                    System.arraycopy(laux, 0, L, lOff, n);
                    bestMad = mad;
                    scale = thisScale;
                    min = thisMin;
                }
            }
        }
        theMin[0] = -min;
        return scale;
    }

    /**
     * llama.cpp's make_qp_quants: non-negative values x (the sub-block scales or mins of Q4_K/Q5_K)
     * onto 0..nmax with one scale, weighted by {@code qw}: 9 candidate scales, then up to 5 rounds of
     * moving single quants while the weighted fit improves. Writes L; returns the scale.
     */
    static float makeQpQuants(int n, int nmax, float[] x, byte[] L, float[] qw) {
        float max = 0;
        for (int i = 0; i < n; i++) max = Math.max(max, x[i]);
        if (max < 1e-15f) { // GROUP_MAX_EPS
            for (int i = 0; i < n; i++) L[i] = 0;
            return 0f;
        }
        float iscale = nmax / max;
        for (int i = 0; i < n; i++) L[i] = (byte) nearestInt(iscale * x[i]);
        float scale = 1 / iscale;
        float bestMse = 0;
        for (int i = 0; i < n; i++) {
            float diff = x[i] - scale * (L[i] & 0xFF);
            bestMse += qw[i] * diff * diff;
        }
        for (int is = -4; is <= 4; is++) {
            if (is == 0) continue;
            float iscaleIs = (0.1f * is + nmax) / max;
            float scaleIs = 1 / iscaleIs;
            float mse = 0;
            for (int i = 0; i < n; i++) {
                int l = Math.min(nmax, nearestInt(iscaleIs * x[i]));
                float diff = x[i] - scaleIs * l;
                mse += qw[i] * diff * diff;
            }
            if (mse < bestMse) {
                bestMse = mse;
                iscale = iscaleIs;
            }
        }
        float sumlx = 0, suml2 = 0;
        for (int i = 0; i < n; i++) {
            int l = Math.min(nmax, nearestInt(iscale * x[i]));
            L[i] = (byte) l;
            float w = qw[i];
            sumlx += w * x[i] * l;
            suml2 += w * l * l;
        }
        for (int itry = 0; itry < 5; itry++) {
            int changed = 0;
            for (int i = 0; i < n; i++) {
                float w = qw[i];
                int li = L[i] & 0xFF;
                float slx = sumlx - w * x[i] * li;
                float sl2 = suml2 - w * li * li;
                if (slx > 0 && sl2 > 0) {
                    int newL = Math.min(nmax, nearestInt(x[i] * sl2 / slx));
                    if (newL != li) {
                        slx += w * x[i] * newL;
                        sl2 += w * newL * newL;
                        if (slx * slx * suml2 > sumlx * sumlx * sl2) {
                            L[i] = (byte) newL;
                            sumlx = slx;
                            suml2 = sl2;
                            changed++;
                        }
                    }
                }
            }
            if (changed == 0) break;
        }
        return suml2 > 0.0f ? sumlx / suml2 : 0.0f;
    }

    /**
     * The part of quantize_row_q4_K_impl / quantize_row_q5_K_impl (the imatrix path) that Q4_K and
     * Q5_K share, for one super-block at x[xo..] with importance weights qw[qo..]: per 32-weight
     * sub-block, weights qw·√(σ² + x²) (σ² = 2·Σx²/256 over the super-block) and make_qkx3_quants;
     * the eight scales and mins onto 6 bits by make_qp_quants weighted by each sub-block's weight
     * sum; then every sub-block requantized with the rounded scales. Leaves quants 0..nmax in L and
     * returns f16 d | f16 dmin &lt;&lt; 16. {@code clampScales} is Q5_K's MIN(63, ·), which Q4_K lacks (both
     * no-ops unless make_qp_quants goes negative); the requantization reads the packed scales back, as C does.
     */
    static int fitSuperBlockK4Weighted(float[] x, int xo, float[] qw, int qo, int nmax, boolean clampScales, byte[] L, byte[] scales12) {
        float[] weights = new float[32], scales = new float[8], mins = new float[8], sw = new float[8], theMin = new float[1];
        byte[] laux = new byte[32], ls8 = new byte[8], lm8 = new byte[8];
        float sumX2 = 0;
        for (int l = 0; l < 256; l++) sumX2 += x[xo + l] * x[xo + l];
        float sigma2 = 2 * sumX2 / 256;
        for (int j = 0; j < 8; j++) {
            for (int l = 0; l < 32; l++) {
                float v = x[xo + 32 * j + l];
                weights[l] = qw[qo + 32 * j + l] * (float) Math.sqrt(sigma2 + v * v);
            }
            float sumw = 0;
            for (int l = 0; l < 32; l++) sumw += weights[l];
            sw[j] = sumw;
            scales[j] = makeQkx3Quants(32, nmax, x, xo + 32 * j, weights, 0, L, 32 * j, theMin, laux, -0.9f, 0.05f, 36, false);
            mins[j] = theMin[0];
        }
        float dBlock = makeQpQuants(8, 63, scales, ls8, sw);
        float mBlock = makeQpQuants(8, 63, mins, lm8, sw);
        int[] ls = new int[8], lm = new int[8];
        for (int j = 0; j < 8; j++) {
            ls[j] = clampScales ? Math.min(63, ls8[j] & 0xFF) : ls8[j] & 0xFF;
            lm[j] = clampScales ? Math.min(63, lm8[j] & 0xFF) : lm8[j] & 0xFF;
        }
        java.util.Arrays.fill(scales12, (byte) 0);
        packScalesK4(ls, lm, scales12);
        short d16 = fp32ToFp16(dBlock), dmin16 = fp32ToFp16(mBlock);
        float dAll = Float.float16ToFloat(d16), dminAll = Float.float16ToFloat(dmin16);
        MemorySegment packed = MemorySegment.ofArray(scales12);
        for (int j = 0; j < 8; j++) {
            int sm = scaleMinK4(j, packed, 0);
            float d = dAll * (sm & 0xFF);
            if (d == 0) continue;
            float dm = dminAll * (sm >> 8);
            for (int ii = 0; ii < 32; ii++) {
                int l = nearestInt((x[xo + 32 * j + ii] + dm) / d);
                L[32 * j + ii] = (byte) Math.max(0, Math.min(nmax, l));
            }
        }
        return (d16 & 0xFFFF) | (dmin16 & 0xFFFF) << 16;
    }

    /** σ² of the legacy imatrix quantizers (quantize_row_q4_0_impl …): Σx²/n over the whole row, summed in order. */
    static float rowSigma2(float[] x, int xo, int n) {
        float s = 0;
        for (int j = 0; j < n; j++) s += x[xo + j] * x[xo + j];
        return s / n;
    }

    /** The weights qw[j]·√(σ² + x[j]²) of one 32-block of the legacy imatrix quantizers. */
    static void legacyWeights(float[] x, int xo, float[] qw, int qo, float sigma2, float[] out) {
        for (int j = 0; j < 32; j++) {
            float v = x[xo + j];
            out[j] = qw[qo + j] * (float) Math.sqrt(sigma2 + v * v);
        }
    }

    /** Where {@link #legacyImatrixRow} hands each quantized 32-block: its index, scale, min (0 for the symmetric types) and quants. */
    interface LegacyBlockSink {
        void block(int b, float d, float min, byte[] L);
    }

    /**
     * The loop quantize_row_q{4,5}_{0,1}_impl share: per 32-block, the weights qw·√(σ² + x²) of
     * {@link #legacyWeights}, then make_qx_quants (rmse 1; symmetric types, {@code withMin} false:
     * L in [0, 2·nmax), min 0) or make_qkx3_quants (rmin −0.9, rdelta 0.05, 36 steps; L in [0, nmax],
     * min = the block's offset, negative or 0). Only the packing of (d, min, L) differs per type.
     */
    static void legacyImatrixRow(float[] src, int srcOff, int n, float[] qw, int qwOff, int nmax, boolean withMin, LegacyBlockSink sink) {
        float sigma2 = rowSigma2(src, srcOff, n);
        float[] weight = new float[32], theMin = new float[1];
        byte[] L = new byte[32], laux = new byte[32];
        for (int b = 0; b < n / 32; b++) {
            int xo = srcOff + b * 32;
            legacyWeights(src, xo, qw, qwOff + b * 32, sigma2, weight);
            if (withMin) {
                float d = makeQkx3Quants(32, nmax, src, xo, weight, 0, L, 0, theMin, laux, -0.9f, 0.05f, 36, false);
                sink.block(b, d, -theMin[0], L);
            } else {
                sink.block(b, makeQxQuantsWeighted(32, nmax, src, xo, L, 0, weight, 0), 0f, L);
            }
        }
    }

    static void checkBlocks(int n, GgmlType t) {
        if (n < 0 || n % t.blockSize != 0) {
            throw new IllegalArgumentException(
                    "a row of " + n + " weights is not a multiple of " + t + "'s block size " + t.blockSize);
        }
    }
}

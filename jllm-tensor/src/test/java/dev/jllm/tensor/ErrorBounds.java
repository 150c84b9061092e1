package dev.jllm.tensor;

import static org.junit.jupiter.api.Assertions.*;

import java.lang.foreign.MemorySegment;

/**
 * The documented worst-case error of dequantize(quantize(x)) per format, derived from each
 * quantizer. "f16 slack" is the error of storing a scale as f16: relative 2^-11 (round to nearest),
 * multiplied by the largest quant that scale is applied to.
 */
final class ErrorBounds {
    private ErrorBounds() {}

    private static final float F16_REL = 0x1p-11f;

    static void check(GgmlType t, float[] x, MemorySegment q, float[] back, int off) {
        int n = x.length;
        switch (t) {
            case F32 -> {
                for (int i = 0; i < n; i++) assertEquals(x[i], back[off + i], 0f);
            }
            // F16: half precision rounding, relative 2^-11; below 2^-14 subnormal halves have a fixed step 2^-24
            case F16 -> {
                for (int i = 0; i < n; i++) within(t, i, x[i], back[off + i], Math.max(Math.abs(x[i]) * 0x1p-11f, 0x1p-25f));
            }
            // BF16: 8 significant bits, relative 2^-8
            case BF16 -> {
                for (int i = 0; i < n; i++) within(t, i, x[i], back[off + i], Math.abs(x[i]) * 0x1p-8f);
            }
            // Q8_0: d = amax/127, q = round(x/d): |x − x̂| ≤ d/2, plus f16 slack 127·d·2^-11
            case Q8_0 -> forBlocks(32, n, (b, i) -> {
                float d = amax(x, b, 32) / 127;
                within(t, i, x[i], back[off + i], d * (0.5f + 127 * F16_REL) * 1.0001f);
            });
            // Q4_0: d = amax/8, truncation of x/d + 8.5 rounds to nearest: |x − x̂| ≤ d/2, except the
            // value −max·(7.5..8]/8 that must clamp to nibble 15 (one step short): ≤ d; f16 slack 8·d·2^-11
            case Q4_0 -> forBlocks(32, n, (b, i) -> {
                float max = signedMax(x, b, 32);
                float d = Math.abs(max) / 8;
                boolean clamped = x[i] / (max / -8) > 7.5f;
                within(t, i, x[i], back[off + i], d * ((clamped ? 1f : 0.5f) + 8 * F16_REL) * 1.0001f);
            });
            // Q4_1: d = (max−min)/15: ≤ d/2, plus f16 slack 15·d·2^-11 on d and |min|·2^-11 on m
            case Q4_1 -> forBlocks(32, n, (b, i) -> {
                float min = Float.MAX_VALUE, max = -Float.MAX_VALUE;
                for (int j = b; j < b + 32; j++) { min = Math.min(min, x[j]); max = Math.max(max, x[j]); }
                float d = (max - min) / 15;
                within(t, i, x[i], back[off + i], (d * (0.5f + 15 * F16_REL) + Math.abs(min) * F16_REL) * 1.0001f);
            });
            // Q5_0: Q4_0 with twice the levels: d = amax/16, ≤ d/2 except the value −max·(15.5..16]/16
            // that must clamp to q = 31: ≤ d; f16 slack 16·d·2^-11
            case Q5_0 -> forBlocks(32, n, (b, i) -> {
                float max = signedMax(x, b, 32);
                float d = Math.abs(max) / 16;
                boolean clamped = x[i] / (max / -16) > 15.5f;
                within(t, i, x[i], back[off + i], d * ((clamped ? 1f : 0.5f) + 16 * F16_REL) * 1.0001f);
            });
            // Q5_1: d = (max−min)/31: ≤ d/2, plus f16 slack 31·d·2^-11 on d and |min|·2^-11 on m
            case Q5_1 -> forBlocks(32, n, (b, i) -> {
                float min = Float.MAX_VALUE, max = -Float.MAX_VALUE;
                for (int j = b; j < b + 32; j++) { min = Math.min(min, x[j]); max = Math.max(max, x[j]); }
                float d = (max - min) / 31;
                within(t, i, x[i], back[off + i], (d * (0.5f + 31 * F16_REL) + Math.abs(min) * F16_REL) * 1.0001f);
            });
            case IQ4_NL, IQ4_XS -> iq4(t, x, q, back, off);
            default -> KQuantBounds.check(t, x, q, back, off);
        }
    }

    interface Each { void at(int blockStart, int i); }

    static void forBlocks(int bs, int n, Each e) {
        for (int b = 0; b < n; b += bs) for (int i = b; i < b + bs; i++) e.at(b, i);
    }

    static float amax(float[] x, int from, int len) {
        float a = 0;
        for (int j = from; j < from + len; j++) a = Math.max(a, Math.abs(x[j]));
        return a;
    }

    static float signedMax(float[] x, int from, int len) {
        float a = 0, m = 0;
        for (int j = from; j < from + len; j++) if (Math.abs(x[j]) > a) { a = Math.abs(x[j]); m = x[j]; }
        return m;
    }

    static void within(GgmlType t, int i, float x, float got, float bound) {
        float err = Math.abs(x - got);
        if (!(err <= bound)) fail(t + " weight " + i + ": x=" + x + " got " + got + " error " + err + " > bound " + bound);
    }

    /**
     * IQ4_NL / IQ4_XS: each weight is mapped to the nearest level of its 32-block's grid
     * {dl·kvalues_iq4nl} (dl the block's scale before f16 rounding), so it is off by at most half the
     * widest gap between levels, (113 − 89)/2·|dl| = 12·|dl|, or by its distance to the grid's span;
     * the stored f16 scale adds up to 127·|dl|·2^-11. The fits must be good too: RMS error per 256
     * weights at most 0.12 of the weights' RMS (as Q4_K's).
     */
    static void iq4(GgmlType t, float[] x, MemorySegment q, float[] back, int off) {
        double se = 0, sx = 0;
        for (int b = 0; b < x.length / 32; b++) {
            float dl;
            if (t == GgmlType.IQ4_NL) dl = QuantMath.f16(q, b * 18L);
            else dl = QuantMath.f16(q, b / 8 * 136L) * IQ4_XSFormat.scale(q, b / 8 * 136L, b % 8);
            float a = Math.abs(dl), lo = Math.min(-127 * dl, 113 * dl), hi = Math.max(-127 * dl, 113 * dl);
            for (int i = 32 * b; i < 32 * b + 32; i++) {
                float outside = Math.max(0, Math.max(lo - x[i], x[i] - hi));
                within(t, i, x[i], back[off + i], (12 * a + 127 * a * F16_REL + outside) * 1.001f + Math.abs(x[i]) * 1e-6f);
                se += (double) (x[i] - back[off + i]) * (x[i] - back[off + i]);
                sx += (double) x[i] * x[i];
            }
            if (b % 8 == 7) {
                double ratio = Math.sqrt(se / sx);
                assertTrue(ratio <= 0.12, t + " weights " + (32 * b - 224) + "..: RMS error ratio " + ratio + " > 0.12");
                se = sx = 0;
            }
        }
    }
}

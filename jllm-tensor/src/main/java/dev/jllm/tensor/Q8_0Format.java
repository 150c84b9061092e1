package dev.jllm.tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

/**
 * Q8_0 (ggml block_q8_0, 34 bytes per 32 weights):
 * <pre>
 *   bytes  0–1   f16 scale d
 *   bytes  2–33  int8 q[32]          weight j = d · q[j]
 * </pre>
 * Quantized by llama.cpp's quantize_row_q8_0_ref: d = max|x| / 127, q = roundf(x / d) (half away
 * from zero) using the unrounded d; only the stored d is rounded to f16.
 */
public final class Q8_0Format implements BlockFormat {
    public static final Q8_0Format INSTANCE = new Q8_0Format();
    static final int QK = 32, BYTES = 34;

    private Q8_0Format() {}

    @Override public GgmlType type() { return GgmlType.Q8_0; }

    @Override
    public void dequantize(MemorySegment src, long offset, float[] dst, int dstOff, int n) {
        QuantMath.checkBlocks(n, GgmlType.Q8_0);
        for (int b = 0; b < n / QK; b++) {
            long o = offset + (long) b * BYTES;
            float d = QuantMath.f16(src, o);
            for (int j = 0; j < QK; j++) dst[dstOff + b * QK + j] = src.get(ValueLayout.JAVA_BYTE, o + 2 + j) * d;
        }
    }

    @Override
    public void quantize(float[] src, int srcOff, int n, MemorySegment dst, long offset) {
        QuantMath.checkBlocks(n, GgmlType.Q8_0);
        for (int b = 0; b < n / QK; b++) {
            int xo = srcOff + b * QK;
            long o = offset + (long) b * BYTES;
            float amax = 0;
            for (int j = 0; j < QK; j++) amax = Math.max(amax, Math.abs(src[xo + j]));
            float d = amax / 127;
            float id = d != 0 ? 1.0f / d : 0.0f;
            QuantMath.putF16(dst, o, d);
            for (int j = 0; j < QK; j++) {
                dst.set(ValueLayout.JAVA_BYTE, o + 2 + j, (byte) (int) QuantMath.roundf(src[xo + j] * id));
            }
        }
    }

    /**
     * Per block: Σ q·x in float lanes, then one FMA with the block's d into the row accumulator.
     * Two blocks per iteration on two accumulators hide the FMA latency.
     */
    @Override
    public float dot(MemorySegment w, long offset, float[] x, int xOff, int n) {
        QuantMath.checkBlocks(n, GgmlType.Q8_0);
        if (!Simd.OK) return dotReference(w, offset, x, xOff, n);
        int nb = n / QK;
        FloatVector acc0 = FloatVector.zero(Simd.F), acc1 = FloatVector.zero(Simd.F);
        int b = 0;
        for (; b + 1 < nb; b += 2) {
            long o = offset + (long) b * BYTES;
            acc0 = block(w, o, x, xOff + b * QK, acc0);
            acc1 = block(w, o + BYTES, x, xOff + b * QK + QK, acc1);
        }
        if (b < nb) acc0 = block(w, offset + (long) b * BYTES, x, xOff + b * QK, acc0);
        return VectorMath.sum(acc0.add(acc1));
    }

    private static FloatVector block(MemorySegment w, long o, float[] x, int xi, FloatVector acc) {
        FloatVector s = FloatVector.zero(Simd.F);
        for (int g = 0; g < QK; g += Simd.BL) {
            ByteVector q = Simd.bytes(w, o + 2 + g);
            for (int p = 0; p < Simd.P; p++) s = Simd.toFloat(q, p).fma(Simd.x(x, xi + g + p * Simd.L), s);
        }
        return s.fma(Simd.splat(QuantMath.f16(w, o)), acc);
    }
}

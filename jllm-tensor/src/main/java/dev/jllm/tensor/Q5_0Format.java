package dev.jllm.tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Q5_0 (ggml block_q5_0, 22 bytes per 32 weights):
 * <pre>
 *   bytes  0–1   f16 scale d
 *   bytes  2–5   qh: little-endian uint32, bit j is the 5th (value 16) bit of weight j
 *   bytes  6–21  qs[16]: weight j (j &lt; 16) has its low 4 bits in the LOW nibble of qs[j],
 *                weight j+16 in the HIGH nibble of qs[j];    weight = d · (q − 16), q in 0..31
 * </pre>
 * Quantized by quantize_row_q5_0_ref, Q4_0's scheme with one more bit: the signed value of largest
 * magnitude, max, gives d = max / −16, so max lands on q = 0; q = min(31, (int8)(x/d + 16.5)).
 * llama.cpp falls back to Q5_0 for Q4_K tensors whose rows are not a multiple of 256.
 */
public final class Q5_0Format implements BlockFormat {
    public static final Q5_0Format INSTANCE = new Q5_0Format();
    static final int QK = 32, BYTES = 22;

    private Q5_0Format() {}

    @Override public GgmlType type() { return GgmlType.Q5_0; }

    @Override
    public void dequantize(MemorySegment src, long offset, float[] dst, int dstOff, int n) {
        QuantMath.checkBlocks(n, GgmlType.Q5_0);
        for (int b = 0; b < n / QK; b++) {
            long o = offset + (long) b * BYTES;
            float d = QuantMath.f16(src, o);
            int qh = src.get(QuantMath.INT_LE, o + 2);
            int y = dstOff + b * QK;
            for (int j = 0; j < QK / 2; j++) {
                int q = src.get(ValueLayout.JAVA_BYTE, o + 6 + j) & 0xFF;
                int h0 = (qh >>> j & 1) << 4, h1 = (qh >>> (j + QK / 2) & 1) << 4;
                dst[y + j] = ((q & 0x0F | h0) - 16) * d;
                dst[y + j + QK / 2] = ((q >> 4 | h1) - 16) * d;
            }
        }
    }

    @Override
    public void quantize(float[] src, int srcOff, int n, MemorySegment dst, long offset) {
        QuantMath.checkBlocks(n, GgmlType.Q5_0);
        for (int b = 0; b < n / QK; b++) {
            int xo = srcOff + b * QK;
            long o = offset + (long) b * BYTES;
            float amax = 0, max = 0;
            for (int j = 0; j < QK; j++) {
                float v = src[xo + j];
                if (amax < Math.abs(v)) {
                    amax = Math.abs(v);
                    max = v;
                }
            }
            float d = max / -16;
            float id = d != 0 ? 1.0f / d : 0.0f;
            QuantMath.putF16(dst, o, d);
            int qh = 0;
            for (int j = 0; j < QK / 2; j++) {
                // C stores MIN(31, (int8_t)·) into a uint8_t; only its low 5 bits are kept below
                int q0 = Math.min(31, (byte) (int) (src[xo + j] * id + 16.5f));
                int q1 = Math.min(31, (byte) (int) (src[xo + QK / 2 + j] * id + 16.5f));
                dst.set(ValueLayout.JAVA_BYTE, o + 6 + j, (byte) (q0 & 0x0F | (q1 & 0x0F) << 4));
                qh |= (q0 >> 4 & 1) << j | (q1 >> 4 & 1) << (j + QK / 2);
            }
            dst.set(QuantMath.INT_LE, o + 2, qh);
        }
    }

    /** quantize_row_q5_0_impl: per block, make_qx_quants(32, 16, rmse 1) weighted by qw·√(σ² + x²). */
    @Override
    public void quantize(float[] src, int srcOff, int n, float[] qw, int qwOff, MemorySegment dst, long offset) {
        if (qw == null) {
            quantize(src, srcOff, n, dst, offset);
            return;
        }
        QuantMath.checkBlocks(n, GgmlType.Q5_0);
        QuantMath.legacyImatrixRow(src, srcOff, n, qw, qwOff, 16, false, (b, d, min, L) -> {
            long o = offset + (long) b * BYTES;
            QuantMath.putF16(dst, o, d);
            int qh = 0;
            for (int j = 0; j < QK / 2; j++) {
                int q0 = L[j], q1 = L[j + QK / 2];
                dst.set(ValueLayout.JAVA_BYTE, o + 6 + j, (byte) (q0 & 0x0F | (q1 & 0x0F) << 4));
                qh |= (q0 >> 4 & 1) << j | (q1 >> 4 & 1) << (j + QK / 2);
            }
            dst.set(QuantMath.INT_LE, o + 2, qh);
        });
    }

    @Override public boolean usesImportance() { return true; }

    @Override
    public float dot(MemorySegment w, long offset, float[] x, int xOff, int n) {
        QuantMath.checkBlocks(n, GgmlType.Q5_0);
        if (!Simd.OK) return dotReference(w, offset, x, xOff, n);
        return row(w, offset, x, xOff, n / QK);
    }

    /**
     * Σ over blocks of d·Σ (q − 16)·x (q = nibble + 16·fifth bit), reduced once at the end in VectorMath.sum's lane
     * order. The fifth bits: lane i of a group gets 16 if bit j of the 32-bit qh is set, by a variable shift per int
     * lane of the broadcast qh and I2F in the same shape. Vector API calls only, no helper of ours that takes or
     * returns a vector: past C2's inlining node cutoff such a helper stays a call and boxes what crosses it (see
     * {@link RowDotAllocationTest}); with 128-bit vectors the per-block helper this replaces did.
     */
    private static float row(MemorySegment w, long offset, float[] x, int xOff, int nb) {
        VectorSpecies<Float> f = Simd.F;
        FloatVector acc = FloatVector.zero(f);
        for (int b = 0; b < nb; b++) {
            long o = offset + (long) b * BYTES;
            int xi = xOff + b * QK;
            IntVector qh = IntVector.broadcast(Simd.I, w.get(QuantMath.INT_LE, o + 2));
            FloatVector s = FloatVector.zero(f);
            for (int g = 0; g < QK / 2; g += Simd.BL) {
                ByteVector q = ByteVector.fromMemorySegment(Simd.B, w, o + 6 + g, ByteOrder.LITTLE_ENDIAN);
                ByteVector lo = q.and((byte) 0x0F).sub((byte) 16);
                ByteVector hi = q.reinterpretAsInts().lanewise(VectorOperators.LSHR, 4).reinterpretAsBytes().and((byte) 0x0F).sub((byte) 16); // Simd.shr
                for (int p = 0; p < Simd.P; p++) { // one part except with 128-bit vectors (see Simd)
                    int j = g + p * Simd.L;
                    IntVector h0 = qh.lanewise(VectorOperators.LSHR, IntVector.fromArray(Simd.I, Simd.IOTA, j)).and(1);
                    IntVector h1 = qh.lanewise(VectorOperators.LSHR, IntVector.fromArray(Simd.I, Simd.IOTA, j + QK / 2)).and(1);
                    FloatVector x0 = FloatVector.fromArray(f, x, xi + j), x1 = FloatVector.fromArray(f, x, xi + j + QK / 2);
                    FloatVector v0 = ((FloatVector) lo.convertShape(VectorOperators.B2F, f, p))
                            .add((FloatVector) h0.lanewise(VectorOperators.LSHL, 4).convert(VectorOperators.I2F, 0));
                    FloatVector v1 = ((FloatVector) hi.convertShape(VectorOperators.B2F, f, p))
                            .add((FloatVector) h1.lanewise(VectorOperators.LSHL, 4).convert(VectorOperators.I2F, 0));
                    s = v0.fma(x0, s);
                    s = v1.fma(x1, s);
                }
            }
            acc = s.fma(FloatVector.broadcast(f, QuantMath.f16(w, o)), acc);
        }
        FloatVector v = acc;
        float s = v.lane(0);
        for (int l = 1; l < v.length(); l++) s += v.lane(l);
        return s;
    }
}

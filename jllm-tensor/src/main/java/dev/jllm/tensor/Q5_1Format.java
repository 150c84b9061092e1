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
 * Q5_1 (ggml block_q5_1, 24 bytes per 32 weights):
 * <pre>
 *   bytes  0–1   f16 scale d
 *   bytes  2–3   f16 offset m (the block minimum)
 *   bytes  4–7   qh: little-endian uint32, bit j is the 5th (value 16) bit of weight j
 *   bytes  8–23  qs[16]: weight j (j &lt; 16) has its low 4 bits in the LOW nibble of qs[j],
 *                weight j+16 in the HIGH nibble of qs[j];    weight = d · q + m, q in 0..31
 * </pre>
 * Quantized by quantize_row_q5_1_ref: d = (max − min) / 31, q = (uint8)((x − min)/d + 0.5) with no
 * clamp (only its low 5 bits are stored). llama.cpp falls back to Q5_1 for Q5_K tensors whose rows
 * are not a multiple of 256.
 */
public final class Q5_1Format implements BlockFormat {
    public static final Q5_1Format INSTANCE = new Q5_1Format();
    static final int QK = 32, BYTES = 24;

    private Q5_1Format() {}

    @Override public GgmlType type() { return GgmlType.Q5_1; }

    @Override
    public void dequantize(MemorySegment src, long offset, float[] dst, int dstOff, int n) {
        QuantMath.checkBlocks(n, GgmlType.Q5_1);
        for (int b = 0; b < n / QK; b++) {
            long o = offset + (long) b * BYTES;
            float d = QuantMath.f16(src, o);
            float m = QuantMath.f16(src, o + 2);
            int qh = src.get(QuantMath.INT_LE, o + 4);
            int y = dstOff + b * QK;
            for (int j = 0; j < QK / 2; j++) {
                int q = src.get(ValueLayout.JAVA_BYTE, o + 8 + j) & 0xFF;
                int h0 = (qh >>> j & 1) << 4, h1 = (qh >>> (j + QK / 2) & 1) << 4;
                dst[y + j] = (q & 0x0F | h0) * d + m;
                dst[y + j + QK / 2] = (q >> 4 | h1) * d + m;
            }
        }
    }

    @Override
    public void quantize(float[] src, int srcOff, int n, MemorySegment dst, long offset) {
        QuantMath.checkBlocks(n, GgmlType.Q5_1);
        for (int b = 0; b < n / QK; b++) {
            int xo = srcOff + b * QK;
            long o = offset + (long) b * BYTES;
            float min = Float.MAX_VALUE, max = -Float.MAX_VALUE;
            for (int j = 0; j < QK; j++) {
                float v = src[xo + j];
                if (v < min) min = v;
                if (v > max) max = v;
            }
            float d = (max - min) / 31;
            float id = d != 0 ? 1.0f / d : 0.0f;
            QuantMath.putF16(dst, o, d);
            QuantMath.putF16(dst, o + 2, min);
            int qh = 0;
            for (int j = 0; j < QK / 2; j++) {
                int q0 = (int) ((src[xo + j] - min) * id + 0.5f);
                int q1 = (int) ((src[xo + QK / 2 + j] - min) * id + 0.5f);
                dst.set(ValueLayout.JAVA_BYTE, o + 8 + j, (byte) (q0 & 0x0F | (q1 & 0x0F) << 4));
                qh |= (q0 >> 4 & 1) << j | (q1 >> 4 & 1) << (j + QK / 2);
            }
            dst.set(QuantMath.INT_LE, o + 4, qh);
        }
    }

    /** quantize_row_q5_1_impl: per block, make_qkx3_quants(32, 31, −0.9, 0.05, 36) weighted by qw·√(σ² + x²). */
    @Override
    public void quantize(float[] src, int srcOff, int n, float[] qw, int qwOff, MemorySegment dst, long offset) {
        if (qw == null) {
            quantize(src, srcOff, n, dst, offset);
            return;
        }
        QuantMath.checkBlocks(n, GgmlType.Q5_1);
        QuantMath.legacyImatrixRow(src, srcOff, n, qw, qwOff, 31, true, (b, d, min, L) -> {
            long o = offset + (long) b * BYTES;
            QuantMath.putF16(dst, o, d);
            QuantMath.putF16(dst, o + 2, min);
            int qh = 0;
            for (int j = 0; j < QK / 2; j++) {
                int q0 = L[j], q1 = L[j + QK / 2];
                dst.set(ValueLayout.JAVA_BYTE, o + 8 + j, (byte) (q0 & 0x0F | (q1 & 0x0F) << 4));
                qh |= (q0 >> 4 & 1) << j | (q1 >> 4 & 1) << (j + QK / 2);
            }
            dst.set(QuantMath.INT_LE, o + 4, qh);
        });
    }

    @Override public boolean usesImportance() { return true; }

    @Override
    public float dot(MemorySegment w, long offset, float[] x, int xOff, int n) {
        QuantMath.checkBlocks(n, GgmlType.Q5_1);
        if (!Simd.OK) return dotReference(w, offset, x, xOff, n);
        return row(w, offset, x, xOff, n / QK);
    }

    /**
     * Σ over blocks of d·Σ q·x + m·Σ x (q = nibble + 16·fifth bit), reduced once at the end in VectorMath.sum's lane
     * order. The fifth bits: lane i of a group gets 16 if bit j of the 32-bit qh is set, by a variable shift per int
     * lane of the broadcast qh and I2F in the same shape. Vector API calls only, no helper of ours that takes or
     * returns a vector: past C2's inlining node cutoff such a helper stays a call and boxes what crosses it (see
     * {@link RowDotAllocationTest}); with 128-bit vectors the per-block helper this replaces did.
     */
    private static float row(MemorySegment w, long offset, float[] x, int xOff, int nb) {
        VectorSpecies<Float> f = Simd.F;
        FloatVector acc = FloatVector.zero(f), accX = acc;
        for (int b = 0; b < nb; b++) {
            long o = offset + (long) b * BYTES;
            int xi = xOff + b * QK;
            IntVector qh = IntVector.broadcast(Simd.I, w.get(QuantMath.INT_LE, o + 4));
            FloatVector s = FloatVector.zero(f), sx = s;
            for (int g = 0; g < QK / 2; g += Simd.BL) {
                ByteVector q = ByteVector.fromMemorySegment(Simd.B, w, o + 8 + g, ByteOrder.LITTLE_ENDIAN);
                ByteVector lo = q.and((byte) 0x0F);
                ByteVector hi = q.reinterpretAsInts().lanewise(VectorOperators.LSHR, 4).reinterpretAsBytes().and((byte) 0x0F); // Simd.shr
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
                    sx = sx.add(x0).add(x1);
                }
            }
            acc = s.fma(FloatVector.broadcast(f, QuantMath.f16(w, o)), acc);
            accX = sx.fma(FloatVector.broadcast(f, QuantMath.f16(w, o + 2)), accX);
        }
        FloatVector v = acc.add(accX);
        float s = v.lane(0);
        for (int l = 1; l < v.length(); l++) s += v.lane(l);
        return s;
    }
}

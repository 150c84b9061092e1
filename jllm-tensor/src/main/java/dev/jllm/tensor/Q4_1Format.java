package dev.jllm.tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Q4_1 (ggml block_q4_1, 20 bytes per 32 weights):
 * <pre>
 *   bytes  0–1   f16 scale d
 *   bytes  2–3   f16 offset m (the block minimum)
 *   bytes  4–19  qs[16]: weight j (j &lt; 16) is the LOW nibble of qs[j],
 *                weight j+16 the HIGH nibble;                weight = d · nibble + m
 * </pre>
 * Quantized by quantize_row_q4_1_ref: d = (max − min) / 15, nibble = min(15, (int8)((x − min)/d + 0.5)).
 */
public final class Q4_1Format implements BlockFormat {
    public static final Q4_1Format INSTANCE = new Q4_1Format();
    static final int QK = 32, BYTES = 20;

    private Q4_1Format() {}

    @Override public GgmlType type() { return GgmlType.Q4_1; }

    @Override
    public void dequantize(MemorySegment src, long offset, float[] dst, int dstOff, int n) {
        QuantMath.checkBlocks(n, GgmlType.Q4_1);
        for (int b = 0; b < n / QK; b++) {
            long o = offset + (long) b * BYTES;
            float d = QuantMath.f16(src, o);
            float m = QuantMath.f16(src, o + 2);
            int y = dstOff + b * QK;
            for (int j = 0; j < QK / 2; j++) {
                int q = src.get(ValueLayout.JAVA_BYTE, o + 4 + j) & 0xFF;
                dst[y + j] = (q & 0x0F) * d + m;
                dst[y + j + QK / 2] = (q >> 4) * d + m;
            }
        }
    }

    @Override
    public void quantize(float[] src, int srcOff, int n, MemorySegment dst, long offset) {
        QuantMath.checkBlocks(n, GgmlType.Q4_1);
        for (int b = 0; b < n / QK; b++) {
            int xo = srcOff + b * QK;
            long o = offset + (long) b * BYTES;
            float min = Float.MAX_VALUE, max = -Float.MAX_VALUE;
            for (int j = 0; j < QK; j++) {
                float v = src[xo + j];
                if (v < min) min = v;
                if (v > max) max = v;
            }
            float d = (max - min) / 15;
            float id = d != 0 ? 1.0f / d : 0.0f;
            QuantMath.putF16(dst, o, d);
            QuantMath.putF16(dst, o + 2, min);
            for (int j = 0; j < QK / 2; j++) {
                int q0 = Math.min(15, (byte) (int) ((src[xo + j] - min) * id + 0.5f));
                int q1 = Math.min(15, (byte) (int) ((src[xo + QK / 2 + j] - min) * id + 0.5f));
                dst.set(ValueLayout.JAVA_BYTE, o + 4 + j, (byte) (q0 | q1 << 4));
            }
        }
    }

    /** Per block: d·Σ nibble·x + m·Σ x, both sums kept in lanes and folded in with one FMA each. */
    /** quantize_row_q4_1_impl: per block, make_qkx3_quants(32, 15, −0.9, 0.05, 36) weighted by qw·√(σ² + x²). */
    @Override
    public void quantize(float[] src, int srcOff, int n, float[] qw, int qwOff, MemorySegment dst, long offset) {
        if (qw == null) {
            quantize(src, srcOff, n, dst, offset);
            return;
        }
        QuantMath.checkBlocks(n, GgmlType.Q4_1);
        QuantMath.legacyImatrixRow(src, srcOff, n, qw, qwOff, 15, true, (b, d, min, L) -> {
            long o = offset + (long) b * BYTES;
            QuantMath.putF16(dst, o, d);
            QuantMath.putF16(dst, o + 2, min);
            for (int j = 0; j < QK / 2; j++) dst.set(ValueLayout.JAVA_BYTE, o + 4 + j, (byte) (L[j] | L[j + QK / 2] << 4));
        });
    }

    @Override public boolean usesImportance() { return true; }

    @Override
    public float dot(MemorySegment w, long offset, float[] x, int xOff, int n) {
        QuantMath.checkBlocks(n, GgmlType.Q4_1);
        if (!Simd.OK) return dotReference(w, offset, x, xOff, n);
        return row(w, offset, x, xOff, n / QK);
    }

    /**
     * Σ over blocks of d·Σ nibble·x + m·Σ x: the nibble products in one accumulator for the row, Σ x in another,
     * reduced once at the end in VectorMath.sum's lane order. Vector API calls only, no helper of ours that takes or
     * returns a vector: past C2's inlining node cutoff such a helper stays a call and boxes what crosses it (see
     * {@link RowDotAllocationTest}); with 128-bit vectors the per-block helper this replaces did.
     */
    private static float row(MemorySegment w, long offset, float[] x, int xOff, int nb) {
        VectorSpecies<Float> f = Simd.F;
        FloatVector acc = FloatVector.zero(f), accX = acc;
        for (int b = 0; b < nb; b++) {
            long o = offset + (long) b * BYTES;
            int xi = xOff + b * QK;
            FloatVector s = FloatVector.zero(f), sx = s;
            for (int g = 0; g < QK / 2; g += Simd.BL) {
                ByteVector q = ByteVector.fromMemorySegment(Simd.B, w, o + 4 + g, ByteOrder.LITTLE_ENDIAN);
                ByteVector lo = q.and((byte) 0x0F);
                ByteVector hi = q.reinterpretAsInts().lanewise(VectorOperators.LSHR, 4).reinterpretAsBytes().and((byte) 0x0F); // Simd.shr
                for (int p = 0; p < Simd.P; p++) { // one part except with 128-bit vectors (see Simd)
                    int i = xi + g + p * Simd.L;
                    FloatVector x0 = FloatVector.fromArray(f, x, i), x1 = FloatVector.fromArray(f, x, i + QK / 2);
                    s = ((FloatVector) lo.convertShape(VectorOperators.B2F, f, p)).fma(x0, s);
                    s = ((FloatVector) hi.convertShape(VectorOperators.B2F, f, p)).fma(x1, s);
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

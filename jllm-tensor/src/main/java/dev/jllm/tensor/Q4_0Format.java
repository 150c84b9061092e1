package dev.jllm.tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Q4_0 (ggml block_q4_0, 18 bytes per 32 weights):
 * <pre>
 *   bytes  0–1   f16 scale d
 *   bytes  2–17  qs[16]: weight j (j &lt; 16) is the LOW nibble of qs[j],
 *                weight j+16 the HIGH nibble of qs[j];      weight = d · (nibble − 8)
 * </pre>
 * Quantized by quantize_row_q4_0_ref: the signed value of largest magnitude, max, gives d = max / −8,
 * so max itself lands on nibble 0 (−8, the end of the range with one more step); each nibble is
 * min(15, (int8)(x/d + 8.5)), i.e. truncation of x/d + 8.5.
 */
public final class Q4_0Format implements BlockFormat {
    public static final Q4_0Format INSTANCE = new Q4_0Format();
    static final int QK = 32, BYTES = 18;

    private Q4_0Format() {}

    @Override public GgmlType type() { return GgmlType.Q4_0; }

    @Override
    public void dequantize(MemorySegment src, long offset, float[] dst, int dstOff, int n) {
        QuantMath.checkBlocks(n, GgmlType.Q4_0);
        for (int b = 0; b < n / QK; b++) {
            long o = offset + (long) b * BYTES;
            float d = QuantMath.f16(src, o);
            int y = dstOff + b * QK;
            for (int j = 0; j < QK / 2; j++) {
                int q = src.get(ValueLayout.JAVA_BYTE, o + 2 + j) & 0xFF;
                dst[y + j] = ((q & 0x0F) - 8) * d;
                dst[y + j + QK / 2] = ((q >> 4) - 8) * d;
            }
        }
    }

    @Override
    public void quantize(float[] src, int srcOff, int n, MemorySegment dst, long offset) {
        QuantMath.checkBlocks(n, GgmlType.Q4_0);
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
            float d = max / -8;
            float id = d != 0 ? 1.0f / d : 0.0f;
            QuantMath.putF16(dst, o, d);
            for (int j = 0; j < QK / 2; j++) {
                int q0 = Math.min(15, (byte) (int) (src[xo + j] * id + 8.5f));
                int q1 = Math.min(15, (byte) (int) (src[xo + QK / 2 + j] * id + 8.5f));
                dst.set(ValueLayout.JAVA_BYTE, o + 2 + j, (byte) (q0 | q1 << 4));
            }
        }
    }

    /** quantize_row_q4_0_impl: per block, make_qx_quants(32, 8, rmse 1) weighted by qw·√(σ² + x²). */
    @Override
    public void quantize(float[] src, int srcOff, int n, float[] qw, int qwOff, MemorySegment dst, long offset) {
        if (qw == null) {
            quantize(src, srcOff, n, dst, offset);
            return;
        }
        QuantMath.checkBlocks(n, GgmlType.Q4_0);
        QuantMath.legacyImatrixRow(src, srcOff, n, qw, qwOff, 8, false, (b, d, min, L) -> {
            long o = offset + (long) b * BYTES;
            QuantMath.putF16(dst, o, d);
            for (int j = 0; j < QK / 2; j++) dst.set(ValueLayout.JAVA_BYTE, o + 2 + j, (byte) (L[j] | L[j + QK / 2] << 4));
        });
    }

    @Override public boolean usesImportance() { return true; }

    @Override
    public float dot(MemorySegment w, long offset, float[] x, int xOff, int n) {
        QuantMath.checkBlocks(n, GgmlType.Q4_0);
        if (!Simd.OK) return dotReference(w, offset, x, xOff, n);
        return row(w, offset, x, xOff, n / QK);
    }

    /**
     * Σ over blocks of d·Σ (nibble − 8)·x into one accumulator for the row (its FMA chain has a block's work between
     * links), reduced once at the end in VectorMath.sum's lane order. Vector API calls only, no helper of ours that
     * takes or returns a vector: past C2's inlining node cutoff such a helper stays a call and boxes what crosses it
     * (see {@link RowDotAllocationTest}); with 128-bit vectors the per-block helper this replaces did.
     */
    private static float row(MemorySegment w, long offset, float[] x, int xOff, int nb) {
        VectorSpecies<Float> f = Simd.F;
        FloatVector acc = FloatVector.zero(f);
        for (int b = 0; b < nb; b++) {
            long o = offset + (long) b * BYTES;
            int xi = xOff + b * QK;
            FloatVector s = FloatVector.zero(f);
            for (int g = 0; g < QK / 2; g += Simd.BL) {
                ByteVector q = ByteVector.fromMemorySegment(Simd.B, w, o + 2 + g, ByteOrder.LITTLE_ENDIAN);
                ByteVector lo = q.and((byte) 0x0F).sub((byte) 8);
                ByteVector hi = q.reinterpretAsInts().lanewise(VectorOperators.LSHR, 4).reinterpretAsBytes().and((byte) 0x0F).sub((byte) 8); // Simd.shr
                for (int p = 0; p < Simd.P; p++) { // one part except with 128-bit vectors (see Simd)
                    int i = xi + g + p * Simd.L;
                    s = ((FloatVector) lo.convertShape(VectorOperators.B2F, f, p)).fma(FloatVector.fromArray(f, x, i), s);
                    s = ((FloatVector) hi.convertShape(VectorOperators.B2F, f, p)).fma(FloatVector.fromArray(f, x, i + QK / 2), s);
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

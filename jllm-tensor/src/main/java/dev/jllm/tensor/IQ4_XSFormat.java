package dev.jllm.tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * IQ4_XS (ggml block_iq4_xs, 136 bytes per 256-weight super-block of eight 32-weight sub-blocks,
 * 4.25 bits per weight):
 * <pre>
 *   bytes   0–1     f16 d
 *   bytes   2–3     u16 scales_h: bits 2s, 2s+1 are the high 2 bits of sub-block s's scale
 *   bytes   4–7     scales_l[4]: sub-block s's low 4 bits in byte s/2, low nibble for even s
 *   bytes   8–135   qs[128]: sub-block s at 8 + 16s, arranged as an IQ4_NL block (column j low
 *                   nibble, column j+16 high nibble)
 *   ls = scales_l | scales_h bits &lt;&lt; 4 (6 bits);  weight 32s + j = d·(ls − 32) · kvalues_iq4nl[nibble]
 * </pre>
 * dequantize_row_iq4_xs; quantized by quantize_iq4_xs (with or without an imatrix; its _ref is the
 * same function without weights): {@link IQ4Math#quantize} with 256-weight super-blocks.
 */
public final class IQ4_XSFormat implements BlockFormat {
    public static final IQ4_XSFormat INSTANCE = new IQ4_XSFormat();
    static final int QK = 256, BYTES = 136;

    private IQ4_XSFormat() {}

    @Override public GgmlType type() { return GgmlType.IQ4_XS; }

    /** The signed 6-bit scale ls − 32 of sub-block s of the super-block at {@code o}. */
    static int scale(MemorySegment s, long o, int sb) {
        int h = s.get(QuantMath.SHORT_LE, o + 2) & 0xFFFF;
        int l = s.get(ValueLayout.JAVA_BYTE, o + 4 + sb / 2) & 0xFF;
        return ((l >> 4 * (sb % 2) & 0xF) | (h >> 2 * sb & 3) << 4) - 32;
    }

    @Override
    public void dequantize(MemorySegment src, long offset, float[] dst, int dstOff, int n) {
        QuantMath.checkBlocks(n, GgmlType.IQ4_XS);
        for (int b = 0; b < n / QK; b++) {
            long o = offset + (long) b * BYTES;
            float d = QuantMath.f16(src, o);
            for (int sb = 0; sb < 8; sb++) {
                float dl = d * scale(src, o, sb);
                int y = dstOff + b * QK + 32 * sb;
                for (int j = 0; j < 16; j++) {
                    int q = src.get(ValueLayout.JAVA_BYTE, o + 8 + 16 * sb + j) & 0xFF;
                    dst[y + j] = dl * IQ4Math.KVALUES[q & 0xF];
                    dst[y + j + 16] = dl * IQ4Math.KVALUES[q >> 4];
                }
            }
        }
    }

    @Override
    public void quantize(float[] src, int srcOff, int n, MemorySegment dst, long offset) {
        quantize(src, srcOff, n, null, 0, dst, offset);
    }

    /** quantize_iq4_xs(src, dst, 1, n, quant_weights). */
    @Override
    public void quantize(float[] src, int srcOff, int n, float[] qw, int qwOff, MemorySegment dst, long offset) {
        QuantMath.checkBlocks(n, GgmlType.IQ4_XS);
        byte[] L = new byte[QK];
        float[] scales = new float[QK / 32], weight = new float[32];
        for (int b = 0; b < n / QK; b++) {
            IQ4Math.quantize(QK, src, srcOff + b * QK, qw, qwOff + b * QK, dst, offset + (long) b * BYTES, L, scales, weight);
        }
    }

    @Override public boolean usesImportance() { return true; }

    @Override
    public float dot(MemorySegment w, long offset, float[] x, int xOff, int n) {
        QuantMath.checkBlocks(n, GgmlType.IQ4_XS);
        if (!Simd.OK) return dotReference(w, offset, x, xOff, n);
        return row(w, offset, x, xOff, n / QK);
    }

    /**
     * Σ over super-blocks and their 32-weight sub-blocks of d·scale·Σ level·x (levels by one byte shuffle per 16
     * indices), one accumulator for the row, reduced once at the end in VectorMath.sum's lane order. Vector API calls
     * only, no helper of ours that takes or returns a vector: past C2's inlining node cutoff such a helper stays a call
     * and boxes what crosses it (see {@link RowDotAllocationTest}); with 128-bit vectors the per-row helper this
     * replaces did.
     */
    private static float row(MemorySegment w, long offset, float[] x, int xOff, int nsb) {
        VectorSpecies<Float> f = Simd.F;
        FloatVector acc = FloatVector.zero(f);
        for (int b = 0; b < nsb; b++) {
            long o = offset + (long) b * BYTES;
            float d = QuantMath.f16(w, o);
            for (int sb = 0; sb < 8; sb++) {
                int xi = xOff + b * QK + 32 * sb;
                ByteVector q = ByteVector.fromMemorySegment(IQ4Math.B16, w, o + 8 + 16 * sb, ByteOrder.LITTLE_ENDIAN);
                ByteVector lo = q.and((byte) 0x0F).selectFrom(IQ4Math.TABLE);
                ByteVector hi = q.reinterpretAsInts().lanewise(VectorOperators.LSHR, 4).reinterpretAsBytes().and((byte) 0x0F) // Simd.shr
                        .selectFrom(IQ4Math.TABLE);
                FloatVector s = FloatVector.zero(f);
                for (int p = 0; p < 16 / Simd.L; p++) {
                    s = ((FloatVector) lo.convertShape(VectorOperators.B2F, f, p)).fma(FloatVector.fromArray(f, x, xi + p * Simd.L), s);
                    s = ((FloatVector) hi.convertShape(VectorOperators.B2F, f, p)).fma(FloatVector.fromArray(f, x, xi + 16 + p * Simd.L), s);
                }
                acc = s.fma(FloatVector.broadcast(f, d * scale(w, o, sb)), acc);
            }
        }
        FloatVector v = acc;
        float s = v.lane(0);
        for (int l = 1; l < v.length(); l++) s += v.lane(l);
        return s;
    }
}

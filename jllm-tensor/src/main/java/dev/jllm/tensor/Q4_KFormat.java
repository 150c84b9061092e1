package dev.jllm.tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import jdk.incubator.vector.VectorOperators;

/**
 * Q4_K (ggml block_q4_K, 144 bytes per 256-weight super-block of eight 32-weight sub-blocks):
 * <pre>
 *   bytes   0–1    f16 d     (super-block scale of the sub-block scales)
 *   bytes   2–3    f16 dmin  (super-block scale of the sub-block mins)
 *   bytes   4–15   scales[12]: eight 6-bit scales sc[s] and eight 6-bit mins m[s] (see get_scale_min_k4)
 *   bytes  16–143  qs[128]: for chunk c = 0..3, bytes 32c..32c+31 hold sub-block 2c in their LOW
 *                  nibbles and sub-block 2c+1 in their HIGH nibbles
 *   weight 32s + l = d·sc[s] · q − dmin·m[s]
 * </pre>
 * Quantized by quantize_row_q4_K_ref (make_qkx2_quants with nmax 15, rmin −1, rdelta 0.1, 20 steps).
 */
public final class Q4_KFormat implements BlockFormat {
    public static final Q4_KFormat INSTANCE = new Q4_KFormat();
    static final int QK = 256, BYTES = 144;

    private Q4_KFormat() {}

    @Override public GgmlType type() { return GgmlType.Q4_K; }

    @Override
    public void dequantize(MemorySegment src, long offset, float[] dst, int dstOff, int n) {
        QuantMath.checkBlocks(n, GgmlType.Q4_K);
        for (int b = 0; b < n / QK; b++) {
            long o = offset + (long) b * BYTES;
            float d = QuantMath.f16(src, o), min = QuantMath.f16(src, o + 2);
            int y = dstOff + b * QK;
            for (int c = 0; c < 4; c++) {
                int sm1 = QuantMath.scaleMinK4(2 * c, src, o + 4), sm2 = QuantMath.scaleMinK4(2 * c + 1, src, o + 4);
                float d1 = d * (sm1 & 0xFF), m1 = min * (sm1 >> 8);
                float d2 = d * (sm2 & 0xFF), m2 = min * (sm2 >> 8);
                for (int l = 0; l < 32; l++) {
                    int q = src.get(ValueLayout.JAVA_BYTE, o + 16 + 32 * c + l) & 0xFF;
                    dst[y + 64 * c + l] = d1 * (q & 0xF) - m1;
                    dst[y + 64 * c + 32 + l] = d2 * (q >> 4) - m2;
                }
            }
        }
    }

    @Override
    public void quantize(float[] src, int srcOff, int n, MemorySegment dst, long offset) {
        QuantMath.checkBlocks(n, GgmlType.Q4_K);
        byte[] L = new byte[QK], scales = new byte[12];
        for (int b = 0; b < n / QK; b++) {
            long o = offset + (long) b * BYTES;
            int dd = QuantMath.fitSuperBlockK4(src, srcOff + b * QK, 15, -1f, 0.1f, 20, L, scales);
            dst.set(QuantMath.SHORT_LE, o, (short) dd);
            dst.set(QuantMath.SHORT_LE, o + 2, (short) (dd >>> 16));
            MemorySegment.copy(scales, 0, dst, ValueLayout.JAVA_BYTE, o + 4, 12);
            for (int c = 0; c < 4; c++) {
                for (int l = 0; l < 32; l++) {
                    dst.set(ValueLayout.JAVA_BYTE, o + 16 + 32 * c + l, (byte) (L[64 * c + l] | L[64 * c + 32 + l] << 4));
                }
            }
        }
    }

    /** quantize_row_q4_K_impl: make_qkx3_quants per sub-block, make_qp_quants for the 6-bit scales and mins. */
    @Override
    public void quantize(float[] src, int srcOff, int n, float[] qw, int qwOff, MemorySegment dst, long offset) {
        if (qw == null) {
            quantize(src, srcOff, n, dst, offset);
            return;
        }
        QuantMath.checkBlocks(n, GgmlType.Q4_K);
        byte[] L = new byte[QK], scales = new byte[12];
        for (int b = 0; b < n / QK; b++) {
            long o = offset + (long) b * BYTES;
            int dd = QuantMath.fitSuperBlockK4Weighted(src, srcOff + b * QK, qw, qwOff + b * QK, 15, false, L, scales);
            dst.set(QuantMath.SHORT_LE, o, (short) dd);
            dst.set(QuantMath.SHORT_LE, o + 2, (short) (dd >>> 16));
            MemorySegment.copy(scales, 0, dst, ValueLayout.JAVA_BYTE, o + 4, 12);
            for (int c = 0; c < 4; c++) {
                for (int l = 0; l < 32; l++) {
                    dst.set(ValueLayout.JAVA_BYTE, o + 16 + 32 * c + l, (byte) (L[64 * c + l] | L[64 * c + 32 + l] << 4));
                }
            }
        }
    }

    @Override public boolean usesImportance() { return true; }

    @Override
    public float dot(MemorySegment w, long offset, float[] x, int xOff, int n) {
        QuantMath.checkBlocks(n, GgmlType.Q4_K);
        if (!Simd.OK) return dotReference(w, offset, x, xOff, n);
        return row(w, offset, x, xOff, n / QK);
    }

    /**
     * The row's super-blocks into one vector accumulator, reduced once at the end with VectorMath.sum's lane order
     * (the same bits in every JIT tier); a lane-order reduction per super-block cost 20 % (15 dependent adds per
     * 256 weights). Vector API calls only in the loop, no helper of ours that takes a vector: past C2's inlining
     * node cutoff such a helper stays a call and boxes what crosses it (see {@link RowDotAllocationTest}'s comment).
     * Per 64-weight chunk c: Σ q·x and Σ x for its two sub-blocks in lanes, then acc += d·sc·Σqx − dmin·m·Σx.
     */
    private static float row(MemorySegment w, long offset, float[] x, int xOff, int nsb) {
        VectorSpecies<Float> f = Simd.F;
        FloatVector acc = FloatVector.zero(f);
        for (int b = 0; b < nsb; b++) {
            long o = offset + (long) b * BYTES;
            int xi = xOff + b * QK;
            float d = QuantMath.f16(w, o), dmin = QuantMath.f16(w, o + 2);
            for (int c = 0; c < 4; c++) {
                long sm = QuantMath.scaleMinsK4(w, o + 4, c >> 1) >>> 16 * (c & 1); // sub-blocks 2c, 2c+1: bytes 0, 1 (scales), 4, 5 (mins)
                FloatVector q1 = FloatVector.zero(f), q2 = q1, s1 = q1, s2 = q1;
                for (int g = 0; g < 32; g += Simd.BL) {
                    ByteVector q = ByteVector.fromMemorySegment(Simd.B, w, o + 16 + 32 * c + g, ByteOrder.LITTLE_ENDIAN);
                    ByteVector lo = q.and((byte) 0xF);
                    ByteVector hi = q.reinterpretAsInts().lanewise(VectorOperators.LSHR, 4).reinterpretAsBytes().and((byte) 0xF); // Simd.shr
                    for (int p = 0; p < Simd.P; p++) { // one part except with 128-bit vectors (see Simd)
                        int i = xi + 64 * c + g + p * Simd.L;
                        FloatVector x1 = FloatVector.fromArray(f, x, i), x2 = FloatVector.fromArray(f, x, i + 32);
                        q1 = ((FloatVector) lo.convertShape(VectorOperators.B2F, f, p)).fma(x1, q1);
                        q2 = ((FloatVector) hi.convertShape(VectorOperators.B2F, f, p)).fma(x2, q2);
                        s1 = s1.add(x1);
                        s2 = s2.add(x2);
                    }
                }
                acc = q1.fma(FloatVector.broadcast(f, d * (sm & 0xFF)), acc);
                acc = q2.fma(FloatVector.broadcast(f, d * (sm >>> 8 & 0xFF)), acc);
                acc = s1.fma(FloatVector.broadcast(f, -dmin * (sm >>> 32 & 0xFF)), acc);
                acc = s2.fma(FloatVector.broadcast(f, -dmin * (sm >>> 40 & 0xFF)), acc);
            }
        }
        float s = acc.lane(0);
        for (int l = 1; l < acc.length(); l++) s += acc.lane(l);
        return s;
    }
}

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
 * Q5_K (ggml block_q5_K, 176 bytes per 256-weight super-block of eight 32-weight sub-blocks):
 * <pre>
 *   bytes   0–1    f16 d
 *   bytes   2–3    f16 dmin
 *   bytes   4–15   scales[12]: 6-bit sc[s] and m[s], packed as in Q4_K (get_scale_min_k4)
 *   bytes  16–47   qh[32]: bit s of qh[l] is the fifth bit (value 16) of weight 32s + l
 *   bytes  48–175  qs[128]: low 4 bits, nibbles arranged as in Q4_K (chunk c: 2c low, 2c+1 high)
 *   weight 32s + l = d·sc[s] · (nibble + 16·bit) − dmin·m[s]
 * </pre>
 * Quantized by quantize_row_q5_K_ref (make_qkx2_quants with nmax 31, rmin −0.5, rdelta 0.1, 15 steps).
 */
public final class Q5_KFormat implements BlockFormat {
    public static final Q5_KFormat INSTANCE = new Q5_KFormat();
    static final int QK = 256, BYTES = 176;

    private Q5_KFormat() {}

    @Override public GgmlType type() { return GgmlType.Q5_K; }

    @Override
    public void dequantize(MemorySegment src, long offset, float[] dst, int dstOff, int n) {
        QuantMath.checkBlocks(n, GgmlType.Q5_K);
        for (int b = 0; b < n / QK; b++) {
            long o = offset + (long) b * BYTES;
            float d = QuantMath.f16(src, o), min = QuantMath.f16(src, o + 2);
            int y = dstOff + b * QK;
            for (int c = 0; c < 4; c++) {
                int sm1 = QuantMath.scaleMinK4(2 * c, src, o + 4), sm2 = QuantMath.scaleMinK4(2 * c + 1, src, o + 4);
                float d1 = d * (sm1 & 0xFF), m1 = min * (sm1 >> 8);
                float d2 = d * (sm2 & 0xFF), m2 = min * (sm2 >> 8);
                for (int l = 0; l < 32; l++) {
                    int q = src.get(ValueLayout.JAVA_BYTE, o + 48 + 32 * c + l) & 0xFF;
                    int h = src.get(ValueLayout.JAVA_BYTE, o + 16 + l) & 0xFF;
                    dst[y + 64 * c + l] = d1 * ((q & 0xF) + ((h >> 2 * c & 1) << 4)) - m1;
                    dst[y + 64 * c + 32 + l] = d2 * ((q >> 4) + ((h >> 2 * c + 1 & 1) << 4)) - m2;
                }
            }
        }
    }

    @Override
    public void quantize(float[] src, int srcOff, int n, MemorySegment dst, long offset) {
        QuantMath.checkBlocks(n, GgmlType.Q5_K);
        byte[] L = new byte[QK], scales = new byte[12], qh = new byte[32];
        for (int b = 0; b < n / QK; b++) {
            long o = offset + (long) b * BYTES;
            int dd = QuantMath.fitSuperBlockK4(src, srcOff + b * QK, 31, -0.5f, 0.1f, 15, L, scales);
            dst.set(QuantMath.SHORT_LE, o, (short) dd);
            dst.set(QuantMath.SHORT_LE, o + 2, (short) (dd >>> 16));
            MemorySegment.copy(scales, 0, dst, ValueLayout.JAVA_BYTE, o + 4, 12);
            java.util.Arrays.fill(qh, (byte) 0);
            for (int c = 0; c < 4; c++) {
                for (int l = 0; l < 32; l++) {
                    int l1 = L[64 * c + l], l2 = L[64 * c + 32 + l];
                    if (l1 > 15) { l1 -= 16; qh[l] |= (byte) (1 << 2 * c); }
                    if (l2 > 15) { l2 -= 16; qh[l] |= (byte) (2 << 2 * c); }
                    dst.set(ValueLayout.JAVA_BYTE, o + 48 + 32 * c + l, (byte) (l1 | l2 << 4));
                }
            }
            MemorySegment.copy(qh, 0, dst, ValueLayout.JAVA_BYTE, o + 16, 32);
        }
    }

    /** quantize_row_q5_K_impl: make_qkx3_quants per sub-block, make_qp_quants for the 6-bit scales and mins. */
    @Override
    public void quantize(float[] src, int srcOff, int n, float[] qw, int qwOff, MemorySegment dst, long offset) {
        if (qw == null) {
            quantize(src, srcOff, n, dst, offset);
            return;
        }
        QuantMath.checkBlocks(n, GgmlType.Q5_K);
        byte[] L = new byte[QK], scales = new byte[12], qh = new byte[32];
        for (int b = 0; b < n / QK; b++) {
            long o = offset + (long) b * BYTES;
            int dd = QuantMath.fitSuperBlockK4Weighted(src, srcOff + b * QK, qw, qwOff + b * QK, 31, true, L, scales);
            dst.set(QuantMath.SHORT_LE, o, (short) dd);
            dst.set(QuantMath.SHORT_LE, o + 2, (short) (dd >>> 16));
            MemorySegment.copy(scales, 0, dst, ValueLayout.JAVA_BYTE, o + 4, 12);
            java.util.Arrays.fill(qh, (byte) 0);
            for (int c = 0; c < 4; c++) {
                for (int l = 0; l < 32; l++) {
                    int l1 = L[64 * c + l], l2 = L[64 * c + 32 + l];
                    if (l1 > 15) { l1 -= 16; qh[l] |= (byte) (1 << 2 * c); }
                    if (l2 > 15) { l2 -= 16; qh[l] |= (byte) (2 << 2 * c); }
                    dst.set(ValueLayout.JAVA_BYTE, o + 48 + 32 * c + l, (byte) (l1 | l2 << 4));
                }
            }
            MemorySegment.copy(qh, 0, dst, ValueLayout.JAVA_BYTE, o + 16, 32);
        }
    }

    @Override public boolean usesImportance() { return true; }

    @Override
    public float dot(MemorySegment w, long offset, float[] x, int xOff, int n) {
        QuantMath.checkBlocks(n, GgmlType.Q5_K);
        if (!Simd.OK) return dotReference(w, offset, x, xOff, n);
        return row(w, offset, x, xOff, n / QK);
    }

    /**
     * As Q4_K's {@code row} (one accumulator for the row, reduced once in lane order; Vector API calls only in the
     * loop), with the fifth bits from qh bits 2c and 2c+1. It called small helpers of ours past C2's node cutoff
     * and ran at 1.4 G weights/s in L2, allocating 9 KB per 2,048-column row.
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
                    ByteVector q = ByteVector.fromMemorySegment(Simd.B, w, o + 48 + 32 * c + g, ByteOrder.LITTLE_ENDIAN);
                    // nibbles and the fifth bits 2c, 2c+1 of each qh byte (moved to bit 4) by int-lane shifts: x86 has no byte shift
                    IntVector h = ByteVector.fromMemorySegment(Simd.B, w, o + 16 + g, ByteOrder.LITTLE_ENDIAN).reinterpretAsInts().lanewise(VectorOperators.LSHR, 2 * c);
                    ByteVector v1 = q.and((byte) 0xF).or(h.lanewise(VectorOperators.LSHL, 4).reinterpretAsBytes().and((byte) 0x10));
                    ByteVector v2 = q.reinterpretAsInts().lanewise(VectorOperators.LSHR, 4).reinterpretAsBytes().and((byte) 0xF)
                            .or(h.lanewise(VectorOperators.LSHL, 3).reinterpretAsBytes().and((byte) 0x10));
                    for (int p = 0; p < Simd.P; p++) { // one part except with 128-bit vectors (see Simd)
                        int i = xi + 64 * c + g + p * Simd.L;
                        FloatVector x1 = FloatVector.fromArray(f, x, i), x2 = FloatVector.fromArray(f, x, i + 32);
                        q1 = ((FloatVector) v1.convertShape(VectorOperators.B2F, f, p)).fma(x1, q1);
                        q2 = ((FloatVector) v2.convertShape(VectorOperators.B2F, f, p)).fma(x2, q2);
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

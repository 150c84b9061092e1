package dev.jllm.tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

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
        float s = 0;
        for (int b = 0; b < n / QK; b++) s += superBlock(w, offset + (long) b * BYTES, x, xOff + b * QK);
        return s;
    }

    /** As Q4_K's (one super-block, scalar result), with the fifth bits from qh bits 2c and 2c+1. */
    private static float superBlock(MemorySegment w, long o, float[] x, int xi) {
        float d = QuantMath.f16(w, o), dmin = QuantMath.f16(w, o + 2);
        FloatVector acc = FloatVector.zero(Simd.F);
        for (int c = 0; c < 4; c++) {
            FloatVector q1 = FloatVector.zero(Simd.F), q2 = q1, s1 = q1, s2 = q1;
            for (int g = 0; g < 32; g += Simd.L) {
                ByteVector q = Simd.bytes(w, o + 48 + 32 * c + g);
                ByteVector h = Simd.bytes(w, o + 16 + g).lanewise(VectorOperators.LSHR, 2 * c);
                FloatVector x1 = Simd.x(x, xi + 64 * c + g), x2 = Simd.x(x, xi + 64 * c + 32 + g);
                ByteVector v1 = q.and((byte) 0xF).or(h.and((byte) 1).lanewise(VectorOperators.LSHL, 4));
                ByteVector v2 = q.lanewise(VectorOperators.LSHR, 4).or(h.and((byte) 2).lanewise(VectorOperators.LSHL, 3));
                q1 = Simd.toFloat(v1).fma(x1, q1);
                q2 = Simd.toFloat(v2).fma(x2, q2);
                s1 = s1.add(x1);
                s2 = s2.add(x2);
            }
            int sm1 = QuantMath.scaleMinK4(2 * c, w, o + 4), sm2 = QuantMath.scaleMinK4(2 * c + 1, w, o + 4);
            acc = q1.fma(Simd.splat(d * (sm1 & 0xFF)), acc);
            acc = q2.fma(Simd.splat(d * (sm2 & 0xFF)), acc);
            acc = s1.fma(Simd.splat(-dmin * (sm1 >> 8)), acc);
            acc = s2.fma(Simd.splat(-dmin * (sm2 >> 8)), acc);
        }
        return VectorMath.sum(acc);
    }
}

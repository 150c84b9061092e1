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
 * Q6_K (ggml block_q6_K, 210 bytes per 256-weight super-block of sixteen 16-weight sub-blocks):
 * <pre>
 *   bytes    0–127  ql[128]: low 4 bits of the 6-bit quants
 *   bytes  128–191  qh[64]:  high 2 bits, four quants per byte
 *   bytes  192–207  scales[16]: int8 sub-block scales
 *   bytes  208–209  f16 d
 * </pre>
 * In half h (weights 128h..128h+127, ql from 64h, qh from 32h, scales from 8h), for l = 0..31:
 * <pre>
 *   weight 128h + l      = d·sc[l/16    ] · ((ql[l]    &amp; 0xF | (qh[l]      &amp; 3) &lt;&lt; 4) − 32)
 *   weight 128h + 32 + l = d·sc[l/16 + 2] · ((ql[l+32] &amp; 0xF | (qh[l] &gt;&gt; 2 &amp; 3) &lt;&lt; 4) − 32)
 *   weight 128h + 64 + l = d·sc[l/16 + 4] · ((ql[l]    &gt;&gt; 4 | (qh[l] &gt;&gt; 4 &amp; 3) &lt;&lt; 4) − 32)
 *   weight 128h + 96 + l = d·sc[l/16 + 6] · ((ql[l+32] &gt;&gt; 4 | (qh[l] &gt;&gt; 6)     &lt;&lt; 4) − 32)
 * </pre>
 * Quantized by quantize_row_q6_K_ref: make_qx_quants(16, 32, rmse_type 1) per sub-block, scales
 * quantized to int8 against d = max_scale/−128.
 */
public final class Q6_KFormat implements BlockFormat {
    public static final Q6_KFormat INSTANCE = new Q6_KFormat();
    static final int QK = 256, BYTES = 210;

    private Q6_KFormat() {}

    @Override public GgmlType type() { return GgmlType.Q6_K; }

    private static int u8(MemorySegment s, long off) {
        return s.get(ValueLayout.JAVA_BYTE, off) & 0xFF;
    }

    @Override
    public void dequantize(MemorySegment src, long offset, float[] dst, int dstOff, int n) {
        QuantMath.checkBlocks(n, GgmlType.Q6_K);
        for (int b = 0; b < n / QK; b++) {
            long o = offset + (long) b * BYTES;
            float d = QuantMath.f16(src, o + 208);
            for (int h = 0; h < 2; h++) {
                long ql = o + 64 * h, qh = o + 128 + 32 * h, sc = o + 192 + 8 * h;
                int y = dstOff + b * QK + 128 * h;
                for (int l = 0; l < 32; l++) {
                    int is = l / 16, a = u8(src, ql + l), c = u8(src, ql + l + 32), hi = u8(src, qh + l);
                    dst[y + l] = d * src.get(ValueLayout.JAVA_BYTE, sc + is) * ((a & 0xF | (hi & 3) << 4) - 32);
                    dst[y + l + 32] = d * src.get(ValueLayout.JAVA_BYTE, sc + is + 2) * ((c & 0xF | (hi >> 2 & 3) << 4) - 32);
                    dst[y + l + 64] = d * src.get(ValueLayout.JAVA_BYTE, sc + is + 4) * ((a >> 4 | (hi >> 4 & 3) << 4) - 32);
                    dst[y + l + 96] = d * src.get(ValueLayout.JAVA_BYTE, sc + is + 6) * ((c >> 4 | (hi >> 6) << 4) - 32);
                }
            }
        }
    }

    @Override
    public void quantize(float[] src, int srcOff, int n, MemorySegment dst, long offset) {
        quantize(src, srcOff, n, null, 0, dst, offset);
    }

    /**
     * With {@code qw}: quantize_row_q6_K_impl, which differs from the reference only in make_qx_quants'
     * weights (qw instead of x²) per 16-weight sub-block.
     */
    @Override
    public void quantize(float[] src, int srcOff, int n, float[] qw, int qwOff, MemorySegment dst, long offset) {
        QuantMath.checkBlocks(n, GgmlType.Q6_K);
        byte[] L = new byte[QK];
        float[] scales = new float[16];
        for (int b = 0; b < n / QK; b++) {
            int xo = srcOff + b * QK;
            long o = offset + (long) b * BYTES;
            float maxScale = 0, maxAbsScale = 0;
            for (int ib = 0; ib < 16; ib++) {
                float scale = qw == null ? QuantMath.makeQxQuantsRmse1(16, 32, src, xo + 16 * ib, L, 16 * ib)
                        : QuantMath.makeQxQuantsWeighted(16, 32, src, xo + 16 * ib, L, 16 * ib, qw, qwOff + b * QK + 16 * ib);
                scales[ib] = scale;
                if (Math.abs(scale) > maxAbsScale) {
                    maxAbsScale = Math.abs(scale);
                    maxScale = scale;
                }
            }
            if (maxAbsScale < 1e-15f) { // GROUP_MAX_EPS: the whole super-block is zero bytes
                dst.asSlice(o, BYTES).fill((byte) 0);
                continue;
            }
            float iscale = -128f / maxScale;
            QuantMath.putF16(dst, o + 208, 1 / iscale);
            float dAll = QuantMath.f16(dst, o + 208);
            for (int ib = 0; ib < 16; ib++) {
                byte s8 = (byte) Math.min(127, QuantMath.nearestInt(iscale * scales[ib]));
                dst.set(ValueLayout.JAVA_BYTE, o + 192 + ib, s8);
                float d = dAll * s8;
                if (d == 0) continue; // keep make_qx_quants' quants, as llama.cpp does
                for (int ii = 0; ii < 16; ii++) {
                    int l = QuantMath.nearestInt(src[xo + 16 * ib + ii] / d);
                    L[16 * ib + ii] = (byte) (Math.max(-32, Math.min(31, l)) + 32);
                }
            }
            for (int h = 0; h < 2; h++) {
                long ql = o + 64 * h, qh = o + 128 + 32 * h;
                int j = 128 * h;
                for (int l = 0; l < 32; l++) {
                    int q1 = L[j + l], q2 = L[j + l + 32], q3 = L[j + l + 64], q4 = L[j + l + 96];
                    dst.set(ValueLayout.JAVA_BYTE, ql + l, (byte) (q1 & 0xF | (q3 & 0xF) << 4));
                    dst.set(ValueLayout.JAVA_BYTE, ql + l + 32, (byte) (q2 & 0xF | (q4 & 0xF) << 4));
                    dst.set(ValueLayout.JAVA_BYTE, qh + l, (byte) (q1 >> 4 | (q2 >> 4) << 2 | (q3 >> 4) << 4 | (q4 >> 4) << 6));
                }
            }
        }
    }

    @Override public boolean usesImportance() { return true; }

    @Override
    public float dot(MemorySegment w, long offset, float[] x, int xOff, int n) {
        QuantMath.checkBlocks(n, GgmlType.Q6_K);
        if (!Simd.OK) return dotReference(w, offset, x, xOff, n);
        return row(w, offset, x, xOff, n / QK);
    }

    /**
     * The row's super-blocks into two vector accumulators, reduced once at the end in VectorMath.sum's lane order
     * (see Q4_K's {@code row}). Per half h and group of L lanes l: ql[l] gives weights l and 64+l, ql[32+l] weights
     * 32+l and 96+l, qh[l] the top two bits of all four; the group lies in one 16-weight sub-block per quarter.
     * Vector API calls only, no helper of ours: C2 stops inlining methods that are not {@code @ForceInline} once a
     * compile has 18,000 nodes (NodeCountInliningCutoff; the Vector API's own are delayed instead), each Vector API
     * call costs 300–650 nodes while parsed, and a helper left as a call boxes every vector that crosses it — the
     * per-half method this replaces ran at 0.9 G weights/s, allocating 18 KB per 2,048-column row.
     */
    private static float row(MemorySegment w, long offset, float[] x, int xOff, int nsb) {
        VectorSpecies<Float> f = Simd.F;
        FloatVector acc0 = FloatVector.zero(f), acc1 = acc0;
        for (int b = 0; b < nsb; b++) {
            long o = offset + (long) b * BYTES;
            float d = QuantMath.f16(w, o + 208);
            for (int h = 0; h < 2; h++) {
                long ql = o + 64 * h, qh = o + 128 + 32 * h;
                int xi = xOff + b * QK + 128 * h;
                for (int g = 0; g < 32; g += Simd.BL) {
                    long scales = w.get(QuantMath.LONG_LE, o + 192 + 8 * h + g / 16); // sc[0], sc[2], sc[4], sc[6] of the quarters
                    ByteVector a = ByteVector.fromMemorySegment(Simd.B, w, ql + g, ByteOrder.LITTLE_ENDIAN);
                    ByteVector c = ByteVector.fromMemorySegment(Simd.B, w, ql + 32 + g, ByteOrder.LITTLE_ENDIAN);
                    ByteVector hi = ByteVector.fromMemorySegment(Simd.B, w, qh + g, ByteOrder.LITTLE_ENDIAN);
                    // the high bits moved to bits 4–5, the high nibbles down, by int-lane shifts + masks (x86 has no byte shift)
                    IntVector hiI = hi.reinterpretAsInts(), aI = a.reinterpretAsInts(), cI = c.reinterpretAsInts();
                    ByteVector v1 = a.and((byte) 0xF).or(hiI.lanewise(VectorOperators.LSHL, 4).reinterpretAsBytes().and((byte) 0x30)).sub((byte) 32);
                    ByteVector v2 = c.and((byte) 0xF).or(hiI.lanewise(VectorOperators.LSHL, 2).reinterpretAsBytes().and((byte) 0x30)).sub((byte) 32);
                    ByteVector v3 = aI.lanewise(VectorOperators.LSHR, 4).reinterpretAsBytes().and((byte) 0xF).or(hi.and((byte) 0x30)).sub((byte) 32);
                    ByteVector v4 = cI.lanewise(VectorOperators.LSHR, 4).reinterpretAsBytes().and((byte) 0xF)
                            .or(hiI.lanewise(VectorOperators.LSHR, 2).reinterpretAsBytes().and((byte) 0x30)).sub((byte) 32);
                    for (int p = 0; p < Simd.P; p++) { // one part except with 128-bit vectors (see Simd)
                        int i = xi + g + p * Simd.L;
                        acc0 = ((FloatVector) v1.convertShape(VectorOperators.B2F, f, p)).mul(d * (byte) scales).fma(FloatVector.fromArray(f, x, i), acc0);
                        acc1 = ((FloatVector) v2.convertShape(VectorOperators.B2F, f, p)).mul(d * (byte) (scales >> 16)).fma(FloatVector.fromArray(f, x, i + 32), acc1);
                        acc0 = ((FloatVector) v3.convertShape(VectorOperators.B2F, f, p)).mul(d * (byte) (scales >> 32)).fma(FloatVector.fromArray(f, x, i + 64), acc0);
                        acc1 = ((FloatVector) v4.convertShape(VectorOperators.B2F, f, p)).mul(d * (byte) (scales >> 48)).fma(FloatVector.fromArray(f, x, i + 96), acc1);
                    }
                }
            }
        }
        FloatVector v = acc0.add(acc1);
        float s = v.lane(0);
        for (int l = 1; l < v.length(); l++) s += v.lane(l);
        return s;
    }
}

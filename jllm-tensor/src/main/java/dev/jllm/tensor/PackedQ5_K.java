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
 * Q5_K weights repacked at load in 16-row groups (a column of a group is one 16-lane vector, or two 8-lane slices with AVX2) (see {@link PackedMatrix}): {@link PackedQ4_K}'s
 * scales and nibbles plus one word of fifth bits per row and sub-block. Each 256-column super-block of a group of
 * 16 rows is {@link #SB} bytes:
 * <pre>
 *   bytes    0–63     f32 d of rows 0..15
 *   bytes   64–127    f32 dmin of rows 0..15
 *   bytes  128–255    sc[s][r]  at 128 + 16s + r: 6-bit scale of sub-block s (32 columns) of row r
 *   bytes  256–383    m[s][r]   at 256 + 16s + r: 6-bit min
 *   then sub-block s (32 columns) at 384 + 320s, its fifth bits beside its nibbles:
 *     + 4r          int32 (LE) of row r, bit j = fifth bit (value 16) of column 32s+j
 *     + 64 + 16j + r  (j &lt; 16): low 4 bits of column 32s+j in the low nibble, of column 32s+j+16 in
 *                   the high nibble ({@link PackedQ4_K}'s arrangement)
 * </pre>
 * weight = d·sc·q − dmin·m with q = nibble | fifth bit, 5.75 bits (0.719 bytes) per weight against
 * the file's 5.5. The fifth bits of a sub-block are one 16-lane int load; column j's bit is moved to
 * bit 4 by one shift by j and masked, so each column costs two integer operations more than Q4_K's and
 * the copy stays 1.05× the file (a whole byte per quant, as {@link PackedQ6_K} does, would be 1.6×).
 * The fifth bits sit next to their sub-block's nibbles so a row group is read in one forward pass:
 * with all fifth bits in one region before the nibbles (the first layout) the same kernel ran at
 * 6.9 G weights/s from memory against 14.4 with the matrix in L2; laid out this way it streams at
 * 14.0 (8192 × 2048, one thread; 1.6× with two threads). Presumably the hardware prefetcher: the
 * instructions are the same.
 */
final class PackedQ5_K {
    private PackedQ5_K() {}

    // The decode is written out in each kernel, Vector API calls only: a helper of ours stays a call once a compile
    // passes C2's 18,000-node inlining cutoff and boxes the vectors crossing it (docs/PERFORMANCE.md, session 16).
    static final int G = 16, QK = 256, SB = 384 + 8 * 320;
    private static final VectorSpecies<Float> F = Simd.F;
    private static final VectorSpecies<Integer> I = Simd.I;
    private static final VectorSpecies<Byte> B = Simd.B;
    /** Rows per vector: a group is one 16-row slice with AVX-512, two 8-row slices with AVX2 ({@link PackedMatrix}). */
    private static final int L = Simd.L, SLICES = G / L;

    static void pack(MemorySegment src, long off, long rowBytes, int g0, int g1, int nsb, MemorySegment dst) {
        for (int g = g0; g < g1; g++) {
            for (int b = 0; b < nsb; b++) {
                long o = ((long) g * nsb + b) * SB;
                for (int r = 0; r < G; r++) {
                    long s = off + (long) (g * G + r) * rowBytes + (long) b * Q5_KFormat.BYTES;
                    dst.set(QuantMath.FLOAT_LE, o + 4L * r, QuantMath.f16(src, s));
                    dst.set(QuantMath.FLOAT_LE, o + 64 + 4L * r, QuantMath.f16(src, s + 2));
                    for (int sb = 0; sb < 8; sb++) {
                        int sm = QuantMath.scaleMinK4(sb, src, s + 4);
                        dst.set(ValueLayout.JAVA_BYTE, o + 128 + 16L * sb + r, (byte) (sm & 0xFF));
                        dst.set(ValueLayout.JAVA_BYTE, o + 256 + 16L * sb + r, (byte) (sm >> 8));
                        // qh[l] bit sb is the fifth bit of weight 32sb + l (Q5_KFormat: bits 2c, 2c+1 for chunk c)
                        int h = 0;
                        for (int l = 0; l < 32; l++) h |= (src.get(ValueLayout.JAVA_BYTE, s + 16 + l) >> sb & 1) << l;
                        dst.set(QuantMath.INT_LE, o + 384 + 320L * sb + 4L * r, h);
                    }
                    // chunk c of qs holds sub-block 2c in its low nibbles and 2c+1 in its high nibbles
                    for (int c = 0; c < 4; c++) {
                        for (int j = 0; j < 16; j++) {
                            int a = src.get(ValueLayout.JAVA_BYTE, s + 48 + 32 * c + j) & 0xFF, e = src.get(ValueLayout.JAVA_BYTE, s + 48 + 32 * c + j + 16) & 0xFF;
                            dst.set(ValueLayout.JAVA_BYTE, o + 448 + 320L * (2 * c) + 16L * j + r, (byte) (a & 0xF | (e & 0xF) << 4));
                            dst.set(ValueLayout.JAVA_BYTE, o + 448 + 320L * (2 * c + 1) + 16L * j + r, (byte) (a >> 4 | e & 0xF0));
                        }
                    }
                }
            }
        }
    }

    /**
     * out[outOff + 16g + lane] = row (16g + lane) · x for groups [g0, g1); sums = Σx per 32 columns
     * ({@link PackedQ4_0#blockSums}) for the mins. One method with no vector crossing a call (C2 boxes
     * vectors passed to methods it won't inline).
     */
    static void matvec(MemorySegment p, int nsb, float[] x, int xOff, float[] sums, float[] out, int outOff, int g0, int g1) {
        for (int gs = g0 * SLICES; gs < g1 * SLICES; gs++) { // each slice of L rows on its own
            int g = gs / SLICES, sl = gs % SLICES * L;
            long o = (long) g * nsb * SB;
            FloatVector acc = FloatVector.zero(F);
            for (int b = 0; b < nsb; b++, o += SB) {
                FloatVector d = FloatVector.fromMemorySegment(F, p, o + 4L * sl, ByteOrder.LITTLE_ENDIAN);
                FloatVector dmin = FloatVector.fromMemorySegment(F, p, o + 64 + 4L * sl, ByteOrder.LITTLE_ENDIAN);
                for (int sb = 0; sb < 8; sb++) {
                    long qo = o + 448 + 320L * sb;
                    int xi = xOff + b * QK + 32 * sb;
                    IntVector h = IntVector.fromMemorySegment(I, p, o + 384 + 320L * sb + 4L * sl, ByteOrder.LITTLE_ENDIAN);
                    IntVector hl = h.lanewise(VectorOperators.LSHL, 4), hh = h.lanewise(VectorOperators.LSHR, 12);
                    // one column pair per iteration (C2 unrolls it): a hand-unrolled pair of pairs made
                    // this method so large that C2 stopped inlining at NodeCountInliningCutoff and boxed a
                    // vector per sub-block (96 bytes allocated per sub-block, seen with ThreadMXBean)
                    FloatVector s0 = FloatVector.zero(F), s1 = s0;
                    for (int j = 0; j < 16; j++) {
                        IntVector v = ((IntVector) ByteVector.fromMemorySegment(B, p, qo + 16L * j + sl, ByteOrder.LITTLE_ENDIAN).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0));
                        s0 = ((FloatVector) v.and(0x0F).or(hl.lanewise(VectorOperators.LSHR, j).and(0x10)).convertShape(VectorOperators.I2F, F, 0)).fma(FloatVector.broadcast(F, x[xi + j]), s0);
                        s1 = ((FloatVector) v.lanewise(VectorOperators.LSHR, 4).or(hh.lanewise(VectorOperators.LSHR, j).and(0x10)).convertShape(VectorOperators.I2F, F, 0)).fma(FloatVector.broadcast(F, x[xi + j + 16]), s1);
                    }
                    FloatVector sc = d.mul(((FloatVector) ByteVector.fromMemorySegment(B, p, o + 128 + 16L * sb + sl, ByteOrder.LITTLE_ENDIAN).convertShape(VectorOperators.B2F, F, 0))), m = dmin.mul(((FloatVector) ByteVector.fromMemorySegment(B, p, o + 256 + 16L * sb + sl, ByteOrder.LITTLE_ENDIAN).convertShape(VectorOperators.B2F, F, 0)));
                    acc = s0.add(s1).fma(sc, acc);
                    acc = m.fma(FloatVector.broadcast(F, -sums[b * 8 + sb]), acc);
                }
            }
            acc.intoArray(out, outOff + g * G + sl);
        }
    }

    /**
     * Batched kernel for up to 4 tokens: out[outOff + t·ld + 16g + lane] = row (16g + lane) · x[x0 + t·cols ..]
     * for t &lt; n (1 ≤ n ≤ 4), groups g in [g0, g1), as {@link PackedQ4_K#mul4}: each column of 16 quants
     * is read once, decoded to the weights {@link #dequantizeGroup} gives (d·sc·q − dmin·m, same float
     * operations) and FMA'd with each token's broadcast activation into one accumulator per token;
     * tokens ≥ n repeat the last one and are not stored. One column pair per iteration, as in
     * {@link #matvec}: a larger body passes C2's inlining node budget and boxes vectors.
     */
    static void mul4(MemorySegment p, int nsb, float[] x, int x0, int n, float[] out, int outOff, int ld, int g0, int g1) {
        final int cols = nsb * QK;
        int x1 = x0 + Math.min(1, n - 1) * cols;
        int x2 = x0 + Math.min(2, n - 1) * cols;
        int x3 = x0 + Math.min(3, n - 1) * cols;
        for (int gs = g0 * SLICES; gs < g1 * SLICES; gs++) { // each slice of L rows on its own
            int g = gs / SLICES, sl = gs % SLICES * L;
            long o = (long) g * nsb * SB;
            FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
            for (int b = 0; b < nsb; b++, o += SB) {
                FloatVector d = FloatVector.fromMemorySegment(F, p, o + 4L * sl, ByteOrder.LITTLE_ENDIAN);
                FloatVector dmin = FloatVector.fromMemorySegment(F, p, o + 64 + 4L * sl, ByteOrder.LITTLE_ENDIAN);
                for (int sb = 0; sb < 8; sb++) {
                    FloatVector sc = d.mul(((FloatVector) ByteVector.fromMemorySegment(B, p, o + 128 + 16L * sb + sl, ByteOrder.LITTLE_ENDIAN).convertShape(VectorOperators.B2F, F, 0))), m = dmin.mul(((FloatVector) ByteVector.fromMemorySegment(B, p, o + 256 + 16L * sb + sl, ByteOrder.LITTLE_ENDIAN).convertShape(VectorOperators.B2F, F, 0)));
                    IntVector h = IntVector.fromMemorySegment(I, p, o + 384 + 320L * sb + 4L * sl, ByteOrder.LITTLE_ENDIAN);
                    IntVector hl = h.lanewise(VectorOperators.LSHL, 4), hh = h.lanewise(VectorOperators.LSHR, 12);
                    long qo = o + 448 + 320L * sb;
                    int c = b * QK + 32 * sb;
                    for (int j = 0; j < 16; j++) {
                        IntVector v = ((IntVector) ByteVector.fromMemorySegment(B, p, qo + 16L * j + sl, ByteOrder.LITTLE_ENDIAN).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0));
                        FloatVector w = sc.mul(((FloatVector) v.and(0x0F).or(hl.lanewise(VectorOperators.LSHR, j).and(0x10)).convertShape(VectorOperators.I2F, F, 0))).sub(m);
                        a0 = w.fma(FloatVector.broadcast(F, x[x0 + c + j]), a0);
                        a1 = w.fma(FloatVector.broadcast(F, x[x1 + c + j]), a1);
                        a2 = w.fma(FloatVector.broadcast(F, x[x2 + c + j]), a2);
                        a3 = w.fma(FloatVector.broadcast(F, x[x3 + c + j]), a3);
                        w = sc.mul(((FloatVector) v.lanewise(VectorOperators.LSHR, 4).or(hh.lanewise(VectorOperators.LSHR, j).and(0x10)).convertShape(VectorOperators.I2F, F, 0))).sub(m);
                        a0 = w.fma(FloatVector.broadcast(F, x[x0 + c + j + 16]), a0);
                        a1 = w.fma(FloatVector.broadcast(F, x[x1 + c + j + 16]), a1);
                        a2 = w.fma(FloatVector.broadcast(F, x[x2 + c + j + 16]), a2);
                        a3 = w.fma(FloatVector.broadcast(F, x[x3 + c + j + 16]), a3);
                    }
                }
            }
            int oo = outOff + g * G + sl;
            a0.intoArray(out, oo);
            if (n > 1) a1.intoArray(out, oo + ld);
            if (n > 2) a2.intoArray(out, oo + 2 * ld);
            if (n > 3) a3.intoArray(out, oo + 3 * ld);
        }
    }

    /** Group g as floats, column-major (tile[16·c + lane]), equal to {@link Q5_KFormat#dequantize}. */
    static void dequantizeGroup(MemorySegment p, int nsb, int g, float[] tile) {
        for (int sl = 0; sl < G; sl += L) { // each slice of L rows on its own
            long o = (long) g * nsb * SB;
            for (int b = 0; b < nsb; b++, o += SB) {
                FloatVector d = FloatVector.fromMemorySegment(F, p, o + 4L * sl, ByteOrder.LITTLE_ENDIAN);
                FloatVector dmin = FloatVector.fromMemorySegment(F, p, o + 64 + 4L * sl, ByteOrder.LITTLE_ENDIAN);
                for (int sb = 0; sb < 8; sb++) {
                    FloatVector sc = d.mul(((FloatVector) ByteVector.fromMemorySegment(B, p, o + 128 + 16L * sb + sl, ByteOrder.LITTLE_ENDIAN).convertShape(VectorOperators.B2F, F, 0))), m = dmin.mul(((FloatVector) ByteVector.fromMemorySegment(B, p, o + 256 + 16L * sb + sl, ByteOrder.LITTLE_ENDIAN).convertShape(VectorOperators.B2F, F, 0)));
                    IntVector h = IntVector.fromMemorySegment(I, p, o + 384 + 320L * sb + 4L * sl, ByteOrder.LITTLE_ENDIAN);
                    IntVector hl = h.lanewise(VectorOperators.LSHL, 4), hh = h.lanewise(VectorOperators.LSHR, 12);
                    int c0 = b * QK + 32 * sb;
                    for (int j = 0; j < 16; j++) {
                        IntVector v = ((IntVector) ByteVector.fromMemorySegment(B, p, o + 448 + 320L * sb + 16L * j + sl, ByteOrder.LITTLE_ENDIAN).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0));
                        sc.mul(((FloatVector) v.and(0x0F).or(hl.lanewise(VectorOperators.LSHR, j).and(0x10)).convertShape(VectorOperators.I2F, F, 0))).sub(m).intoArray(tile, (c0 + j) * G + sl);
                        sc.mul(((FloatVector) v.lanewise(VectorOperators.LSHR, 4).or(hh.lanewise(VectorOperators.LSHR, j).and(0x10)).convertShape(VectorOperators.I2F, F, 0))).sub(m).intoArray(tile, (c0 + j + 16) * G + sl);
                    }
                }
            }
        }
    }
}

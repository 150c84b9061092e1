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
 * Q5_1 weights repacked at load in 16-row groups (a column of a group is one 16-lane vector, or two 8-lane slices with AVX2) (see {@link PackedMatrix}): {@link PackedQ4_1}'s
 * layout plus the fifth bits as {@link PackedQ5_0} keeps them. Each 32-column block of a group of 16
 * rows is {@link #BLOCK} bytes:
 * <pre>
 *   bytes    0–63    f32 scale d of rows 0..15
 *   bytes   64–127   f32 minimum m of rows 0..15
 *   bytes  128–191   qh of row r at 128 + 4r (the stored little-endian uint32 unchanged: bit j is the
 *                    fifth bit, value 16, of column j)
 *   bytes  192–447   qs[j] of row r at 192 + 16j + r, j &lt; 16 (the stored byte unchanged: low 4 bits
 *                    of column j in its low nibble, of column j+16 in its high nibble)
 * </pre>
 * weight = d·q + m; 7 bits (0.875 bytes) per weight against the file's 6. A block's dot is
 * d·Σq·x + m·Σx, with Σx per block once per vector ({@link PackedQ4_0#blockSums}).
 */
final class PackedQ5_1 {
    private PackedQ5_1() {}

    static final int G = 16, QK = 32, BLOCK = 192 + QK / 2 * G;
    private static final VectorSpecies<Float> F = Simd.F;
    private static final VectorSpecies<Integer> I = Simd.I;
    private static final VectorSpecies<Byte> B = Simd.B;
    /** Rows per vector: a group is one 16-row slice with AVX-512, two 8-row slices with AVX2 ({@link PackedMatrix}). */
    private static final int L = Simd.L, SLICES = G / L;

    static void pack(MemorySegment src, long off, long rowBytes, int g0, int g1, int nb, MemorySegment dst) {
        for (int g = g0; g < g1; g++) {
            for (int b = 0; b < nb; b++) {
                long o = ((long) g * nb + b) * BLOCK;
                for (int r = 0; r < G; r++) {
                    long s = off + (long) (g * G + r) * rowBytes + (long) b * Q5_1Format.BYTES;
                    dst.set(QuantMath.FLOAT_LE, o + 4L * r, QuantMath.f16(src, s));
                    dst.set(QuantMath.FLOAT_LE, o + 64 + 4L * r, QuantMath.f16(src, s + 2));
                    dst.set(QuantMath.INT_LE, o + 128 + 4L * r, src.get(QuantMath.INT_LE, s + 4));
                    for (int j = 0; j < QK / 2; j++) dst.set(ValueLayout.JAVA_BYTE, o + 192 + 16L * j + r, src.get(ValueLayout.JAVA_BYTE, s + 8 + j));
                }
            }
        }
    }

    /**
     * out[outOff + 16g + lane] = row (16g + lane) · x, for groups g in [g0, g1); sums from
     * {@link PackedQ4_0#blockSums}. One method with no vector crossing a call (see {@link PackedQ5_0#matvec}).
     */
    static void matvec(MemorySegment p, int nb, float[] x, int xOff, float[] sums, float[] out, int outOff, int g0, int g1) {
        for (int gs = g0 * SLICES; gs < g1 * SLICES; gs++) { // each slice of L rows on its own
            int g = gs / SLICES, sl = gs % SLICES * L;
            long o = (long) g * nb * BLOCK;
            FloatVector acc = FloatVector.zero(F);
            for (int b = 0; b < nb; b++, o += BLOCK) {
                int xi = xOff + b * QK;
                IntVector h = IntVector.fromMemorySegment(I, p, o + 128 + 4L * sl, ByteOrder.LITTLE_ENDIAN);
                IntVector hl = h.lanewise(VectorOperators.LSHL, 4), hh = h.lanewise(VectorOperators.LSHR, 12);
                FloatVector s0 = FloatVector.zero(F), s1 = s0;
                // one column pair per iteration: C2 unrolls the loop itself (as fast as the hand-unrolled pair of
                // pairs), and the body stays far from C2's inlining node budget, which the pair of pairs sat at
                // (hoisting one load out of it tipped the last helper over NodeCountInliningCutoff: boxed vectors)
                for (int j = 0; j < QK / 2; j++) {
                    IntVector v = ((IntVector) ByteVector.fromMemorySegment(B, p, o + 192 + 16L * j + sl, ByteOrder.LITTLE_ENDIAN).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0));
                    s0 = ((FloatVector) v.and(0x0F).or(hl.lanewise(VectorOperators.LSHR, j).and(0x10)).convertShape(VectorOperators.I2F, F, 0)).fma(FloatVector.broadcast(F, x[xi + j]), s0);
                    s1 = ((FloatVector) v.lanewise(VectorOperators.LSHR, 4).or(hh.lanewise(VectorOperators.LSHR, j).and(0x10)).convertShape(VectorOperators.I2F, F, 0)).fma(FloatVector.broadcast(F, x[xi + j + 16]), s1);
                }
                acc = s0.add(s1).fma(FloatVector.fromMemorySegment(F, p, o + 4L * sl, ByteOrder.LITTLE_ENDIAN), acc);
                acc = FloatVector.fromMemorySegment(F, p, o + 64 + 4L * sl, ByteOrder.LITTLE_ENDIAN).fma(FloatVector.broadcast(F, sums[b]), acc);
            }
            acc.intoArray(out, outOff + g * G + sl);
        }
    }

    /**
     * Batched kernel for up to 4 tokens, as {@link PackedQ4_0#mul4}: each column of 16 weights is decoded
     * once to floats (equal to {@link #dequantizeGroup}) and FMA'd with each token's broadcast activation
     * into one accumulator per token; tokens ≥ n (1 ≤ n ≤ 4) repeat the last one and are not stored.
     */
    static void mul4(MemorySegment p, int nb, float[] x, int x0, int n, float[] out, int outOff, int ld, int g0, int g1) {
        final int cols = nb * QK;
        int x1 = x0 + Math.min(1, n - 1) * cols;
        int x2 = x0 + Math.min(2, n - 1) * cols;
        int x3 = x0 + Math.min(3, n - 1) * cols;
        for (int gs = g0 * SLICES; gs < g1 * SLICES; gs++) { // each slice of L rows on its own
            int g = gs / SLICES, sl = gs % SLICES * L;
            long o = (long) g * nb * BLOCK;
            FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
            for (int b = 0; b < nb; b++, o += BLOCK) {
                FloatVector d = FloatVector.fromMemorySegment(F, p, o + 4L * sl, ByteOrder.LITTLE_ENDIAN);
                FloatVector m = FloatVector.fromMemorySegment(F, p, o + 64 + 4L * sl, ByteOrder.LITTLE_ENDIAN);
                IntVector h = IntVector.fromMemorySegment(I, p, o + 128 + 4L * sl, ByteOrder.LITTLE_ENDIAN);
                IntVector hl = h.lanewise(VectorOperators.LSHL, 4), hh = h.lanewise(VectorOperators.LSHR, 12);
                int c = b * QK;
                for (int j = 0; j < QK / 2; j++) {
                    IntVector v = ((IntVector) ByteVector.fromMemorySegment(B, p, o + 192 + 16L * j + sl, ByteOrder.LITTLE_ENDIAN).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0));
                    FloatVector w = ((FloatVector) v.and(0x0F).or(hl.lanewise(VectorOperators.LSHR, j).and(0x10)).convertShape(VectorOperators.I2F, F, 0)).mul(d).add(m);
                    a0 = w.fma(FloatVector.broadcast(F, x[x0 + c + j]), a0);
                    a1 = w.fma(FloatVector.broadcast(F, x[x1 + c + j]), a1);
                    a2 = w.fma(FloatVector.broadcast(F, x[x2 + c + j]), a2);
                    a3 = w.fma(FloatVector.broadcast(F, x[x3 + c + j]), a3);
                    w = ((FloatVector) v.lanewise(VectorOperators.LSHR, 4).or(hh.lanewise(VectorOperators.LSHR, j).and(0x10)).convertShape(VectorOperators.I2F, F, 0)).mul(d).add(m);
                    a0 = w.fma(FloatVector.broadcast(F, x[x0 + c + j + 16]), a0);
                    a1 = w.fma(FloatVector.broadcast(F, x[x1 + c + j + 16]), a1);
                    a2 = w.fma(FloatVector.broadcast(F, x[x2 + c + j + 16]), a2);
                    a3 = w.fma(FloatVector.broadcast(F, x[x3 + c + j + 16]), a3);
                }
            }
            int oo = outOff + g * G + sl;
            a0.intoArray(out, oo);
            if (n > 1) a1.intoArray(out, oo + 1 * ld);
            if (n > 2) a2.intoArray(out, oo + 2 * ld);
            if (n > 3) a3.intoArray(out, oo + 3 * ld);
        }
    }

    /** Group g as floats, column-major: tile[16·c + lane] = W[16g + lane][c] (equal to {@link Q5_1Format#dequantize}: q·d + m, no FMA). */
    static void dequantizeGroup(MemorySegment p, int nb, int g, float[] tile) {
        for (int sl = 0; sl < G; sl += L) { // each slice of L rows on its own
            long o = (long) g * nb * BLOCK;
            for (int b = 0; b < nb; b++, o += BLOCK) {
                FloatVector d = FloatVector.fromMemorySegment(F, p, o + 4L * sl, ByteOrder.LITTLE_ENDIAN);
                FloatVector m = FloatVector.fromMemorySegment(F, p, o + 64 + 4L * sl, ByteOrder.LITTLE_ENDIAN);
                IntVector h = IntVector.fromMemorySegment(I, p, o + 128 + 4L * sl, ByteOrder.LITTLE_ENDIAN);
                IntVector hl = h.lanewise(VectorOperators.LSHL, 4), hh = h.lanewise(VectorOperators.LSHR, 12);
                for (int j = 0; j < QK / 2; j++) {
                    IntVector v = ((IntVector) ByteVector.fromMemorySegment(B, p, o + 192 + 16L * j + sl, ByteOrder.LITTLE_ENDIAN).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0));
                    ((FloatVector) v.and(0x0F).or(hl.lanewise(VectorOperators.LSHR, j).and(0x10)).convertShape(VectorOperators.I2F, F, 0)).mul(d).add(m).intoArray(tile, (b * QK + j) * G + sl);
                    ((FloatVector) v.lanewise(VectorOperators.LSHR, 4).or(hh.lanewise(VectorOperators.LSHR, j).and(0x10)).convertShape(VectorOperators.I2F, F, 0)).mul(d).add(m).intoArray(tile, (b * QK + j + 16) * G + sl);
                }
            }
        }
    }
}

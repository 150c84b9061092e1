package dev.jllm.tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * IQ4_XS weights repacked at load in 16-row groups (a column of a group is one 16-lane vector, or two 8-lane slices with AVX2) (see {@link PackedMatrix}): 16 rows form a
 * group, and each 256-column super-block of a group is {@link #SB} bytes:
 * <pre>
 *   bytes    0–63     f32 d of rows 0..15
 *   bytes   64–191    ls − 32 (signed byte) of sub-block s (32 columns) of row r at 64 + 16s + r
 *   bytes  192–2239   at 192 + 256s + 16j + r (j &lt; 16): the index of column 32s+j in the low nibble,
 *                     of column 32s+j+16 in the high nibble ({@link PackedIQ4_NL}'s arrangement per sub-block)
 * </pre>
 * A sub-block's scale is d·(ls − 32), computed as one vector product for 16 rows (the same float
 * product {@link IQ4_XSFormat#dequantize} forms); 4.375 bits per weight instead of 4.25.
 */
final class PackedIQ4_XS {
    private PackedIQ4_XS() {}

    static final int G = 16, QK = 256, SB = 192 + 8 * 256;
    private static final VectorSpecies<Float> F = Simd.F;
    private static final VectorSpecies<Byte> B = Simd.B;
    /** Rows per vector: a group is one 16-row slice with AVX-512, two 8-row slices with AVX2 ({@link PackedMatrix}). */
    private static final int L = Simd.L, SLICES = G / L;

    static void pack(MemorySegment src, long off, long rowBytes, int g0, int g1, int nsb, MemorySegment dst) {
        for (int g = g0; g < g1; g++) {
            for (int b = 0; b < nsb; b++) {
                long o = ((long) g * nsb + b) * SB;
                for (int r = 0; r < G; r++) {
                    long s = off + (long) (g * G + r) * rowBytes + (long) b * IQ4_XSFormat.BYTES;
                    dst.set(QuantMath.FLOAT_LE, o + 4L * r, QuantMath.f16(src, s));
                    for (int sb = 0; sb < 8; sb++) {
                        dst.set(ValueLayout.JAVA_BYTE, o + 64 + 16L * sb + r, (byte) IQ4_XSFormat.scale(src, s, sb));
                        for (int j = 0; j < 16; j++) {
                            dst.set(ValueLayout.JAVA_BYTE, o + 192 + 256L * sb + 16L * j + r, src.get(ValueLayout.JAVA_BYTE, s + 8 + 16L * sb + j));
                        }
                    }
                }
            }
        }
    }

    /** out[outOff + 16g + lane] = row (16g + lane) · x for groups [g0, g1). One method, no vector crossing a call. */
    static void matvec(MemorySegment p, int nsb, float[] x, int xOff, float[] out, int outOff, int g0, int g1) {
        ByteVector table = IQ4Math.TABLE;
        for (int gs = g0 * SLICES; gs < g1 * SLICES; gs++) { // each slice of L rows on its own
            int g = gs / SLICES, sl = gs % SLICES * L;
            long o = (long) g * nsb * SB;
            FloatVector acc = FloatVector.zero(F);
            for (int b = 0; b < nsb; b++, o += SB) {
                FloatVector d = FloatVector.fromMemorySegment(F, p, o + 4L * sl, ByteOrder.LITTLE_ENDIAN);
                for (int sb = 0; sb < 8; sb++) {
                    long qo = o + 192 + 256L * sb;
                    int xi = xOff + b * QK + 32 * sb;
                    FloatVector s0 = FloatVector.zero(F), s1 = s0;
                    // one column pair per iteration: C2 unrolls the loop itself and the kernel ran 7–11 % faster than
                    // with a hand-unrolled pair of pairs in four chains (docs/PERFORMANCE.md, session 15)
                    for (int j = 0; j < 16; j++) {
                        ByteVector v = ByteVector.fromMemorySegment(B, p, qo + 16L * j + sl, ByteOrder.LITTLE_ENDIAN);
                        FloatVector v0 = (FloatVector) ((ByteVector) v.and((byte) 0x0F).reinterpretShape(IQ4Math.B16, 0)).selectFrom(table).convertShape(VectorOperators.B2F, F, 0);
                        FloatVector v1 = (FloatVector) ((ByteVector) Simd.shr(v, 4).reinterpretShape(IQ4Math.B16, 0)).selectFrom(table).convertShape(VectorOperators.B2F, F, 0);
                        s0 = v0.fma(FloatVector.broadcast(F, x[xi + j]), s0);
                        s1 = v1.fma(FloatVector.broadcast(F, x[xi + j + 16]), s1);
                    }
                    FloatVector sc = d.mul((FloatVector) ByteVector.fromMemorySegment(B, p, o + 64 + 16L * sb + sl, ByteOrder.LITTLE_ENDIAN)
                            .convertShape(VectorOperators.B2F, F, 0));
                    acc = s0.add(s1).fma(sc, acc);
                }
            }
            acc.intoArray(out, outOff + g * G + sl);
        }
    }

    /**
     * Batched kernel for up to 4 tokens, as {@link PackedIQ4_NL#mul4} with the sub-block scales
     * d·(ls − 32): out[outOff + t·ld + 16g + lane] = row (16g + lane) · x[x0 + t·cols ..] for t &lt; n.
     */
    static void mul4(MemorySegment p, int nsb, float[] x, int x0, int n, float[] out, int outOff, int ld, int g0, int g1) {
        final int cols = nsb * QK;
        int x1 = x0 + Math.min(1, n - 1) * cols;
        int x2 = x0 + Math.min(2, n - 1) * cols;
        int x3 = x0 + Math.min(3, n - 1) * cols;
        ByteVector table = IQ4Math.TABLE;
        for (int gs = g0 * SLICES; gs < g1 * SLICES; gs++) { // each slice of L rows on its own
            int g = gs / SLICES, sl = gs % SLICES * L;
            long o = (long) g * nsb * SB;
            FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
            for (int b = 0; b < nsb; b++, o += SB) {
                FloatVector d = FloatVector.fromMemorySegment(F, p, o + 4L * sl, ByteOrder.LITTLE_ENDIAN);
                for (int sb = 0; sb < 8; sb++) {
                    FloatVector sc = d.mul((FloatVector) ByteVector.fromMemorySegment(B, p, o + 64 + 16L * sb + sl, ByteOrder.LITTLE_ENDIAN)
                            .convertShape(VectorOperators.B2F, F, 0));
                    int c = b * QK + 32 * sb;
                    for (int j = 0; j < 16; j++) {
                        ByteVector v = ByteVector.fromMemorySegment(B, p, o + 192 + 256L * sb + 16L * j + sl, ByteOrder.LITTLE_ENDIAN);
                        FloatVector w = sc.mul((FloatVector) ((ByteVector) v.and((byte) 0x0F).reinterpretShape(IQ4Math.B16, 0)).selectFrom(table).convertShape(VectorOperators.B2F, F, 0));
                        a0 = w.fma(FloatVector.broadcast(F, x[x0 + c + j]), a0);
                        a1 = w.fma(FloatVector.broadcast(F, x[x1 + c + j]), a1);
                        a2 = w.fma(FloatVector.broadcast(F, x[x2 + c + j]), a2);
                        a3 = w.fma(FloatVector.broadcast(F, x[x3 + c + j]), a3);
                        w = sc.mul((FloatVector) ((ByteVector) Simd.shr(v, 4).reinterpretShape(IQ4Math.B16, 0)).selectFrom(table).convertShape(VectorOperators.B2F, F, 0));
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

    /** Group g as floats, column-major (tile[16·c + lane]), equal to {@link IQ4_XSFormat#dequantize}. */
    static void dequantizeGroup(MemorySegment p, int nsb, int g, float[] tile) {
        for (int sl = 0; sl < G; sl += L) { // each slice of L rows on its own
            ByteVector table = IQ4Math.TABLE;
            long o = (long) g * nsb * SB;
            for (int b = 0; b < nsb; b++, o += SB) {
                FloatVector d = FloatVector.fromMemorySegment(F, p, o + 4L * sl, ByteOrder.LITTLE_ENDIAN);
                for (int sb = 0; sb < 8; sb++) {
                    FloatVector sc = d.mul((FloatVector) ByteVector.fromMemorySegment(B, p, o + 64 + 16L * sb + sl, ByteOrder.LITTLE_ENDIAN)
                            .convertShape(VectorOperators.B2F, F, 0));
                    int c0 = b * QK + 32 * sb;
                    for (int j = 0; j < 16; j++) {
                        ByteVector v = ByteVector.fromMemorySegment(B, p, o + 192 + 256L * sb + 16L * j + sl, ByteOrder.LITTLE_ENDIAN);
                        sc.mul((FloatVector) ((ByteVector) v.and((byte) 0x0F).reinterpretShape(IQ4Math.B16, 0)).selectFrom(table).convertShape(VectorOperators.B2F, F, 0)).intoArray(tile, (c0 + j) * G + sl);
                        sc.mul((FloatVector) ((ByteVector) Simd.shr(v, 4).reinterpretShape(IQ4Math.B16, 0)).selectFrom(table).convertShape(VectorOperators.B2F, F, 0)).intoArray(tile, (c0 + j + 16) * G + sl);
                    }
                }
            }
        }
    }
}

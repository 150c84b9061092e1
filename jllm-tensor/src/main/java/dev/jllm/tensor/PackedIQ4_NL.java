package dev.jllm.tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * IQ4_NL weights repacked at load in 16-row groups (a column of a group is one 16-lane vector, or two 8-lane slices with AVX2) (see {@link PackedMatrix}); the layout of
 * {@link PackedQ4_0}: 16 rows form a group, and each 32-column block of a group is {@link #BLOCK} bytes:
 * <pre>
 *   bytes   0–31    scale d of rows 0..15 as the file's halves ({@link PackedHalves})
 *   bytes  32–287   qs[j] of row r at 32 + 16·j + r, j &lt; 16 (column j in the low nibble, j+16 in the high)
 * </pre>
 * One 16-byte load holds columns j and j+16 of all 16 rows; one byte shuffle per nibble
 * ({@code selectFrom} the 16-entry {@link IQ4Math#TABLE}) turns indices into levels, which widen to
 * 16 floats. One method per hot loop, no vector crossing a call (C2 boxes vectors passed to methods
 * it declines to inline).
 */
final class PackedIQ4_NL {
    private PackedIQ4_NL() {}

    static final int G = 16, QK = 32, BLOCK = PackedHalves.BYTES + QK / 2 * G;
    private static final VectorSpecies<Float> F = Simd.F;
    private static final VectorSpecies<Byte> B = Simd.B;
    /** Rows per vector: a group is one 16-row slice with AVX-512, two 8-row slices with AVX2 ({@link PackedMatrix}). */
    private static final int L = Simd.L, SLICES = G / L;

    static void pack(MemorySegment src, long off, long rowBytes, int g0, int g1, int nb, MemorySegment dst) {
        for (int g = g0; g < g1; g++) {
            for (int b = 0; b < nb; b++) {
                long o = ((long) g * nb + b) * BLOCK;
                for (int r = 0; r < G; r++) {
                    long s = off + (long) (g * G + r) * rowBytes + (long) b * IQ4_NLFormat.BYTES;
                    PackedHalves.put(dst, o, r, src.get(QuantMath.SHORT_LE, s));
                    for (int j = 0; j < QK / 2; j++) dst.set(ValueLayout.JAVA_BYTE, o + 32 + 16L * j + r, src.get(ValueLayout.JAVA_BYTE, s + 2 + j));
                }
            }
        }
    }

    /** out[outOff + 16g + lane] = row (16g + lane) · x, for groups g in [g0, g1). */
    static void matvec(MemorySegment p, int nb, float[] x, int xOff, float[] out, int outOff, int g0, int g1) {
        ByteVector table = IQ4Math.TABLE;
        for (int gs = g0 * SLICES; gs < g1 * SLICES; gs++) { // each slice of L rows on its own
            int g = gs / SLICES, sl = gs % SLICES * L;
            long o = (long) g * nb * BLOCK;
            FloatVector acc = FloatVector.zero(F);
            for (int b = 0; b < nb; b++, o += BLOCK) {
                int xi = xOff + b * QK;
                FloatVector s0 = FloatVector.zero(F), s1 = s0;
                // one column pair per iteration: C2 unrolls the loop itself and the kernel ran 7–11 % faster than
                // with a hand-unrolled pair of pairs in four chains (docs/PERFORMANCE.md, session 15)
                for (int j = 0; j < QK / 2; j++) {
                    ByteVector v = ByteVector.fromMemorySegment(B, p, o + 32 + 16L * j + sl, ByteOrder.LITTLE_ENDIAN);
                    FloatVector v0 = (FloatVector) ((ByteVector) v.and((byte) 0x0F).reinterpretShape(IQ4Math.B16, 0)).selectFrom(table).convertShape(VectorOperators.B2F, F, 0);
                    FloatVector v1 = (FloatVector) ((ByteVector) Simd.shr(v, 4).reinterpretShape(IQ4Math.B16, 0)).selectFrom(table).convertShape(VectorOperators.B2F, F, 0);
                    s0 = v0.fma(FloatVector.broadcast(F, x[xi + j]), s0);
                    s1 = v1.fma(FloatVector.broadcast(F, x[xi + j + 16]), s1);
                }
                acc = s0.add(s1).fma(PackedHalves.load(p, o + 2L * sl), acc);
            }
            acc.intoArray(out, outOff + g * G + sl);
        }
    }

    /**
     * Batched kernel for up to 4 tokens, as {@link PackedQ4_0#mul4}: out[outOff + t·ld + 16g + lane] =
     * row (16g + lane) · x[x0 + t·cols ..] for t &lt; n (1 ≤ n ≤ 4), groups g in [g0, g1). Each column of
     * 16 weights is decoded once (equal to {@link #dequantizeGroup}) and FMA'd with each token's
     * broadcast activation; tokens ≥ n repeat the last one and are not stored.
     */
    static void mul4(MemorySegment p, int nb, float[] x, int x0, int n, float[] out, int outOff, int ld, int g0, int g1) {
        final int cols = nb * QK;
        int x1 = x0 + Math.min(1, n - 1) * cols;
        int x2 = x0 + Math.min(2, n - 1) * cols;
        int x3 = x0 + Math.min(3, n - 1) * cols;
        ByteVector table = IQ4Math.TABLE;
        for (int gs = g0 * SLICES; gs < g1 * SLICES; gs++) { // each slice of L rows on its own
            int g = gs / SLICES, sl = gs % SLICES * L;
            long o = (long) g * nb * BLOCK;
            FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
            for (int b = 0; b < nb; b++, o += BLOCK) {
                FloatVector d = PackedHalves.load(p, o + 2L * sl);
                int c = b * QK;
                for (int j = 0; j < QK / 2; j++) {
                    ByteVector v = ByteVector.fromMemorySegment(B, p, o + 32 + 16L * j + sl, ByteOrder.LITTLE_ENDIAN);
                    FloatVector w = d.mul((FloatVector) ((ByteVector) v.and((byte) 0x0F).reinterpretShape(IQ4Math.B16, 0)).selectFrom(table).convertShape(VectorOperators.B2F, F, 0));
                    a0 = w.fma(FloatVector.broadcast(F, x[x0 + c + j]), a0);
                    a1 = w.fma(FloatVector.broadcast(F, x[x1 + c + j]), a1);
                    a2 = w.fma(FloatVector.broadcast(F, x[x2 + c + j]), a2);
                    a3 = w.fma(FloatVector.broadcast(F, x[x3 + c + j]), a3);
                    w = d.mul((FloatVector) ((ByteVector) Simd.shr(v, 4).reinterpretShape(IQ4Math.B16, 0)).selectFrom(table).convertShape(VectorOperators.B2F, F, 0));
                    a0 = w.fma(FloatVector.broadcast(F, x[x0 + c + j + 16]), a0);
                    a1 = w.fma(FloatVector.broadcast(F, x[x1 + c + j + 16]), a1);
                    a2 = w.fma(FloatVector.broadcast(F, x[x2 + c + j + 16]), a2);
                    a3 = w.fma(FloatVector.broadcast(F, x[x3 + c + j + 16]), a3);
                }
            }
            int oo = outOff + g * G + sl;
            a0.intoArray(out, oo);
            if (n > 1) a1.intoArray(out, oo + ld);
            if (n > 2) a2.intoArray(out, oo + 2 * ld);
            if (n > 3) a3.intoArray(out, oo + 3 * ld);
        }
    }

    /** Group g as floats, column-major: tile[16·c + lane] = W[16g + lane][c] (equal to {@link IQ4_NLFormat#dequantize}). */
    static void dequantizeGroup(MemorySegment p, int nb, int g, float[] tile) {
        for (int sl = 0; sl < G; sl += L) { // each slice of L rows on its own
            ByteVector table = IQ4Math.TABLE;
            long o = (long) g * nb * BLOCK;
            for (int b = 0; b < nb; b++, o += BLOCK) {
                FloatVector d = PackedHalves.load(p, o + 2L * sl);
                for (int j = 0; j < QK / 2; j++) {
                    ByteVector v = ByteVector.fromMemorySegment(B, p, o + 32 + 16L * j + sl, ByteOrder.LITTLE_ENDIAN);
                    d.mul((FloatVector) ((ByteVector) v.and((byte) 0x0F).reinterpretShape(IQ4Math.B16, 0)).selectFrom(table).convertShape(VectorOperators.B2F, F, 0)).intoArray(tile, (b * QK + j) * G + sl);
                    d.mul((FloatVector) ((ByteVector) Simd.shr(v, 4).reinterpretShape(IQ4Math.B16, 0)).selectFrom(table).convertShape(VectorOperators.B2F, F, 0)).intoArray(tile, (b * QK + j + 16) * G + sl);
                }
            }
        }
    }
}

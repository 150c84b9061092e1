package dev.jllm.tensor;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * F16 weights repacked at load (see {@link PackedMatrix}): 16 rows form a group, and column c of a group is
 * the 16 rows' halves unchanged, row r at {@code 32·(g·cols + c) + 2r} — the file's size. One load and the
 * exact widening of {@link F16Format#toFloats} (infinities and NaN patched behind a test a finite model never
 * passes) give a column of 16 rows as floats: the decode product needs
 * no horizontal sums, and the prefill tile is that column stored ({@link #dequantizeGroup}) where the row
 * layout took a scalar conversion per weight and a transpose (F16 prefill ran at ~0.75× of Q8_0's).
 * With 8-lane vectors (AVX2) each group is two 8-row slices, each a pass over the group's columns. The
 * widening is written out in each kernel, Vector API calls only (docs/PERFORMANCE.md, session 16).
 */
final class PackedF16 {
    private PackedF16() {}

    static final int G = 16, COLUMN = 2 * G;
    private static final VectorSpecies<Float> F = Simd.F;
    private static final VectorSpecies<Integer> I = Simd.I;
    private static final VectorSpecies<Short> S = Simd.H;
    /** Rows per vector: a group is one 16-row slice with AVX-512, two 8-row slices with AVX2. */
    private static final int L = Simd.L, SLICES = G / L;
    private static final FloatVector TWO_112 = FloatVector.broadcast(F, 0x1p112f);

    /** Rows [16·g0, 16·g1) of 2-byte values (F16 or BF16) into the column layout above. */
    static void pack(MemorySegment src, long off, long rowBytes, int g0, int g1, int cols, MemorySegment dst) {
        for (int g = g0; g < g1; g++) {
            for (int r = 0; r < G; r++) {
                long s = off + (long) (g * G + r) * rowBytes;
                long d = (long) g * cols * COLUMN + 2L * r;
                for (int c = 0; c < cols; c++) dst.set(QuantMath.SHORT_LE, d + (long) COLUMN * c, src.get(QuantMath.SHORT_LE, s + 2L * c));
            }
        }
    }

    /**
     * out[outOff + 16g + lane] = row (16g + lane) · x for groups [g0, g1): two columns per step into two
     * accumulators.
     */
    static void matvec(MemorySegment p, int cols, float[] x, int xOff, float[] out, int outOff, int g0, int g1) {
        for (int gs = g0 * SLICES; gs < g1 * SLICES; gs++) { // each slice of L rows on its own
            int g = gs / SLICES, sl = gs % SLICES * L;
            long o = (long) g * cols * COLUMN + 2L * sl;
            FloatVector acc0 = FloatVector.zero(F), acc1 = acc0;
            int c = 0;
            for (; c + 2 <= cols; c += 2, o += 2 * COLUMN) {
                IntVector h = (IntVector) ShortVector.fromMemorySegment(S, p, o, ByteOrder.LITTLE_ENDIAN).convertShape(VectorOperators.S2I, I, 0);
                IntVector bits = h.lanewise(VectorOperators.LSHL, 13).and(0x8FFFE000), w = bits.reinterpretAsFloats().mul(TWO_112).reinterpretAsInts();
                VectorMask<Integer> infNan = h.and(0x7c00).compare(VectorOperators.EQ, 0x7c00);
                if (infNan.anyTrue()) w = w.blend(bits.or(0x7f800000), infNan); // never in a finite model
                acc0 = w.reinterpretAsFloats().fma(FloatVector.broadcast(F, x[xOff + c]), acc0);
                h = (IntVector) ShortVector.fromMemorySegment(S, p, o + COLUMN, ByteOrder.LITTLE_ENDIAN).convertShape(VectorOperators.S2I, I, 0);
                bits = h.lanewise(VectorOperators.LSHL, 13).and(0x8FFFE000);
                w = bits.reinterpretAsFloats().mul(TWO_112).reinterpretAsInts();
                infNan = h.and(0x7c00).compare(VectorOperators.EQ, 0x7c00);
                if (infNan.anyTrue()) w = w.blend(bits.or(0x7f800000), infNan);
                acc1 = w.reinterpretAsFloats().fma(FloatVector.broadcast(F, x[xOff + c + 1]), acc1);
            }
            if (c < cols) {
                IntVector h = (IntVector) ShortVector.fromMemorySegment(S, p, o, ByteOrder.LITTLE_ENDIAN).convertShape(VectorOperators.S2I, I, 0);
                IntVector bits = h.lanewise(VectorOperators.LSHL, 13).and(0x8FFFE000), w = bits.reinterpretAsFloats().mul(TWO_112).reinterpretAsInts();
                VectorMask<Integer> infNan = h.and(0x7c00).compare(VectorOperators.EQ, 0x7c00);
                if (infNan.anyTrue()) w = w.blend(bits.or(0x7f800000), infNan); // never in a finite model
                acc0 = w.reinterpretAsFloats().fma(FloatVector.broadcast(F, x[xOff + c]), acc0);
            }
            acc0.add(acc1).intoArray(out, outOff + g * G + sl);
        }
    }

    /**
     * Batched kernel for up to 4 tokens, as {@link PackedQ8_0#mul4}: out[outOff + t·ld + 16g + lane] = row (16g + lane)
     * · x[x0 + t·cols ..] for t &lt; n (1 ≤ n ≤ 4), groups [g0, g1); each column widened once and FMA'd with each
     * token's broadcast activation; tokens ≥ n repeat the last one and are not stored.
     */
    static void mul4(MemorySegment p, int cols, float[] x, int x0, int n, float[] out, int outOff, int ld, int g0, int g1) {
        int x1 = x0 + Math.min(1, n - 1) * cols;
        int x2 = x0 + Math.min(2, n - 1) * cols;
        int x3 = x0 + Math.min(3, n - 1) * cols;
        for (int gs = g0 * SLICES; gs < g1 * SLICES; gs++) { // each slice of L rows on its own
            int g = gs / SLICES, sl = gs % SLICES * L;
            long o = (long) g * cols * COLUMN + 2L * sl;
            FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
            for (int c = 0; c < cols; c++, o += COLUMN) {
                IntVector h = (IntVector) ShortVector.fromMemorySegment(S, p, o, ByteOrder.LITTLE_ENDIAN).convertShape(VectorOperators.S2I, I, 0);
                IntVector bits = h.lanewise(VectorOperators.LSHL, 13).and(0x8FFFE000), w = bits.reinterpretAsFloats().mul(TWO_112).reinterpretAsInts();
                VectorMask<Integer> infNan = h.and(0x7c00).compare(VectorOperators.EQ, 0x7c00);
                if (infNan.anyTrue()) w = w.blend(bits.or(0x7f800000), infNan); // never in a finite model
                FloatVector wf = w.reinterpretAsFloats();
                a0 = wf.fma(FloatVector.broadcast(F, x[x0 + c]), a0);
                a1 = wf.fma(FloatVector.broadcast(F, x[x1 + c]), a1);
                a2 = wf.fma(FloatVector.broadcast(F, x[x2 + c]), a2);
                a3 = wf.fma(FloatVector.broadcast(F, x[x3 + c]), a3);
            }
            int oo = outOff + g * G + sl;
            a0.intoArray(out, oo);
            if (n > 1) a1.intoArray(out, oo + ld);
            if (n > 2) a2.intoArray(out, oo + 2 * ld);
            if (n > 3) a3.intoArray(out, oo + 3 * ld);
        }
    }

    /** Group g as floats, column-major: tile[16·c + lane] = W[16g + lane][c] (equal to {@link F16Format#dequantize} for non-NaN halves). */
    static void dequantizeGroup(MemorySegment p, int cols, int g, float[] tile) {
        for (int sl = 0; sl < G; sl += L) { // each slice of L rows on its own
            long o = (long) g * cols * COLUMN + 2L * sl;
            for (int c = 0; c < cols; c++, o += COLUMN) {
                IntVector h = (IntVector) ShortVector.fromMemorySegment(S, p, o, ByteOrder.LITTLE_ENDIAN).convertShape(VectorOperators.S2I, I, 0);
                IntVector bits = h.lanewise(VectorOperators.LSHL, 13).and(0x8FFFE000), w = bits.reinterpretAsFloats().mul(TWO_112).reinterpretAsInts();
                VectorMask<Integer> infNan = h.and(0x7c00).compare(VectorOperators.EQ, 0x7c00);
                if (infNan.anyTrue()) w = w.blend(bits.or(0x7f800000), infNan); // never in a finite model
                w.reinterpretAsFloats().intoArray(tile, c * G + sl);
            }
        }
    }
}

package dev.jllm.tensor;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * BF16 weights repacked at load, as {@link PackedF16} lays out F16 (and by its {@code pack}: both copy 2-byte
 * values): column c of a group of 16 rows is the 16 rows' bfloat16 values unchanged, row r at
 * {@code 32·(g·cols + c) + 2r} — the file's size. A bfloat16 is the top half of a float, so the widening is exact:
 * sign-extended to ints and shifted left by 16. The prefill tile is a column stored ({@link #dequantizeGroup}) where
 * the row layout took a scalar conversion per weight and a transpose. Written out in each kernel, Vector API calls
 * only (docs/PERFORMANCE.md, session 16).
 */
final class PackedBF16 {
    private PackedBF16() {}

    static final int G = 16, COLUMN = 2 * G;
    private static final VectorSpecies<Float> F = Simd.F;
    private static final VectorSpecies<Integer> I = Simd.I;
    private static final VectorSpecies<Short> S = Simd.H;
    /** Rows per vector: a group is one 16-row slice with AVX-512, two 8-row slices with AVX2. */
    private static final int L = Simd.L, SLICES = G / L;

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
                acc0 = h.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().fma(FloatVector.broadcast(F, x[xOff + c]), acc0);
                h = (IntVector) ShortVector.fromMemorySegment(S, p, o + COLUMN, ByteOrder.LITTLE_ENDIAN).convertShape(VectorOperators.S2I, I, 0);
                acc1 = h.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().fma(FloatVector.broadcast(F, x[xOff + c + 1]), acc1);
            }
            if (c < cols) {
                IntVector h = (IntVector) ShortVector.fromMemorySegment(S, p, o, ByteOrder.LITTLE_ENDIAN).convertShape(VectorOperators.S2I, I, 0);
                acc0 = h.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().fma(FloatVector.broadcast(F, x[xOff + c]), acc0);
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
                FloatVector w = h.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
                a0 = w.fma(FloatVector.broadcast(F, x[x0 + c]), a0);
                a1 = w.fma(FloatVector.broadcast(F, x[x1 + c]), a1);
                a2 = w.fma(FloatVector.broadcast(F, x[x2 + c]), a2);
                a3 = w.fma(FloatVector.broadcast(F, x[x3 + c]), a3);
            }
            int oo = outOff + g * G + sl;
            a0.intoArray(out, oo);
            if (n > 1) a1.intoArray(out, oo + ld);
            if (n > 2) a2.intoArray(out, oo + 2 * ld);
            if (n > 3) a3.intoArray(out, oo + 3 * ld);
        }
    }

    /** Group g as floats, column-major: tile[16·c + lane] = W[16g + lane][c] (equal to {@link BF16Format#dequantize}). */
    static void dequantizeGroup(MemorySegment p, int cols, int g, float[] tile) {
        for (int sl = 0; sl < G; sl += L) { // each slice of L rows on its own
            long o = (long) g * cols * COLUMN + 2L * sl;
            for (int c = 0; c < cols; c++, o += COLUMN) {
                IntVector h = (IntVector) ShortVector.fromMemorySegment(S, p, o, ByteOrder.LITTLE_ENDIAN).convertShape(VectorOperators.S2I, I, 0);
                h.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().intoArray(tile, c * G + sl);
            }
        }
    }
}

package dev.jllm.tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Q8_0 weights repacked at load in 16-row groups (a column of a group is one 16-lane vector, or two 8-lane slices with AVX2): 16 rows form a group, and each 32-column
 * block of a group is {@link #BLOCK} bytes:
 * <pre>
 *   bytes   0–31    scale d of rows 0..15 as the file's halves ({@link PackedHalves})
 *   bytes  32–543   q[j][r] at 32 + 16·j + r, j &lt; 32: one 16-byte load gives column j of all 16 rows
 * </pre>
 * Group g, block b starts at byte (g·nb + b)·BLOCK. A 16-row dot is then 32 widening loads and FMAs
 * against broadcast activations per block, with no horizontal reduction.
 */
final class PackedQ8_0 {
    private PackedQ8_0() {}

    // The decode is written out in each kernel, Vector API calls only: a helper of ours stays a call once a compile
    // passes C2's 18,000-node inlining cutoff and boxes the vectors crossing it (docs/PERFORMANCE.md, session 16).
    static final int G = 16, QK = 32, BLOCK = PackedHalves.BYTES + QK * G;
    private static final VectorSpecies<Float> F = Simd.F;
    private static final VectorSpecies<Byte> B = Simd.B;
    /** Rows per vector: a group is one 16-row slice with AVX-512, two 8-row slices with AVX2 ({@link PackedMatrix}). */
    private static final int L = Simd.L, SLICES = G / L;

    static void pack(MemorySegment src, long off, long rowBytes, int g0, int g1, int nb, MemorySegment dst) {
        for (int g = g0; g < g1; g++) {
            for (int b = 0; b < nb; b++) {
                long o = ((long) g * nb + b) * BLOCK;
                for (int r = 0; r < G; r++) {
                    long s = off + (long) (g * G + r) * rowBytes + (long) b * Q8_0Format.BYTES;
                    PackedHalves.put(dst, o, r, src.get(QuantMath.SHORT_LE, s));
                    for (int j = 0; j < QK; j++) dst.set(ValueLayout.JAVA_BYTE, o + 32 + 16L * j + r, src.get(ValueLayout.JAVA_BYTE, s + 2 + j));
                }
            }
        }
    }

    /**
     * out[outOff + 16g + lane] = row (16g + lane) · x, for groups g in [g0, g1). One method with no
     * vector crossing a call: C2 boxes vectors passed to a method it declines to inline.
     */
    static void matvec(MemorySegment p, int nb, float[] x, int xOff, float[] out, int outOff, int g0, int g1) {
        for (int gs = g0 * SLICES; gs < g1 * SLICES; gs++) { // each slice of L rows on its own
            int g = gs / SLICES, sl = gs % SLICES * L;
            long o = (long) g * nb * BLOCK;
            FloatVector acc = FloatVector.zero(F);
            for (int b = 0; b < nb; b++, o += BLOCK) {
                int xi = xOff + b * QK;
                FloatVector s0 = FloatVector.zero(F), s1 = s0;
                // columns j and j + 16 per iteration, C2 unrolls the loop: 18.2 against 16.5 G weights/s in L2
                // for four columns in four chains per hand-unrolled step (docs/PERFORMANCE.md, session 15)
                for (int j = 0; j < QK / 2; j++) {
                    s0 = ((FloatVector) ByteVector.fromMemorySegment(B, p, o + 32 + 16L * j + sl, ByteOrder.LITTLE_ENDIAN).convertShape(VectorOperators.B2F, F, 0)).fma(FloatVector.broadcast(F, x[xi + j]), s0);
                    s1 = ((FloatVector) ByteVector.fromMemorySegment(B, p, o + 288 + 16L * j + sl, ByteOrder.LITTLE_ENDIAN).convertShape(VectorOperators.B2F, F, 0)).fma(FloatVector.broadcast(F, x[xi + j + 16]), s1);
                }
                acc = s0.add(s1).fma(PackedHalves.load(p, o + 2L * sl), acc);
            }
            acc.intoArray(out, outOff + g * G + sl);
        }
    }

    /**
     * Batched kernel for up to 4 tokens: out[outOff + t·ld + 16g + lane] = row (16g + lane) · x[x0 + t·cols ..]
     * for t &lt; n (1 ≤ n ≤ 4), groups g in [g0, g1). Each column of 16 quants is decoded to floats once
     * (equal to {@link #dequantizeGroup}) and FMA'd with the broadcast activation of each token into one
     * accumulator per token; tokens ≥ n repeat the last one and are not stored. One method with no vector
     * crossing a call (see {@link #matvec}). Measured on AVX-512 (2 cores, Q8_0): this 4-token form run
     * twice beat an 8-accumulator one for 8 tokens, and beat a form with 2 accumulators per token or the
     * block scale applied per block.
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
                FloatVector d = PackedHalves.load(p, o + 2L * sl);
                int c = b * QK;
                for (int j = 0; j < QK; j++) {
                    FloatVector w = ((FloatVector) ByteVector.fromMemorySegment(B, p, o + 32 + 16L * j + sl, ByteOrder.LITTLE_ENDIAN).convertShape(VectorOperators.B2F, F, 0)).mul(d);
                    a0 = w.fma(FloatVector.broadcast(F, x[x0 + c + j]), a0);
                    a1 = w.fma(FloatVector.broadcast(F, x[x1 + c + j]), a1);
                    a2 = w.fma(FloatVector.broadcast(F, x[x2 + c + j]), a2);
                    a3 = w.fma(FloatVector.broadcast(F, x[x3 + c + j]), a3);
                }
            }
            int oo = outOff + g * G + sl;
            a0.intoArray(out, oo);
            if (n > 1) a1.intoArray(out, oo + 1 * ld);
            if (n > 2) a2.intoArray(out, oo + 2 * ld);
            if (n > 3) a3.intoArray(out, oo + 3 * ld);
        }
    }

    /** Group g as floats, column-major: tile[16·c + lane] = W[16g + lane][c] (equal to {@link Q8_0Format#dequantize}). */
    static void dequantizeGroup(MemorySegment p, int nb, int g, float[] tile) {
        for (int sl = 0; sl < G; sl += L) { // each slice of L rows on its own
            long o = (long) g * nb * BLOCK;
            for (int b = 0; b < nb; b++, o += BLOCK) {
                FloatVector d = PackedHalves.load(p, o + 2L * sl);
                for (int j = 0; j < QK; j++) ((FloatVector) ByteVector.fromMemorySegment(B, p, o + 32 + 16L * j + sl, ByteOrder.LITTLE_ENDIAN).convertShape(VectorOperators.B2F, F, 0)).mul(d).intoArray(tile, (b * QK + j) * G + sl);
            }
        }
    }
}

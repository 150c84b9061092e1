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
 * Q4_0 weights repacked at load in 16-row groups (a column of a group is one 16-lane vector, or two 8-lane slices with AVX2): 16 rows form a group, and each 32-column
 * block of a group is {@link #BLOCK} bytes:
 * <pre>
 *   bytes   0–31    scale d of rows 0..15 as the file's halves ({@link PackedHalves})
 *   bytes  32–287   qs[j] of row r at 32 + 16·j + r, j &lt; 16 (the stored byte unchanged: column j
 *                   in its low nibble, column j+16 in its high nibble)
 * </pre>
 * One 16-byte load, zero-extended to 16 ints, gives columns j and j+16 of all 16 rows. The −8 offset
 * is folded out of the loop: Σ(q−8)·x = Σq·x − 8·Σx, with Σx per block computed once per vector
 * ({@link #blockSums}). The decode is written out in each kernel, Vector API calls only: small helpers of ours
 * (there were {@code nibbles}, {@code lo}, {@code hi}) stay calls once a compile passes C2's 18,000-node inlining
 * cutoff — as when the prefill lambda inlines {@link #dequantizeGroup} without the launcher's dontinline flags — and
 * box the vectors crossing them (docs/PERFORMANCE.md, session 16).
 */
final class PackedQ4_0 {
    private PackedQ4_0() {}

    static final int G = 16, QK = 32, BLOCK = PackedHalves.BYTES + QK / 2 * G;
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
                    long s = off + (long) (g * G + r) * rowBytes + (long) b * Q4_0Format.BYTES;
                    PackedHalves.put(dst, o, r, src.get(QuantMath.SHORT_LE, s));
                    for (int j = 0; j < QK / 2; j++) dst.set(ValueLayout.JAVA_BYTE, o + 32 + 16L * j + r, src.get(ValueLayout.JAVA_BYTE, s + 2 + j));
                }
            }
        }
    }

    /** sums[b] = Σ x[xOff + 32b .. 32b+32), b &lt; nb. */
    static void blockSums(float[] x, int xOff, int nb, float[] sums) {
        for (int b = 0; b < nb; b++) {
            FloatVector v = FloatVector.fromArray(F, x, xOff + b * QK);
            for (int i = L; i < QK; i += L) v = v.add(FloatVector.fromArray(F, x, xOff + b * QK + i));
            sums[b] = VectorMath.sum(v);
        }
    }

    /**
     * out[outOff + 16g + lane] = row (16g + lane) · x, for groups g in [g0, g1); sums from
     * {@link #blockSums}. One method with no vector crossing a call: C2 boxes vectors passed to a
     * method it declines to inline.
     */
    static void matvec(MemorySegment p, int nb, float[] x, int xOff, float[] sums, float[] out, int outOff, int g0, int g1) {
        for (int gs = g0 * SLICES; gs < g1 * SLICES; gs++) { // each slice of L rows on its own
            int g = gs / SLICES, sl = gs % SLICES * L;
            long o = (long) g * nb * BLOCK;
            FloatVector acc = FloatVector.zero(F);
            for (int b = 0; b < nb; b++, o += BLOCK) {
                int xi = xOff + b * QK;
                FloatVector s0 = FloatVector.broadcast(F, -8f * sums[b]), s1 = FloatVector.zero(F);
                // one column pair per iteration: C2 unrolls the loop itself and the kernel ran 7–11 % faster than
                // with a hand-unrolled pair of pairs in four chains (docs/PERFORMANCE.md, session 15)
                for (int j = 0; j < QK / 2; j++) {
                    IntVector v = (IntVector) ByteVector.fromMemorySegment(B, p, o + 32 + 16L * j + sl, ByteOrder.LITTLE_ENDIAN).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                    s0 = ((FloatVector) v.and(0x0F).convertShape(VectorOperators.I2F, F, 0)).fma(FloatVector.broadcast(F, x[xi + j]), s0);
                    s1 = ((FloatVector) v.lanewise(VectorOperators.LSHR, 4).convertShape(VectorOperators.I2F, F, 0)).fma(FloatVector.broadcast(F, x[xi + j + 16]), s1);
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
        FloatVector eight = FloatVector.broadcast(F, 8f);
        for (int gs = g0 * SLICES; gs < g1 * SLICES; gs++) { // each slice of L rows on its own
            int g = gs / SLICES, sl = gs % SLICES * L;
            long o = (long) g * nb * BLOCK;
            FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
            for (int b = 0; b < nb; b++, o += BLOCK) {
                FloatVector d = PackedHalves.load(p, o + 2L * sl);
                int c = b * QK;
                for (int j = 0; j < QK / 2; j++) {
                    IntVector v = (IntVector) ByteVector.fromMemorySegment(B, p, o + 32 + 16L * j + sl, ByteOrder.LITTLE_ENDIAN).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                    FloatVector w = ((FloatVector) v.and(0x0F).convertShape(VectorOperators.I2F, F, 0)).sub(eight).mul(d);
                    a0 = w.fma(FloatVector.broadcast(F, x[x0 + c + j]), a0);
                    a1 = w.fma(FloatVector.broadcast(F, x[x1 + c + j]), a1);
                    a2 = w.fma(FloatVector.broadcast(F, x[x2 + c + j]), a2);
                    a3 = w.fma(FloatVector.broadcast(F, x[x3 + c + j]), a3);
                    w = ((FloatVector) v.lanewise(VectorOperators.LSHR, 4).convertShape(VectorOperators.I2F, F, 0)).sub(eight).mul(d);
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

    /** Group g as floats, column-major: tile[16·c + lane] = W[16g + lane][c] (equal to {@link Q4_0Format#dequantize}). */
    static void dequantizeGroup(MemorySegment p, int nb, int g, float[] tile) {
        for (int sl = 0; sl < G; sl += L) { // each slice of L rows on its own
            long o = (long) g * nb * BLOCK;
            FloatVector eight = FloatVector.broadcast(F, 8f);
            for (int b = 0; b < nb; b++, o += BLOCK) {
                FloatVector d = PackedHalves.load(p, o + 2L * sl);
                for (int j = 0; j < QK / 2; j++) {
                    IntVector v = (IntVector) ByteVector.fromMemorySegment(B, p, o + 32 + 16L * j + sl, ByteOrder.LITTLE_ENDIAN).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                    ((FloatVector) v.and(0x0F).convertShape(VectorOperators.I2F, F, 0)).sub(eight).mul(d).intoArray(tile, (b * QK + j) * G + sl);
                    ((FloatVector) v.lanewise(VectorOperators.LSHR, 4).convertShape(VectorOperators.I2F, F, 0)).sub(eight).mul(d).intoArray(tile, (b * QK + j + 16) * G + sl);
                }
            }
        }
    }
}

package dev.jllm.tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Q6_K weights repacked at load in 16-row groups (a column of a group is one 16-lane vector, or two 8-lane slices with AVX2) (see {@link PackedMatrix}): 16 rows form a
 * group, and each 256-column super-block of a group is {@link #SB} bytes:
 * <pre>
 *   bytes    0–63     f32 d of rows 0..15
 *   bytes   64–319    sc[t][r] at 64 + 16t + r: int8 scale of sub-block t (16 columns) of row r
 *   bytes  320–4415   at 320 + 16c + r: q − 32 of column c as a signed byte (−32..31)
 * </pre>
 * weight = d·sc·(q − 32). The quants take a whole byte (8.6 bits per weight instead of 6.56) so the
 * kernel is Q8_0's: one widening load per column feeds 16 rows, and it stays memory-bound.
 */
final class PackedQ6_K {
    private PackedQ6_K() {}

    // The decode is written out in each kernel, Vector API calls only: a helper of ours stays a call once a compile
    // passes C2's 18,000-node inlining cutoff and boxes the vectors crossing it (docs/PERFORMANCE.md, session 16).
    static final int G = 16, QK = 256, SB = 320 + QK * G;
    private static final VectorSpecies<Float> F = Simd.F;
    private static final VectorSpecies<Byte> B = Simd.B;
    /** Rows per vector: a group is one 16-row slice with AVX-512, two 8-row slices with AVX2 ({@link PackedMatrix}). */
    private static final int L = Simd.L, SLICES = G / L;

    private static int u8(MemorySegment s, long off) {
        return s.get(ValueLayout.JAVA_BYTE, off) & 0xFF;
    }

    static void pack(MemorySegment src, long off, long rowBytes, int g0, int g1, int nsb, MemorySegment dst) {
        int[] q = new int[QK];
        for (int g = g0; g < g1; g++) {
            for (int b = 0; b < nsb; b++) {
                long o = ((long) g * nsb + b) * SB;
                for (int r = 0; r < G; r++) {
                    long s = off + (long) (g * G + r) * rowBytes + (long) b * Q6_KFormat.BYTES;
                    dst.set(QuantMath.FLOAT_LE, o + 4L * r, QuantMath.f16(src, s + 208));
                    for (int t = 0; t < 16; t++) dst.set(ValueLayout.JAVA_BYTE, o + 64 + 16L * t + r, src.get(ValueLayout.JAVA_BYTE, s + 192 + t));
                    for (int h = 0; h < 2; h++) {
                        long ql = s + 64 * h, qh = s + 128 + 32 * h;
                        for (int l = 0; l < 32; l++) {
                            int a = u8(src, ql + l), c = u8(src, ql + l + 32), hi = u8(src, qh + l);
                            q[128 * h + l] = a & 0xF | (hi & 3) << 4;
                            q[128 * h + l + 32] = c & 0xF | (hi >> 2 & 3) << 4;
                            q[128 * h + l + 64] = a >> 4 | (hi >> 4 & 3) << 4;
                            q[128 * h + l + 96] = c >> 4 | (hi >> 6) << 4;
                        }
                    }
                    for (int c = 0; c < QK; c++) dst.set(ValueLayout.JAVA_BYTE, o + 320 + 16L * c + r, (byte) (q[c] - 32));
                }
            }
        }
    }

    /**
     * out[outOff + 16g + lane] = row (16g + lane) · x for groups [g0, g1), as
     * d · Σ_t sc_t · Σ_{c in t} q_c·x_c: each 16-column sub-block's sum in two FMA chains, scaled by its
     * int8 scale (exact as a float) into the super-block's sum, and d applied once per super-block.
     * Measured on this project's AMD VM (8192 × 2048, one thread, best of 3 rounds in 4 JVMs each):
     * 13.4–15.7 G weights/s against 10.4–12.1 for four chains per sub-block with d·sc formed per
     * sub-block (3 adds, a convert and a multiply per 16 FMAs). One column pair per iteration (C2
     * unrolls the loop itself): 18.1 against 16.8 G weights/s in L2 for two sub-blocks of four chains
     * per hand-unrolled step, 1.10× with two threads. One method with no vector crossing a call (C2
     * boxes vectors passed to methods it won't inline).
     */
    static void matvec(MemorySegment p, int nsb, float[] x, int xOff, float[] out, int outOff, int g0, int g1) {
        for (int gs = g0 * SLICES; gs < g1 * SLICES; gs++) { // each slice of L rows on its own
            int g = gs / SLICES, sl = gs % SLICES * L;
            long o = (long) g * nsb * SB;
            FloatVector acc = FloatVector.zero(F);
            for (int b = 0; b < nsb; b++, o += SB) {
                FloatVector sb = FloatVector.zero(F);
                for (int t = 0; t < 16; t++) {
                    long qo = o + 320 + 256L * t;
                    int xi = xOff + b * QK + 16 * t;
                    FloatVector s0 = FloatVector.zero(F), s1 = s0;
                    for (int j = 0; j < 8; j++) {
                        s0 = ((FloatVector) ByteVector.fromMemorySegment(B, p, qo + 16L * j + sl, ByteOrder.LITTLE_ENDIAN).convertShape(VectorOperators.B2F, F, 0)).fma(FloatVector.broadcast(F, x[xi + j]), s0);
                        s1 = ((FloatVector) ByteVector.fromMemorySegment(B, p, qo + 128 + 16L * j + sl, ByteOrder.LITTLE_ENDIAN).convertShape(VectorOperators.B2F, F, 0)).fma(FloatVector.broadcast(F, x[xi + j + 8]), s1);
                    }
                    sb = s0.add(s1).fma((FloatVector) ByteVector.fromMemorySegment(B, p, o + 64 + 16L * t + sl, ByteOrder.LITTLE_ENDIAN).convertShape(VectorOperators.B2F, F, 0), sb);
                }
                acc = sb.fma(FloatVector.fromMemorySegment(F, p, o + 4L * sl, ByteOrder.LITTLE_ENDIAN), acc);
            }
            acc.intoArray(out, outOff + g * G + sl);
        }
    }

    /**
     * Batched kernel for up to 4 tokens: out[outOff + t·ld + 16g + lane] = row (16g + lane) · x[x0 + t·cols ..]
     * for t &lt; n (1 ≤ n ≤ 4), groups g in [g0, g1), as {@link PackedQ8_0#mul4} with a scale per 16
     * columns: each column of 16 quants is read once, decoded to the weights {@link #dequantizeGroup}
     * gives (d·sc times q − 32) and FMA'd with each token's broadcast activation into one accumulator
     * per token; tokens ≥ n repeat the last one and are not stored. One method, no vector crossing a call.
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
                for (int t = 0; t < 16; t++) {
                    FloatVector sc = d.mul((FloatVector) ByteVector.fromMemorySegment(B, p, o + 64 + 16L * t + sl, ByteOrder.LITTLE_ENDIAN).convertShape(VectorOperators.B2F, F, 0));
                    long qo = o + 320 + 256L * t;
                    int c = b * QK + 16 * t;
                    for (int j = 0; j < 16; j++) {
                        FloatVector w = sc.mul((FloatVector) ByteVector.fromMemorySegment(B, p, qo + 16L * j + sl, ByteOrder.LITTLE_ENDIAN).convertShape(VectorOperators.B2F, F, 0));
                        a0 = w.fma(FloatVector.broadcast(F, x[x0 + c + j]), a0);
                        a1 = w.fma(FloatVector.broadcast(F, x[x1 + c + j]), a1);
                        a2 = w.fma(FloatVector.broadcast(F, x[x2 + c + j]), a2);
                        a3 = w.fma(FloatVector.broadcast(F, x[x3 + c + j]), a3);
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

    /** Group g as floats, column-major (tile[16·c + lane]), equal to {@link Q6_KFormat#dequantize}. */
    static void dequantizeGroup(MemorySegment p, int nsb, int g, float[] tile) {
        for (int sl = 0; sl < G; sl += L) { // each slice of L rows on its own
            long o = (long) g * nsb * SB;
            for (int b = 0; b < nsb; b++, o += SB) {
                FloatVector d = FloatVector.fromMemorySegment(F, p, o + 4L * sl, ByteOrder.LITTLE_ENDIAN);
                for (int t = 0; t < 16; t++) {
                    FloatVector sc = d.mul((FloatVector) ByteVector.fromMemorySegment(B, p, o + 64 + 16L * t + sl, ByteOrder.LITTLE_ENDIAN).convertShape(VectorOperators.B2F, F, 0));
                    for (int j = 0; j < 16; j++) {
                        int c = 16 * t + j;
                        sc.mul((FloatVector) ByteVector.fromMemorySegment(B, p, o + 320 + 16L * c + sl, ByteOrder.LITTLE_ENDIAN).convertShape(VectorOperators.B2F, F, 0)).intoArray(tile, (b * QK + c) * G + sl);
                    }
                }
            }
        }
    }
}

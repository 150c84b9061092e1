package dev.jllm.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;

/**
 * The prefill micro-kernel: a tile of 16 weight rows, decoded to floats column-major
 * (tile[16·c + lane] = W[row0 + lane][c]), times a batch of T activation rows. Each column step
 * loads one tile vector and FMAs it with a broadcast activation of each of 8 tokens into 8
 * accumulators (16 rows × 8 tokens of outputs held in registers), so there is no horizontal
 * reduction and each output vector is stored once. {@link #mul2} takes two tiles (32 rows) per pass.
 * With 8- or 4-lane vectors (AVX2, NEON/SSE) the tile keeps its 16-row layout and each 8- or 4-row slice is one pass.
 */
public final class TileKernel {
    private TileKernel() {}

    public static final int LANES = 16;
    private static final VectorSpecies<Float> F = Simd.F;
    /** Tile rows per vector: 16 with AVX-512, 8 with AVX2, 4 with 128-bit vectors (two or four slices per tile). */
    private static final int L = Simd.L;

    /** True if this CPU has 16-, 8- or 4-lane float vectors (AVX-512, AVX2, NEON/SSE); otherwise callers use row-by-row dots. */
    public static boolean available() {
        return Simd.OK && LANES % Simd.L == 0;
    }

    /** Column-major tile from {@code n ≤ 16} row-major rows of {@code cols} floats; lanes ≥ n become 0. */
    public static void transpose(float[] rows, int n, int cols, float[] tile) {
        for (int c = 0; c < cols; c++) {
            int o = c * LANES;
            for (int i = 0; i < n; i++) tile[o + i] = rows[i * cols + c];
            for (int i = n; i < LANES; i++) tile[o + i] = 0;
        }
    }

    /**
     * out[outOff + t·ld + lane] = Σ_c tile[16c + lane]·x[xOff + t·cols + c] for t &lt; T and
     * lane &lt; lanes (lanes ≥ lanes are not written).
     */
    public static void mul(float[] tile, int cols, float[] x, int xOff, int T, float[] out, int outOff, int ld, int lanes) {
        if ((long) LANES * cols > tile.length || xOff < 0 || (long) xOff + (long) T * cols > x.length || lanes < 1 || lanes > LANES
                || outOff < 0 || (T > 0 && (long) outOff + (long) (T - 1) * ld + lanes > out.length)) {
            throw new IndexOutOfBoundsException("tile " + tile.length + ", cols " + cols + ", x " + x.length + " from " + xOff + " × " + T
                    + ", out " + out.length + " from " + outOff + " ld " + ld + " lanes " + lanes);
        }
        // lane counts, not masks, cross the calls: a mask passed to a method C2 compiles apart is boxed per call
        int t = 0;
        for (; t + 8 <= T; t += 8) mul8(tile, cols, x, xOff + t * cols, out, outOff + t * ld, ld, lanes);
        for (; t + 4 <= T; t += 4) mul4(tile, cols, x, xOff + t * cols, out, outOff + t * ld, ld, lanes);
        for (; t < T; t++) mul1(tile, cols, x, xOff + t * cols, out, outOff + t * ld, lanes);
    }

    /**
     * Two tiles at once: rows [outOff, outOff + 16) from {@code ta} (all 16 lanes) and
     * [outOff + 16, outOff + 16 + lanesB) from {@code tb}, as two calls of {@link #mul} would give, bit
     * for bit (each output sums the same products in the same order). Each activation broadcast then
     * feeds two FMAs (32 rows × 8 tokens in registers): ~1.3× the GFLOP/s of one tile, whose broadcasts
     * (one per FMA) held it below the FMA rate.
     */
    public static void mul2(float[] ta, float[] tb, int cols, float[] x, int xOff, int T, float[] out, int outOff, int ld, int lanesB) {
        if ((long) LANES * cols > Math.min(ta.length, tb.length) || xOff < 0 || (long) xOff + (long) T * cols > x.length || lanesB < 1
                || lanesB > LANES || outOff < 0 || (T > 0 && (long) outOff + (long) (T - 1) * ld + LANES + lanesB > out.length)) {
            throw new IndexOutOfBoundsException("tiles " + ta.length + "/" + tb.length + ", cols " + cols + ", x " + x.length + " from " + xOff
                    + " × " + T + ", out " + out.length + " from " + outOff + " ld " + ld + " lanes " + lanesB);
        }
        if (L < LANES) { // 8 or 4 lanes: 16 accumulators and two tile vectors would not fit AVX2's 16 registers
            mul(ta, cols, x, xOff, T, out, outOff, ld, LANES);
            mul(tb, cols, x, xOff, T, out, outOff + LANES, ld, lanesB);
            return;
        }
        int t = 0;
        for (; t + 8 <= T; t += 8) mul8x2(ta, tb, cols, x, xOff + t * cols, out, outOff + t * ld, ld, lanesB);
        for (; t + 4 <= T; t += 4) {
            mul4(ta, cols, x, xOff + t * cols, out, outOff + t * ld, ld, LANES);
            mul4(tb, cols, x, xOff + t * cols, out, outOff + t * ld + LANES, ld, lanesB);
        }
        for (; t < T; t++) {
            mul1(ta, cols, x, xOff + t * cols, out, outOff + t * ld, LANES);
            mul1(tb, cols, x, xOff + t * cols, out, outOff + t * ld + LANES, lanesB);
        }
    }

    /** 32 rows (two tiles) × 8 tokens: 16 accumulators, 2 loads + 8 broadcasts per 16 FMAs. */
    private static void mul8x2(float[] ta, float[] tb, int cols, float[] x, int x0, float[] out, int o, int ld, int lanesB) {
        VectorMask<Float> mb = F.indexInRange(0, lanesB);
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
        FloatVector b0 = a0, b1 = a0, b2 = a0, b3 = a0, b4 = a0, b5 = a0, b6 = a0, b7 = a0;
        int x1 = x0 + cols, x2 = x1 + cols, x3 = x2 + cols, x4 = x3 + cols, x5 = x4 + cols, x6 = x5 + cols, x7 = x6 + cols;
        for (int c = 0; c < cols; c++) {
            FloatVector w = FloatVector.fromArray(F, ta, c * LANES), v = FloatVector.fromArray(F, tb, c * LANES), s;
            s = FloatVector.broadcast(F, x[x0 + c]); a0 = w.fma(s, a0); b0 = v.fma(s, b0);
            s = FloatVector.broadcast(F, x[x1 + c]); a1 = w.fma(s, a1); b1 = v.fma(s, b1);
            s = FloatVector.broadcast(F, x[x2 + c]); a2 = w.fma(s, a2); b2 = v.fma(s, b2);
            s = FloatVector.broadcast(F, x[x3 + c]); a3 = w.fma(s, a3); b3 = v.fma(s, b3);
            s = FloatVector.broadcast(F, x[x4 + c]); a4 = w.fma(s, a4); b4 = v.fma(s, b4);
            s = FloatVector.broadcast(F, x[x5 + c]); a5 = w.fma(s, a5); b5 = v.fma(s, b5);
            s = FloatVector.broadcast(F, x[x6 + c]); a6 = w.fma(s, a6); b6 = v.fma(s, b6);
            s = FloatVector.broadcast(F, x[x7 + c]); a7 = w.fma(s, a7); b7 = v.fma(s, b7);
        }
        a0.intoArray(out, o); a1.intoArray(out, o + ld); a2.intoArray(out, o + 2 * ld); a3.intoArray(out, o + 3 * ld);
        a4.intoArray(out, o + 4 * ld); a5.intoArray(out, o + 5 * ld); a6.intoArray(out, o + 6 * ld); a7.intoArray(out, o + 7 * ld);
        o += LANES;
        b0.intoArray(out, o, mb); b1.intoArray(out, o + ld, mb); b2.intoArray(out, o + 2 * ld, mb); b3.intoArray(out, o + 3 * ld, mb);
        b4.intoArray(out, o + 4 * ld, mb); b5.intoArray(out, o + 5 * ld, mb); b6.intoArray(out, o + 6 * ld, mb); b7.intoArray(out, o + 7 * ld, mb);
    }

    private static void mul8(float[] tile, int cols, float[] x, int x0, float[] out, int o, int ld, int lanes) {
        for (int sl = 0; sl < lanes; sl += L) { // one pass per slice of L rows (one with AVX-512)
            VectorMask<Float> m = F.indexInRange(0, lanes - sl);
            FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
            int x1 = x0 + cols, x2 = x1 + cols, x3 = x2 + cols, x4 = x3 + cols, x5 = x4 + cols, x6 = x5 + cols, x7 = x6 + cols;
            for (int c = 0; c < cols; c++) {
                FloatVector w = FloatVector.fromArray(F, tile, c * LANES + sl);
                a0 = w.fma(FloatVector.broadcast(F, x[x0 + c]), a0);
                a1 = w.fma(FloatVector.broadcast(F, x[x1 + c]), a1);
                a2 = w.fma(FloatVector.broadcast(F, x[x2 + c]), a2);
                a3 = w.fma(FloatVector.broadcast(F, x[x3 + c]), a3);
                a4 = w.fma(FloatVector.broadcast(F, x[x4 + c]), a4);
                a5 = w.fma(FloatVector.broadcast(F, x[x5 + c]), a5);
                a6 = w.fma(FloatVector.broadcast(F, x[x6 + c]), a6);
                a7 = w.fma(FloatVector.broadcast(F, x[x7 + c]), a7);
            }
            a0.intoArray(out, o + sl, m);
            a1.intoArray(out, o + sl + ld, m);
            a2.intoArray(out, o + sl + 2 * ld, m);
            a3.intoArray(out, o + sl + 3 * ld, m);
            a4.intoArray(out, o + sl + 4 * ld, m);
            a5.intoArray(out, o + sl + 5 * ld, m);
            a6.intoArray(out, o + sl + 6 * ld, m);
            a7.intoArray(out, o + sl + 7 * ld, m);
        }
    }

    private static void mul4(float[] tile, int cols, float[] x, int x0, float[] out, int o, int ld, int lanes) {
        for (int sl = 0; sl < lanes; sl += L) { // one pass per slice of L rows (one with AVX-512)
            VectorMask<Float> m = F.indexInRange(0, lanes - sl);
            FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
            int x1 = x0 + cols, x2 = x1 + cols, x3 = x2 + cols;
            for (int c = 0; c < cols; c++) {
                FloatVector w = FloatVector.fromArray(F, tile, c * LANES + sl);
                a0 = w.fma(FloatVector.broadcast(F, x[x0 + c]), a0);
                a1 = w.fma(FloatVector.broadcast(F, x[x1 + c]), a1);
                a2 = w.fma(FloatVector.broadcast(F, x[x2 + c]), a2);
                a3 = w.fma(FloatVector.broadcast(F, x[x3 + c]), a3);
            }
            a0.intoArray(out, o + sl, m);
            a1.intoArray(out, o + sl + ld, m);
            a2.intoArray(out, o + sl + 2 * ld, m);
            a3.intoArray(out, o + sl + 3 * ld, m);
        }
    }

    private static void mul1(float[] tile, int cols, float[] x, int x0, float[] out, int o, int lanes) {
        for (int sl = 0; sl < lanes; sl += L) { // one pass per slice of L rows (one with AVX-512)
            VectorMask<Float> m = F.indexInRange(0, lanes - sl);
            FloatVector a0 = FloatVector.zero(F), a1 = a0;
            int c = 0;
            for (; c + 2 <= cols; c += 2) {
                a0 = FloatVector.fromArray(F, tile, c * LANES + sl).fma(FloatVector.broadcast(F, x[x0 + c]), a0);
                a1 = FloatVector.fromArray(F, tile, (c + 1) * LANES + sl).fma(FloatVector.broadcast(F, x[x0 + c + 1]), a1);
            }
            if (c < cols) a0 = FloatVector.fromArray(F, tile, c * LANES + sl).fma(FloatVector.broadcast(F, x[x0 + c]), a0);
            a0.add(a1).intoArray(out, o + sl, m);
        }
    }

    /** Reference for {@link #mul}: plain scalar loops. */
    public static void mulReference(float[] tile, int cols, float[] x, int xOff, int T, float[] out, int outOff, int ld, int lanes) {
        for (int t = 0; t < T; t++) {
            for (int lane = 0; lane < lanes; lane++) {
                float s = 0;
                for (int c = 0; c < cols; c++) s += tile[c * LANES + lane] * x[xOff + t * cols + c];
                out[outOff + t * ld + lane] = s;
            }
        }
    }
}

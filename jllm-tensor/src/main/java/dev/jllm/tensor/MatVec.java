package dev.jllm.tensor;

import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Matrix × vector (decode) and matrix × batch of vectors (prefill) over quantized row-major weights:
 * row r of a {@code rows × cols} matrix is {@code f.rowBytes(cols)} bytes at
 * {@code wOffset + r·rowBytes}. Rows are split into contiguous chunks across the pool's threads, so
 * each thread streams its own part of the matrix once.
 */
public final class MatVec {
    private MatVec() {}

    /** Rows dequantized at a time by {@link #matmul}; each batch vector is then read once per tile. */
    static final int TILE = 4;
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final ThreadLocal<float[]> SCRATCH = ThreadLocal.withInitial(() -> new float[0]);

    /** out[outOff + r] = Σ_c W[r][c]·x[xOff + c] for r &lt; rows; {@code pool} may be null (calling thread only). */
    public static void matvec(BlockFormat f, MemorySegment w, long wOffset, int rows, int cols,
                              float[] x, int xOff, float[] out, int outOff, Parallel pool) {
        long rb = f.rowBytes(cols);
        checkArrays(rows, cols, x, xOff, 1, out, outOff);
        if (pool == null || pool.threads() == 1) {
            matvecRows(f, w, wOffset, rb, cols, x, xOff, out, outOff, 0, rows);
        } else {
            pool.forRange(rows, (r0, r1) -> matvecRows(f, w, wOffset, rb, cols, x, xOff, out, outOff, r0, r1));
        }
    }

    private static void matvecRows(BlockFormat f, MemorySegment w, long wOffset, long rb, int cols,
                                   float[] x, int xOff, float[] out, int outOff, int r0, int r1) {
        for (int r = r0; r < r1; r++) out[outOff + r] = f.dot(w, wOffset + r * rb, x, xOff, cols);
    }

    /**
     * For a batch of {@code batch} vectors stored one after another ({@code x[xOff + b·cols + c]}):
     * out[outOff + b·rows + r] = Σ_c W[r][c]·x_b[c]. Each tile of {@link #TILE} rows is dequantized
     * once into a per-thread buffer and dotted with every vector, so the weights are decoded once
     * per batch instead of once per vector. batch = 1 is a plain {@link #matvec}.
     */
    public static void matmul(BlockFormat f, MemorySegment w, long wOffset, int rows, int cols,
                              float[] x, int xOff, int batch, float[] out, int outOff, Parallel pool) {
        if (batch == 1) {
            matvec(f, w, wOffset, rows, cols, x, xOff, out, outOff, pool);
            return;
        }
        long rb = f.rowBytes(cols);
        checkArrays(rows, cols, x, xOff, batch, out, outOff);
        if (pool == null || pool.threads() == 1) {
            matmulRows(f, w, wOffset, rb, rows, cols, x, xOff, batch, out, outOff, 0, rows);
        } else {
            pool.forRange(rows, (r0, r1) -> matmulRows(f, w, wOffset, rb, rows, cols, x, xOff, batch, out, outOff, r0, r1));
        }
    }

    private static void matmulRows(BlockFormat f, MemorySegment w, long wOffset, long rb, int rows, int cols,
                                   float[] x, int xOff, int batch, float[] out, int outOff, int r0, int r1) {
        float[] tile = SCRATCH.get();
        if (tile.length < TILE * cols) {
            tile = new float[TILE * cols];
            SCRATCH.set(tile);
        }
        for (int r = r0; r < r1; r += TILE) {
            int t = Math.min(TILE, r1 - r);
            for (int i = 0; i < t; i++) f.dequantize(w, wOffset + (r + i) * rb, tile, i * cols, cols);
            for (int b = 0; b < batch; b++) {
                int xo = xOff + b * cols, o = outOff + b * rows + r;
                if (t == TILE) {
                    dot4(tile, cols, x, xo, out, o);
                } else {
                    for (int i = 0; i < t; i++) out[o + i] = dot(tile, i * cols, x, xo, cols);
                }
            }
        }
    }

    /** Four rows of the tile against one vector: x is loaded once for all four. */
    static void dot4(float[] t, int n, float[] x, int xo, float[] out, int o) {
        FloatVector a0 = FloatVector.zero(S), a1 = a0, a2 = a0, a3 = a0;
        int i = 0;
        for (; i <= n - S.length(); i += S.length()) {
            FloatVector xv = FloatVector.fromArray(S, x, xo + i);
            a0 = FloatVector.fromArray(S, t, i).fma(xv, a0);
            a1 = FloatVector.fromArray(S, t, n + i).fma(xv, a1);
            a2 = FloatVector.fromArray(S, t, 2 * n + i).fma(xv, a2);
            a3 = FloatVector.fromArray(S, t, 3 * n + i).fma(xv, a3);
        }
        float s0 = a0.reduceLanes(VectorOperators.ADD), s1 = a1.reduceLanes(VectorOperators.ADD);
        float s2 = a2.reduceLanes(VectorOperators.ADD), s3 = a3.reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) {
            s0 += t[i] * x[xo + i];
            s1 += t[n + i] * x[xo + i];
            s2 += t[2 * n + i] * x[xo + i];
            s3 += t[3 * n + i] * x[xo + i];
        }
        out[o] = s0;
        out[o + 1] = s1;
        out[o + 2] = s2;
        out[o + 3] = s3;
    }

    static float dot(float[] a, int aOff, float[] x, int xo, int n) {
        FloatVector acc = FloatVector.zero(S);
        int i = 0;
        for (; i <= n - S.length(); i += S.length()) {
            acc = FloatVector.fromArray(S, a, aOff + i).fma(FloatVector.fromArray(S, x, xo + i), acc);
        }
        float s = acc.reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) s += a[aOff + i] * x[xo + i];
        return s;
    }

    private static void checkArrays(int rows, int cols, float[] x, int xOff, int batch, float[] out, int outOff) {
        if (rows < 0 || cols < 0 || batch < 1) throw new IllegalArgumentException("rows " + rows + ", cols " + cols + ", batch " + batch);
        if (xOff < 0 || (long) xOff + (long) batch * cols > x.length) {
            throw new IndexOutOfBoundsException("x has " + x.length + " floats, needs " + batch + "×" + cols + " from " + xOff);
        }
        if (outOff < 0 || (long) outOff + (long) batch * rows > out.length) {
            throw new IndexOutOfBoundsException("out has " + out.length + " floats, needs " + batch + "×" + rows + " from " + outOff);
        }
    }
}

package dev.jllm.model;

import dev.jllm.tensor.PackedMatrix;
import dev.jllm.tensor.Parallel;
import dev.jllm.tensor.TileKernel;

/**
 * Y = X·Wᵀ for a batch of T rows, rows of W split across the worker threads.
 * <ul>
 * <li>Few rows (decode): each W row is dotted directly in its stored form — the repacked copy when
 *     there is one ({@link PackedMatrix}, 16 rows per vector) — so the weights are read once.</li>
 * <li>Many rows (prefill): 16 rows of W at a time are decoded once into a float tile and multiplied
 *     with every input row by {@link TileKernel} (16 rows × 8 tokens in registers).</li>
 * </ul>
 * Not re-entrant: one forward pass at a time drives it (its scratch is shared).
 */
public final class Matmul implements AutoCloseable {
    private final Parallel pool;
    private final ThreadLocal<float[][]> tiles = ThreadLocal.withInitial(() -> new float[2][0]);
    private float[] prep = new float[0];

    public Matmul(int threads) {
        this.pool = new Parallel(threads);
    }

    public Parallel parallel() {
        return pool;
    }

    /** Below this many multiply-adds a loop runs on the calling thread: waking workers costs more. */
    static final long PARALLEL_THRESHOLD = 1 << 17;

    /** Batches of at least this many rows use the tile kernel on repacked matrices (below it, per-row decode kernels). */
    static final int TILE_MIN_PACKED = 4;

    /** Runs body over [0, n) on the pool if the work (n · costPerItem) is large enough, else inline. */
    public void forRange(int n, long costPerItem, Parallel.IntRangeBody body) {
        if ((long) n * costPerItem < PARALLEL_THRESHOLD || pool.threads() == 1) body.run(0, n);
        else pool.forRange(n, body);
    }

    /** out (T, W.rows) = x (T, W.cols) · Wᵀ. */
    public void matmul(Matrix w, float[] x, int T, float[] out) {
        if (T > 1 && TileKernel.available() && (w.packed() == null || T >= TILE_MIN_PACKED)) {
            tiled(w, x, T, out);
            return;
        }
        for (int t = 0; t < T; t++) matvec(w, x, t * w.cols(), out, t * w.rows());
    }

    /** out[outOff .. + rows) = W·x[xOff .. + cols). */
    public void matvec(Matrix w, float[] x, int xOff, float[] out, int outOff) {
        final int rows = w.rows(), cols = w.cols();
        PackedMatrix p = w.packed();
        if (p == null) {
            forRange(rows, cols, (r0, r1) -> w.matvec(x, xOff, out, outOff, r0, r1));
            return;
        }
        if (prep.length < p.scratchLength()) prep = new float[p.scratchLength()];
        float[] s = prep;
        p.prepare(x, xOff, s);
        forRange(p.groups(), (long) PackedMatrix.GROUP * cols, (g0, g1) -> p.matvec(x, xOff, s, out, outOff, g0, g1));
        int done = p.groups() * PackedMatrix.GROUP;
        if (done < rows) w.matvec(x, xOff, out, outOff, done, rows);
    }

    private void tiled(Matrix w, float[] x, int T, float[] out) {
        final int rows = w.rows(), cols = w.cols(), G = TileKernel.LANES;
        final PackedMatrix p = w.packed();
        final int packedGroups = p == null ? 0 : p.groups();
        forRange((rows + G - 1) / G, (long) G * cols * T, (g0, g1) -> {
            float[][] buf = tiles.get();
            if (buf[0].length < G * cols) {
                buf[0] = new float[G * cols];
                buf[1] = new float[G * cols];
            }
            float[] tile = buf[0], stage = buf[1];
            for (int g = g0; g < g1; g++) {
                int lanes = Math.min(G, rows - g * G);
                if (g < packedGroups) {
                    p.dequantizeGroup(g, tile);
                } else {
                    for (int i = 0; i < lanes; i++) w.row(g * G + i, stage, i * cols);
                    TileKernel.transpose(stage, lanes, cols, tile);
                }
                TileKernel.mul(tile, cols, x, 0, T, out, g * G, rows, lanes);
            }
        });
    }

    @Override
    public void close() {
        pool.close();
    }
}

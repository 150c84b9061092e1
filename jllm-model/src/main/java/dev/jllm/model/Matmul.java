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
    private final ThreadLocal<float[][]> tiles = ThreadLocal.withInitial(() -> new float[3][0]);
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

    /**
     * Batches of 2..this many rows on repacked matrices with a fused batched kernel
     * ({@link PackedMatrix#matmul}: each weight column decoded once into registers, no float tile).
     */
    static final int BATCHED_MAX = 8;

    static boolean batched(PackedMatrix p, int T) {
        return p != null && T > 1 && T <= BATCHED_MAX && p.batched();
    }

    /** Runs body over [0, n) on the pool if the work (n · costPerItem) is large enough, else inline. */
    public void forRange(int n, long costPerItem, Parallel.IntRangeBody body) {
        if ((long) n * costPerItem < PARALLEL_THRESHOLD || pool.threads() == 1) body.run(0, n);
        else pool.forRange(n, body);
    }

    /**
     * Pieces per thread for compute-bound loops (prefill): handed out on demand, so a thread held
     * up costs at most a piece. Decode keeps one contiguous range per thread: restarting the
     * hardware prefetchers on many pieces cost more (25% of decode speed) than it saved.
     */
    static final int PIECES_PER_THREAD = 8;

    /** Like {@link #forRange}, but in pieces handed out on demand (for uneven or compute-bound items). */
    public void forPieces(int n, long costPerItem, Parallel.IntRangeBody body) {
        if ((long) n * costPerItem < PARALLEL_THRESHOLD || pool.threads() == 1) body.run(0, n);
        else pool.forChunks(n, Math.max(1, n / (pool.threads() * PIECES_PER_THREAD)), body);
    }

    /** out (T, W.rows) = x (T, W.cols) · Wᵀ. */
    public void matmul(Matrix w, float[] x, int T, float[] out) {
        if (batched(w.packed(), T)) {
            final PackedMatrix p = w.packed();
            final int rows = w.rows();
            forRange(p.groups(), (long) PackedMatrix.GROUP * w.cols() * T, (g0, g1) -> p.matmul(x, T, out, rows, g0, g1));
            for (int t = 0; t < T; t++) tail(w, x, t * w.cols(), out, t * rows);
            return;
        }
        if (T > 1 && TileKernel.available() && (w.packed() == null || T >= TILE_MIN_PACKED)) {
            tiled(w, x, T, out);
            return;
        }
        for (int t = 0; t < T; t++) matvec(w, x, t * w.cols(), out, t * w.rows());
    }

    /**
     * Several products of one input, o_i (T, w_i.rows) = x (T, cols) · w_iᵀ (w3/o3 may be null): for
     * decode one parallel loop covers all of them (one wake-up of the workers instead of one each).
     */
    public void matmul(float[] x, int T, Matrix w1, float[] o1, Matrix w2, float[] o2, Matrix w3, float[] o3) {
        PackedMatrix p1 = w1.packed(), p2 = w2.packed(), p3 = w3 == null ? null : w3.packed();
        if (batched(p1, T) && batched(p2, T) && (w3 == null || batched(p3, T))
                && w2.cols() == w1.cols() && (w3 == null || w3.cols() == w1.cols())) {
            final int cols = w1.cols(), n1 = p1.groups(), n2 = n1 + p2.groups(), n3 = n2 + (p3 == null ? 0 : p3.groups());
            final int l1 = w1.rows(), l2 = w2.rows(), l3 = w3 == null ? 0 : w3.rows();
            forRange(n3, (long) PackedMatrix.GROUP * cols * T, (a, b) -> {
                if (a < n1) p1.matmul(x, T, o1, l1, a, Math.min(b, n1));
                if (b > n1 && a < n2) p2.matmul(x, T, o2, l2, Math.max(a, n1) - n1, Math.min(b, n2) - n1);
                if (b > n2) p3.matmul(x, T, o3, l3, Math.max(a, n2) - n2, b - n2);
            });
            for (int t = 0; t < T; t++) {
                tail(w1, x, t * cols, o1, t * l1);
                tail(w2, x, t * cols, o2, t * l2);
                if (w3 != null) tail(w3, x, t * cols, o3, t * l3);
            }
            return;
        }
        boolean fuse = T < TILE_MIN_PACKED && p1 != null && p2 != null && (w3 == null || p3 != null)
                && w2.cols() == w1.cols() && (w3 == null || w3.cols() == w1.cols());
        if (!fuse) {
            matmul(w1, x, T, o1);
            matmul(w2, x, T, o2);
            if (w3 != null) matmul(w3, x, T, o3);
            return;
        }
        final int cols = w1.cols(), n1 = p1.groups(), n2 = n1 + p2.groups(), n3 = n2 + (p3 == null ? 0 : p3.groups());
        // per-vector precomputation (Σx per block) shared by all three: same x, same cols
        PackedMatrix needs = p1.scratchLength() > 0 ? p1 : p2.scratchLength() > 0 ? p2 : p3 != null && p3.scratchLength() > 0 ? p3 : p1;
        if (prep.length < needs.scratchLength()) prep = new float[needs.scratchLength()];
        final float[] s = prep;
        for (int t = 0; t < T; t++) {
            final int xOff = t * cols, r1 = t * w1.rows(), r2 = t * w2.rows(), r3 = w3 == null ? 0 : t * w3.rows();
            needs.prepare(x, xOff, s);
            forRange(n3, (long) PackedMatrix.GROUP * cols, (a, b) -> {
                if (a < n1) p1.matvec(x, xOff, s, o1, r1, a, Math.min(b, n1));
                if (b > n1 && a < n2) p2.matvec(x, xOff, s, o2, r2, Math.max(a, n1) - n1, Math.min(b, n2) - n1);
                if (b > n2) p3.matvec(x, xOff, s, o3, r3, Math.max(a, n2) - n2, b - n2);
            });
            tail(w1, x, xOff, o1, r1);
            tail(w2, x, xOff, o2, r2);
            if (w3 != null) tail(w3, x, xOff, o3, r3);
        }
    }

    /** Rows past the packed groups, from the stored rows. */
    private static void tail(Matrix w, float[] x, int xOff, float[] out, int outOff) {
        int done = w.packed().groups() * PackedMatrix.GROUP;
        if (done < w.rows()) w.matvec(x, xOff, out, outOff, done, w.rows());
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
        forPieces((rows + G - 1) / G, (long) G * cols * T, (g0, g1) -> {
            float[][] buf = tiles.get();
            if (buf[0].length < G * cols) {
                buf[0] = new float[G * cols];
                buf[1] = new float[G * cols];
                buf[2] = new float[G * cols];
            }
            float[] tile = buf[0], next = buf[1], stage = buf[2];
            int g = g0;
            for (; g + 2 <= g1; g += 2) { // two groups per pass: each activation broadcast feeds both
                tile(w, p, packedGroups, g, rows, cols, tile, stage);
                tile(w, p, packedGroups, g + 1, rows, cols, next, stage);
                TileKernel.mul2(tile, next, cols, x, 0, T, out, g * G, rows, Math.min(G, rows - (g + 1) * G));
            }
            if (g < g1) {
                tile(w, p, packedGroups, g, rows, cols, tile, stage);
                TileKernel.mul(tile, cols, x, 0, T, out, g * G, rows, Math.min(G, rows - g * G));
            }
        });
    }

    /** Rows of group g decoded into a column-major tile: from the repacked copy, or the stored rows transposed through stage. */
    private static void tile(Matrix w, PackedMatrix p, int packedGroups, int g, int rows, int cols, float[] tile, float[] stage) {
        final int G = TileKernel.LANES;
        if (g < packedGroups) {
            p.dequantizeGroup(g, tile);
            return;
        }
        int lanes = Math.min(G, rows - g * G);
        for (int i = 0; i < lanes; i++) w.row(g * G + i, stage, i * cols);
        TileKernel.transpose(stage, lanes, cols, tile);
    }

    @Override
    public void close() {
        pool.close();
    }
}

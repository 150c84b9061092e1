package dev.jllm.model;

import dev.jllm.tensor.FloatOps;
import dev.jllm.tensor.Parallel;

/**
 * Y = X·Wᵀ for a batch of T rows, rows of W split across the worker threads. With one row (decode)
 * each W row is dotted directly in its stored format (memory-bound: weights read once); with several
 * rows (prefill) each W row is decoded once into floats and dotted with every input row, so quantized
 * weights are unpacked once per step instead of once per token.
 */
public final class Matmul implements AutoCloseable {
    private final Parallel pool;
    private final ThreadLocal<float[]> rowBuf = ThreadLocal.withInitial(() -> new float[0]);

    public Matmul(int threads) {
        this.pool = new Parallel(threads);
    }

    public Parallel parallel() {
        return pool;
    }

    /** Below this many multiply-adds a loop runs on the calling thread: waking workers costs more. */
    static final long PARALLEL_THRESHOLD = 1 << 17;

    /** Runs body over [0, n) on the pool if the work (n · costPerItem) is large enough, else inline. */
    public void forRange(int n, long costPerItem, dev.jllm.tensor.Parallel.IntRangeBody body) {
        if ((long) n * costPerItem < PARALLEL_THRESHOLD || pool.threads() == 1) body.run(0, n);
        else pool.forRange(n, body);
    }

    /** out (T, W.rows) = x (T, W.cols) · Wᵀ. */
    public void matmul(Matrix w, float[] x, int T, float[] out) {
        final int rows = w.rows(), cols = w.cols();
        if (T == 1) {
            forRange(rows, cols, (r0, r1) -> w.matvec(x, 0, out, 0, r0, r1));
            return;
        }
        forRange(rows, (long) cols * T, (r0, r1) -> {
            float[] buf = rowBuf.get();
            if (buf.length < cols) {
                buf = new float[cols];
                rowBuf.set(buf);
            }
            for (int r = r0; r < r1; r++) {
                w.row(r, buf, 0);
                for (int t = 0; t < T; t++) out[t * rows + r] = FloatOps.dot(buf, 0, x, t * cols, cols);
            }
        });
    }

    @Override
    public void close() {
        pool.close();
    }
}

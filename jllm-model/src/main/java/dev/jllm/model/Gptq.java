package dev.jllm.model;

import java.util.stream.IntStream;

/**
 * GPTQ (Frantar et al., 2022) for one weight matrix W (rows × cols, y = W·x): quantize the columns one
 * at a time and push each column's rounding error onto the columns not yet quantized, weighted by
 * the inverse Hessian of the layer's output error, H = 2·XᵀX/N over calibration inputs X. The
 * algorithm is the reference implementation's (IST-DASLab gptq.py {@code fasterquant}, as AutoGPTQ
 * runs it), step for step, in double:
 * <ol>
 * <li>dead columns (H_jj = 0) get H_jj = 1 and W[:, j] = 0;</li>
 * <li>with act-order, columns are processed by decreasing H_jj, and the groups' parameters are fixed
 *     up front from the unmodified W (AutoGPTQ's static groups: a GGUF block is a run of adjacent
 *     columns, whatever the processing order);</li>
 * <li>H += damp·mean(diag H)·I; Hinv = the upper Cholesky factor of H⁻¹;</li>
 * <li>lazy batches of {@code blockSize} columns: inside a batch each column is rounded, its error
 *     e = (w − q)/Hinv_ii updates the rest of the batch, and the batch's errors update all later
 *     columns in one product at its end; without act-order a group's parameters are chosen when its
 *     first column comes up, from W as it stands then (the reference reads the outer W, which has the
 *     updates of earlier batches but not the current one's).</li>
 * </ol>
 * What "parameters" and "rounding" mean is the {@link Grid}'s business: for GGUF types, the type's
 * own block quantizer and its level grid ({@link GgufGrid}).
 */
public final class Gptq {
    private Gptq() {}

    /** A quantization grid per group of adjacent columns. */
    public interface Grid {
        /** Columns per group (a GGUF block: 32 or 256), or ≤ 0 for one group per row. */
        int groupSize();

        /** Fixes group g's parameters for every row from {@code w} (rows × width, the group's current weights in original column order). */
        void findParams(int group, double[] w, int rows, int width);

        /** Rounds {@code value} of (row, original column col) onto the grid; returns the dequantized value. */
        double quantize(int row, int col, double value);
    }

    /** Q: the dequantized weights (original column order); loss: Σ over rows of the reference's Losses (½·(w−q)²/Hinv_ii²). */
    public record Result(double[] q, double loss) {}

    /**
     * Runs GPTQ on W (row-major rows × cols, not modified) with Hessian H (cols × cols, row-major, not
     * modified). {@code damp} is the reference's percdamp (0.01), {@code blockSize} its blocksize (128).
     */
    public static Result run(double[] w0, int rows, int cols, double[] h0, Grid grid, double damp, int blockSize, boolean actOrder) {
        if (w0.length != rows * cols || h0.length != cols * cols) throw new IllegalArgumentException("W must be rows × cols and H cols × cols");
        if (blockSize < 1) throw new IllegalArgumentException("block size must be >= 1, got " + blockSize);
        double[] W = w0.clone(), H = h0.clone();
        for (int j = 0; j < cols; j++) {
            if (H[j * cols + j] == 0) {
                H[j * cols + j] = 1;
                for (int r = 0; r < rows; r++) W[r * cols + j] = 0;
            }
        }
        int gs = grid.groupSize() > 0 ? grid.groupSize() : cols;
        if (actOrder) { // static groups, from W before any update
            for (int g = 0; g * gs < cols; g++) grid.findParams(g, slice(W, rows, cols, g * gs, Math.min(gs, cols - g * gs)), rows, Math.min(gs, cols - g * gs));
        }
        int[] perm = new int[cols];
        for (int j = 0; j < cols; j++) perm[j] = j;
        if (actOrder) {
            Integer[] p = new Integer[cols];
            for (int j = 0; j < cols; j++) p[j] = j;
            final double[] hd = H;
            // torch.argsort(descending=True) is not stable; ties (dead columns, all 1) keep index order here
            java.util.Arrays.sort(p, (a, b) -> Double.compare(hd[b * cols + b], hd[a * cols + a]));
            for (int j = 0; j < cols; j++) perm[j] = p[j];
            W = permuteColumns(W, rows, cols, perm);
            H = permuteBoth(H, cols, perm);
        }
        double mean = 0;
        for (int j = 0; j < cols; j++) mean += H[j * cols + j];
        mean /= cols;
        for (int j = 0; j < cols; j++) H[j * cols + j] += damp * mean;
        double[] Hinv = Cholesky.upperOfInverse(H, cols);

        double[] Q = new double[rows * cols];
        double[] err = new double[rows * blockSize];
        double loss = 0;
        for (int i1 = 0; i1 < cols; i1 += blockSize) {
            final int b1 = i1, i2 = Math.min(i1 + blockSize, cols), count = i2 - i1;
            double[] W1 = new double[rows * count]; // the batch's working copy (the reference's W1)
            for (int r = 0; r < rows; r++) System.arraycopy(W, r * cols + i1, W1, r * count, count);
            for (int i = 0; i < count; i++) {
                int col = i1 + i;
                double d = Hinv[col * cols + col];
                if (!actOrder && col % gs == 0) {
                    int width = Math.min(gs, cols - col);
                    grid.findParams(col / gs, slice(W, rows, cols, col, width), rows, width);
                }
                int orig = perm[col];
                for (int r = 0; r < rows; r++) {
                    double wv = W1[r * count + i];
                    double q = grid.quantize(r, orig, wv);
                    Q[r * cols + col] = q;
                    loss += (wv - q) * (wv - q) / (d * d) / 2;
                    double e = (wv - q) / d;
                    err[r * blockSize + i] = e;
                    int base = r * count, hrow = col * cols + i1;
                    for (int k = i; k < count; k++) W1[base + k] -= e * Hinv[hrow + k];
                }
            }
            if (i2 < cols) {
                final double[] Wf = W, Hf = Hinv, errf = err;
                IntStream.range(0, rows).parallel().forEach(r -> {
                    for (int k = 0; k < count; k++) {
                        double e = errf[r * blockSize + k];
                        if (e == 0) continue;
                        int hrow = (b1 + k) * cols, wrow = r * cols;
                        for (int j = i2; j < cols; j++) Wf[wrow + j] -= e * Hf[hrow + j];
                    }
                });
            }
        }
        if (actOrder) {
            int[] inv = new int[cols];
            for (int j = 0; j < cols; j++) inv[perm[j]] = j;
            Q = permuteColumns(Q, rows, cols, inv);
        }
        return new Result(Q, loss);
    }

    /** Σ_r (w_r − q_r)ᵀ H (w_r − q_r): the output error of replacing W by Q on the calibration inputs (H = 2XᵀX/N). */
    public static double outputError(double[] w, double[] q, int rows, int cols, double[] h) {
        return IntStream.range(0, rows).parallel().mapToDouble(r -> {
            double[] e = new double[cols];
            for (int j = 0; j < cols; j++) e[j] = w[r * cols + j] - q[r * cols + j];
            double s = 0;
            for (int i = 0; i < cols; i++) {
                if (e[i] == 0) continue;
                double t = 0;
                for (int j = 0; j < cols; j++) t += h[i * cols + j] * e[j];
                s += e[i] * t;
            }
            return s;
        }).sum();
    }

    private static double[] slice(double[] W, int rows, int cols, int c0, int width) {
        double[] out = new double[rows * width];
        for (int r = 0; r < rows; r++) System.arraycopy(W, r * cols + c0, out, r * width, width);
        return out;
    }

    /** out[:, j] = in[:, perm[j]]. */
    static double[] permuteColumns(double[] in, int rows, int cols, int[] perm) {
        double[] out = new double[in.length];
        for (int r = 0; r < rows; r++) for (int j = 0; j < cols; j++) out[r * cols + j] = in[r * cols + perm[j]];
        return out;
    }

    private static double[] permuteBoth(double[] h, int n, int[] perm) {
        double[] out = new double[n * n];
        for (int i = 0; i < n; i++) for (int j = 0; j < n; j++) out[i * n + j] = h[perm[i] * n + perm[j]];
        return out;
    }

    /** Dense Cholesky in double (row-major), enough for GPTQ's Hessians (a few thousand columns). */
    static final class Cholesky {
        private Cholesky() {}

        /** Lower L with A = L·Lᵀ; throws if A is not positive definite. */
        static double[] lower(double[] a, int n) {
            double[] L = new double[n * n];
            for (int j = 0; j < n; j++) {
                double s = a[j * n + j];
                for (int k = 0; k < j; k++) s -= L[j * n + k] * L[j * n + k];
                if (!(s > 0)) {
                    throw new IllegalArgumentException("the Hessian is not positive definite (pivot " + j + " = " + s
                            + "); raise --damp or use more calibration tokens");
                }
                double d = Math.sqrt(s);
                L[j * n + j] = d;
                final int jj = j;
                IntStream.range(j + 1, n).parallel().forEach(i -> {
                    double t = a[i * n + jj];
                    for (int k = 0; k < jj; k++) t -= L[i * n + k] * L[jj * n + k];
                    L[i * n + jj] = t / d;
                });
            }
            return L;
        }

        /**
         * torch.linalg.cholesky(torch.cholesky_inverse(torch.linalg.cholesky(A)), upper=True): the upper
         * factor U of A⁻¹ = Uᵀ·U.
         */
        static double[] upperOfInverse(double[] a, int n) {
            double[] L = lower(a, n);
            // Li = L⁻¹ (lower), row by row: Li[i,:] = (e_i − Σ_{k<i} L[i,k]·Li[k,:]) / L[i,i] (contiguous rows)
            double[] Li = new double[n * n];
            for (int i = 0; i < n; i++) {
                int ri = i * n;
                Li[ri + i] = 1;
                for (int k = 0; k < i; k++) {
                    double lik = L[ri + k];
                    if (lik == 0) continue;
                    int rk = k * n;
                    for (int j = 0; j <= k; j++) Li[ri + j] -= lik * Li[rk + j];
                }
                double d = L[ri + i];
                for (int j = 0; j <= i; j++) Li[ri + j] /= d;
            }
            // A⁻¹ = Liᵀ·Li: row i is Σ_{k≥i} Li[k,i]·Li[k,:] (upper part, then mirrored)
            double[] inv = new double[n * n];
            IntStream.range(0, n).parallel().forEach(i -> {
                int ri = i * n;
                for (int k = i; k < n; k++) {
                    double lki = Li[k * n + i];
                    if (lki == 0) continue;
                    int rk = k * n;
                    for (int j = i; j <= k; j++) inv[ri + j] += lki * Li[rk + j];
                }
            });
            for (int i = 0; i < n; i++) for (int j = i + 1; j < n; j++) inv[j * n + i] = inv[i * n + j];
            double[] l2 = lower(inv, n);
            double[] U = new double[n * n];
            for (int i = 0; i < n; i++) for (int j = 0; j <= i; j++) U[j * n + i] = l2[i * n + j];
            return U;
        }
    }
}

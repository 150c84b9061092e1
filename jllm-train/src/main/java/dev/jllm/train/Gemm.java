package dev.jllm.train;

import dev.jllm.tensor.Parallel;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;

/**
 * The one fp32 matrix product training needs: C(M,N) = [C +] A(M,K)·B(K,N), with B and C row-major
 * and A addressed by strides, so the three products of a linear layer need no copies of activations:
 * <pre>
 *   forward   out(BT,OC)  = inp(BT,C) · Wᵀ        A = inp (row stride C),  B = Wᵀ (a transposed copy of W)
 *   backward  dinp(BT,C) += dout(BT,OC) · W       A = dout,                B = W as stored
 *             dW(OC,C)   += doutᵀ(OC,BT) · inp    A = dout read transposed (row stride 1, column stride OC)
 * </pre>
 * Micro-kernel: 4 rows of A × 4 vectors of B (64 columns with 16 lanes) in 16 accumulators; each
 * k broadcasts 4 A elements and loads 4 B vectors (outer product, no horizontal sums). K is split
 * into blocks of {@link #KC} so a B panel (KC × 64 floats, 32 KB) stays in L1 while every row block
 * of the thread passes over it. Rows of C are split across threads; each C element is summed by one
 * thread in a fixed k order, so results do not depend on the thread count.
 */
public final class Gemm {
    private Gemm() {}

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();
    private static final int MR = 4;          // rows of A per micro-kernel
    private static final int NB = 4 * L;      // columns of B per micro-kernel
    static final int KC = 128;                // k block
    /** Below this many multiply-adds a product runs on the calling thread (waking workers costs more). */
    private static final long PARALLEL_WORK = 1 << 16;

    /**
     * C(M,N) = [C +] A·B where A(i,k) = a[aOff + i·ars + k·acs], B(k,j) = b[bOff + k·N + j],
     * C(i,j) = c[cOff + i·N + j].
     */
    public static void gemm(Parallel pool, float[] a, int aOff, int ars, int acs, float[] b, int bOff, float[] c, int cOff,
                            int M, int N, int K, boolean accumulate) {
        int blocks = (M + MR - 1) / MR;
        if (pool == null || pool.threads() == 1 || (long) M * N * K < PARALLEL_WORK || blocks < 2) {
            rows(a, aOff, ars, acs, b, bOff, N, c, cOff, N, 0, M, N, K, accumulate);
            return;
        }
        pool.forRange(blocks, (b0, b1) -> rows(a, aOff, ars, acs, b, bOff, N, c, cOff, N, b0 * MR, Math.min(M, b1 * MR), N, K, accumulate));
    }

    /** {@link #gemm} with leading dimensions for B and C: B(k,j) = b[bOff + k·ldb + j], C(i,j) = c[cOff + i·ldc + j]. */
    public static void gemm(Parallel pool, float[] a, int aOff, int ars, int acs, float[] b, int bOff, int ldb, float[] c, int cOff, int ldc,
                            int M, int N, int K, boolean accumulate) {
        int blocks = (M + MR - 1) / MR;
        if (pool == null || pool.threads() == 1 || (long) M * N * K < PARALLEL_WORK || blocks < 2) {
            rows(a, aOff, ars, acs, b, bOff, ldb, c, cOff, ldc, 0, M, N, K, accumulate);
            return;
        }
        pool.forRange(blocks, (b0, b1) -> rows(a, aOff, ars, acs, b, bOff, ldb, c, cOff, ldc, b0 * MR, Math.min(M, b1 * MR), N, K, accumulate));
    }

    /**
     * The same product on the calling thread, with leading dimensions for B and C (sub-matrices such
     * as one attention head inside a (T, QD) activation): B(k,j) = b[bOff + k·ldb + j],
     * C(i,j) = c[cOff + i·ldc + j].
     */
    static void gemmSerial(float[] a, int aOff, int ars, int acs, float[] b, int bOff, int ldb, float[] c, int cOff, int ldc,
                           int M, int N, int K, boolean accumulate) {
        rows(a, aOff, ars, acs, b, bOff, ldb, c, cOff, ldc, 0, M, N, K, accumulate);
    }

    /** The slow, obvious reference the fast kernel is tested against (double accumulation). */
    static void reference(float[] a, int aOff, int ars, int acs, float[] b, int bOff, float[] c, int cOff,
                          int M, int N, int K, boolean accumulate) {
        for (int i = 0; i < M; i++) {
            for (int j = 0; j < N; j++) {
                double s = accumulate ? c[cOff + i * N + j] : 0;
                for (int k = 0; k < K; k++) s += (double) a[aOff + i * ars + k * acs] * b[bOff + k * N + j];
                c[cOff + i * N + j] = (float) s;
            }
        }
    }

    /** Rows [i0, i1) of C. */
    private static void rows(float[] a, int aOff, int ars, int acs, float[] b, int bOff, int ldb, float[] c, int cOff, int ldc,
                             int i0, int i1, int N, int K, boolean accumulate) {
        if (!accumulate) for (int i = i0; i < i1; i++) java.util.Arrays.fill(c, cOff + i * ldc, cOff + i * ldc + N, 0f);
        for (int k0 = 0; k0 < K; k0 += KC) {
            int k1 = Math.min(K, k0 + KC);
            int j0 = 0;
            for (; j0 + NB <= N; j0 += NB) {
                int i = i0;
                for (; i + MR <= i1; i += MR) kernel4x4(a, aOff, ars, acs, b, bOff, ldb, c, cOff, ldc, i, j0, k0, k1);
                for (; i < i1; i++) kernel1x4(a, aOff + i * ars, acs, b, bOff, ldb, c, cOff + i * ldc, j0, k0, k1);
            }
            for (; j0 < N; j0 += L) {
                VectorMask<Float> m = S.indexInRange(j0, N);
                for (int i = i0; i < i1; i++) kernel1x1(a, aOff + i * ars, acs, b, bOff, ldb, c, cOff + i * ldc, j0, k0, k1, m);
            }
        }
    }

    private static void kernel4x4(float[] a, int aOff, int ars, int acs, float[] b, int bOff, int ldb, float[] c, int cOff, int ldc,
                                  int i, int j0, int k0, int k1) {
        int c0 = cOff + i * ldc + j0, c1 = c0 + ldc, c2 = c1 + ldc, c3 = c2 + ldc;
        FloatVector s00 = FloatVector.fromArray(S, c, c0), s01 = FloatVector.fromArray(S, c, c0 + L),
                s02 = FloatVector.fromArray(S, c, c0 + 2 * L), s03 = FloatVector.fromArray(S, c, c0 + 3 * L);
        FloatVector s10 = FloatVector.fromArray(S, c, c1), s11 = FloatVector.fromArray(S, c, c1 + L),
                s12 = FloatVector.fromArray(S, c, c1 + 2 * L), s13 = FloatVector.fromArray(S, c, c1 + 3 * L);
        FloatVector s20 = FloatVector.fromArray(S, c, c2), s21 = FloatVector.fromArray(S, c, c2 + L),
                s22 = FloatVector.fromArray(S, c, c2 + 2 * L), s23 = FloatVector.fromArray(S, c, c2 + 3 * L);
        FloatVector s30 = FloatVector.fromArray(S, c, c3), s31 = FloatVector.fromArray(S, c, c3 + L),
                s32 = FloatVector.fromArray(S, c, c3 + 2 * L), s33 = FloatVector.fromArray(S, c, c3 + 3 * L);
        int a0 = aOff + i * ars, a1 = a0 + ars, a2 = a1 + ars, a3 = a2 + ars;
        for (int k = k0; k < k1; k++) {
            int bk = bOff + k * ldb + j0, ak = k * acs;
            FloatVector b0 = FloatVector.fromArray(S, b, bk), b1 = FloatVector.fromArray(S, b, bk + L),
                    b2 = FloatVector.fromArray(S, b, bk + 2 * L), b3 = FloatVector.fromArray(S, b, bk + 3 * L);
            FloatVector x = FloatVector.broadcast(S, a[a0 + ak]);
            s00 = b0.fma(x, s00); s01 = b1.fma(x, s01); s02 = b2.fma(x, s02); s03 = b3.fma(x, s03);
            x = FloatVector.broadcast(S, a[a1 + ak]);
            s10 = b0.fma(x, s10); s11 = b1.fma(x, s11); s12 = b2.fma(x, s12); s13 = b3.fma(x, s13);
            x = FloatVector.broadcast(S, a[a2 + ak]);
            s20 = b0.fma(x, s20); s21 = b1.fma(x, s21); s22 = b2.fma(x, s22); s23 = b3.fma(x, s23);
            x = FloatVector.broadcast(S, a[a3 + ak]);
            s30 = b0.fma(x, s30); s31 = b1.fma(x, s31); s32 = b2.fma(x, s32); s33 = b3.fma(x, s33);
        }
        s00.intoArray(c, c0); s01.intoArray(c, c0 + L); s02.intoArray(c, c0 + 2 * L); s03.intoArray(c, c0 + 3 * L);
        s10.intoArray(c, c1); s11.intoArray(c, c1 + L); s12.intoArray(c, c1 + 2 * L); s13.intoArray(c, c1 + 3 * L);
        s20.intoArray(c, c2); s21.intoArray(c, c2 + L); s22.intoArray(c, c2 + 2 * L); s23.intoArray(c, c2 + 3 * L);
        s30.intoArray(c, c3); s31.intoArray(c, c3 + L); s32.intoArray(c, c3 + 2 * L); s33.intoArray(c, c3 + 3 * L);
    }

    private static void kernel1x4(float[] a, int aRow, int acs, float[] b, int bOff, int ldb, float[] c, int cRow, int j0, int k0, int k1) {
        int c0 = cRow + j0;
        FloatVector s0 = FloatVector.fromArray(S, c, c0), s1 = FloatVector.fromArray(S, c, c0 + L),
                s2 = FloatVector.fromArray(S, c, c0 + 2 * L), s3 = FloatVector.fromArray(S, c, c0 + 3 * L);
        for (int k = k0; k < k1; k++) {
            int bk = bOff + k * ldb + j0;
            FloatVector x = FloatVector.broadcast(S, a[aRow + k * acs]);
            s0 = FloatVector.fromArray(S, b, bk).fma(x, s0);
            s1 = FloatVector.fromArray(S, b, bk + L).fma(x, s1);
            s2 = FloatVector.fromArray(S, b, bk + 2 * L).fma(x, s2);
            s3 = FloatVector.fromArray(S, b, bk + 3 * L).fma(x, s3);
        }
        s0.intoArray(c, c0); s1.intoArray(c, c0 + L); s2.intoArray(c, c0 + 2 * L); s3.intoArray(c, c0 + 3 * L);
    }

    private static void kernel1x1(float[] a, int aRow, int acs, float[] b, int bOff, int ldb, float[] c, int cRow, int j0, int k0, int k1,
                                  VectorMask<Float> m) {
        FloatVector s = FloatVector.fromArray(S, c, cRow + j0, m);
        for (int k = k0; k < k1; k++) {
            s = FloatVector.fromArray(S, b, bOff + k * ldb + j0, m).fma(FloatVector.broadcast(S, a[aRow + k * acs]), s);
        }
        s.intoArray(c, cRow + j0, m);
    }

    /** dst(cols, rows) = src(rows, cols)ᵀ, in 32×32 blocks so both sides stay in cache. */
    public static void transpose(float[] src, int rows, int cols, float[] dst) {
        transpose(src, 0, cols, rows, cols, dst, 0, rows);
    }

    /** dst(j, i) = src(i, j) for a (rows, cols) block: src(i, j) = src[srcOff + i·lds + j], dst(j, i) = dst[dstOff + j·ldd + i]. */
    static void transpose(float[] src, int srcOff, int lds, int rows, int cols, float[] dst, int dstOff, int ldd) {
        final int BS = 32;
        for (int r0 = 0; r0 < rows; r0 += BS) {
            int r1 = Math.min(rows, r0 + BS);
            for (int c0 = 0; c0 < cols; c0 += BS) {
                int c1 = Math.min(cols, c0 + BS);
                for (int r = r0; r < r1; r++) for (int cc = c0; cc < c1; cc++) dst[dstOff + cc * ldd + r] = src[srcOff + r * lds + cc];
            }
        }
    }
}

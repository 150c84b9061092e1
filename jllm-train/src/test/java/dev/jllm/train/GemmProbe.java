package dev.jllm.train;

import dev.jllm.tensor.Parallel;

/** Manual probe (not a test): GFLOP/s of {@link Gemm} on the shapes of a training step. */
public final class GemmProbe {
    public static void main(String[] a) {
        int threads = Integer.parseInt(a[0]);
        int[][] shapes = {{2048, 1024, 384, 0}, {2048, 384, 1024, 0}, {2048, 4096, 384, 0}, {2048, 384, 4096, 0}, {1024, 384, 2048, 1}, {4096, 384, 2048, 1}};
        try (Parallel pool = new Parallel(threads)) {
            for (int[] s : shapes) {
                int M = s[0], N = s[1], K = s[2];
                boolean tA = s[3] == 1;
                float[] A = LayersGradientTest.random(M * K, 1, 1), B = LayersGradientTest.random(K * N, 2, 1), C = new float[M * N];
                double best = 1e9;
                for (int r = 0; r < 8; r++) {
                    long t0 = System.nanoTime();
                    Gemm.gemm(pool, A, 0, tA ? 1 : K, tA ? M : 1, B, 0, C, 0, M, N, K, true);
                    best = Math.min(best, (System.nanoTime() - t0) / 1e9);
                }
                System.out.printf("M %d N %d K %d tA %b: %.1f ms %.1f GFLOP/s%n", M, N, K, tA, best * 1e3, 2.0 * M * N * K / best / 1e9);
            }
        }
    }
}

package dev.jllm.train;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.jllm.tensor.Parallel;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The fast kernel against the obvious triple loop, on shapes that hit every edge (row and column tails, k blocks). */
class GemmTest {
    private static float[] random(int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) r.nextGaussian();
        return a;
    }

    @Test
    void matchesReferenceOnOddShapesBothLayoutsAndAccumulate() {
        int[][] shapes = {{1, 1, 1}, {5, 17, 3}, {4, 64, 128}, {7, 100, 300}, {33, 129, 257}, {64, 64, 64}};
        try (Parallel pool = new Parallel(2)) {
            for (int[] s : shapes) {
                int M = s[0], N = s[1], K = s[2];
                float[] a = random(M * K, 1), b = random(K * N, 2), c0 = random(M * N, 3);
                for (boolean transposedA : new boolean[] {false, true}) {
                    for (boolean acc : new boolean[] {false, true}) {
                        int ars = transposedA ? 1 : K, acs = transposedA ? M : 1;
                        float[] want = c0.clone(), got = c0.clone();
                        Gemm.reference(a, 0, ars, acs, b, 0, want, 0, M, N, K, acc);
                        Gemm.gemm(pool, a, 0, ars, acs, b, 0, got, 0, M, N, K, acc);
                        for (int i = 0; i < M * N; i++) {
                            assertEquals(want[i], got[i], 1e-4f * (1 + Math.abs(want[i])) * Math.sqrt(K),
                                    "M" + M + " N" + N + " K" + K + " tA=" + transposedA + " acc=" + acc + " at " + i);
                        }
                    }
                }
            }
        }
    }

    @Test
    void resultDoesNotDependOnThreadCount() {
        int M = 37, N = 150, K = 200;
        float[] a = random(M * K, 4), b = random(K * N, 5);
        float[] one = new float[M * N], two = new float[M * N];
        try (Parallel p1 = new Parallel(1); Parallel p2 = new Parallel(2)) {
            Gemm.gemm(p1, a, 0, K, 1, b, 0, one, 0, M, N, K, false);
            Gemm.gemm(p2, a, 0, K, 1, b, 0, two, 0, M, N, K, false);
        }
        org.junit.jupiter.api.Assertions.assertArrayEquals(one, two);
    }

    @Test
    void transposeIsExact() {
        float[] a = random(35 * 70, 6), t = new float[35 * 70];
        Gemm.transpose(a, 35, 70, t);
        for (int r = 0; r < 35; r++) for (int c = 0; c < 70; c++) assertEquals(a[r * 70 + c], t[c * 35 + r]);
    }
}

package dev.jllm.model;

import static org.junit.jupiter.api.Assertions.*;

import dev.jllm.tensor.BlockFormat;
import dev.jllm.tensor.BlockFormats;
import dev.jllm.tensor.GgmlType;
import dev.jllm.tensor.Parallel;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Matmul's fast paths (repacked decode kernels, tile kernel, fused products) against per-row reference dots. */
class MatmulTest {

    static Matrix random(GgmlType t, int rows, int cols, long seed, boolean pack) {
        BlockFormat f = BlockFormats.of(t);
        MemorySegment s = Arena.ofAuto().allocate(rows * f.rowBytes(cols), 16);
        SplittableRandom r = new SplittableRandom(seed);
        float[] row = new float[cols];
        for (int i = 0; i < rows; i++) {
            for (int c = 0; c < cols; c++) row[c] = (float) r.nextGaussian();
            f.quantize(row, 0, cols, s, i * f.rowBytes(cols));
        }
        Matrix m = new Matrix("w", f, s, rows, cols);
        if (!pack) return m;
        try (Parallel p = new Parallel(2)) {
            return m.packed(p);
        }
    }

    static void assertMatches(Matrix w, float[] x, int T, float[] out) {
        int rows = w.rows(), cols = w.cols();
        for (int t = 0; t < T; t++) {
            for (int r = 0; r < rows; r++) {
                float ref = w.format().dotReference(w.data(), r * w.rowBytes(), x, t * cols, cols);
                double abs = 0;
                float[] tmp = new float[cols];
                w.row(r, tmp, 0);
                for (int c = 0; c < cols; c++) abs += Math.abs(tmp[c] * x[t * cols + c]);
                assertEquals(ref, out[t * rows + r], 1e-5 * abs + 1e-6, w.format().type() + " t " + t + " r " + r);
            }
        }
    }

    @ParameterizedTest
    @CsvSource({"F32, 600, 256, 128", "F32, 172, 64, 7", "Q8_0, 600, 256, 1", "Q8_0, 600, 256, 3", "Q8_0, 600, 256, 37",
            "Q4_0, 600, 256, 1", "Q4_0, 600, 256, 2", "Q4_0, 600, 256, 37", "Q8_0, 64, 512, 1", "F16, 40, 64, 9", "Q6_K, 40, 256, 5",
            "Q4_K, 600, 512, 1", "Q4_K, 600, 512, 2", "Q4_K, 600, 512, 20", "Q6_K, 600, 256, 1",
            "Q5_0, 256, 320, 1", "Q5_0, 256, 320, 7", "Q5_1, 256, 320, 1", "Q5_1, 256, 320, 7",
            "Q8_0, 53, 320, 2", "Q8_0, 53, 320, 4", "Q8_0, 53, 320, 5", "Q8_0, 53, 320, 8", "Q8_0, 53, 320, 9", "Q8_0, 601, 256, 6",
            "Q4_0, 53, 320, 3", "Q4_0, 53, 320, 4", "Q4_0, 53, 320, 7", "Q4_0, 53, 320, 8", "Q4_0, 53, 320, 9", "Q4_0, 601, 256, 5",
            "Q5_K, 600, 512, 1", "Q5_K, 53, 768, 2", "Q5_K, 53, 512, 3", "Q5_K, 600, 512, 20",
            "Q4_1, 600, 256, 1", "Q4_1, 53, 320, 2", "Q4_1, 53, 320, 5", "Q4_1, 601, 256, 9",
            "Q5_0, 53, 320, 3", "Q5_0, 601, 256, 9", "Q5_1, 53, 224, 4", "Q5_1, 600, 256, 20",
            // K-quant batched kernels (2..8 tokens) and the tile path past them, fused as in Q4_K_M / Q5_K_M
            "Q4_K, 53, 512, 2", "Q4_K, 53, 768, 3", "Q4_K, 601, 512, 8", "Q4_K, 53, 512, 17",
            "Q5_K, 53, 512, 2", "Q5_K, 53, 768, 5", "Q5_K, 601, 512, 8", "Q5_K, 53, 768, 17",
            "Q6_K, 53, 256, 2", "Q6_K, 53, 768, 3", "Q6_K, 601, 512, 8", "Q6_K, 53, 256, 17"})
    void matmulMatchesReference(GgmlType t, int rows, int cols, int T) {
        float[] x = new float[T * cols + 5];
        SplittableRandom r = new SplittableRandom(3);
        for (int i = 0; i < x.length; i++) x[i] = (float) r.nextGaussian();
        for (boolean pack : new boolean[] {false, true}) {
            Matrix w = random(t, rows, cols, 7, pack);
            try (Matmul mm = new Matmul(2)) {
                float[] out = new float[T * rows + 3];
                mm.matmul(w, x, T, out);
                assertMatches(w, x, T, out);
                // the second product in another format when there is a repacked one that differs in its precomputation
                GgmlType t2 = switch (t) {
                    case Q4_K, Q5_K -> GgmlType.Q6_K; // Q4_K_M / Q5_K_M mix K-quants in one fused product
                    case Q6_K -> GgmlType.Q4_K;
                    case Q4_1, Q5_0, Q5_1 -> GgmlType.Q8_0; // one needing Σx fused with one that does not
                    default -> t;
                };
                if (cols % 256 != 0 && t2.blockSize == 256) t2 = t;
                Matrix w2 = random(t2, 48, cols, 8, pack);
                float[] o1 = new float[T * rows], o2 = new float[T * 48];
                mm.matmul(x, T, w, o1, w2, o2, null, null);
                assertMatches(w, x, T, o1);
                assertMatches(w2, x, T, o2);
                float[] o3 = new float[T * rows];
                mm.matmul(x, T, w2, o2, w, o3, null, null); // the one needing Σx second
                assertMatches(w2, x, T, o2);
                assertMatches(w, x, T, o3);
                float[] q = new float[T * rows], k = new float[T * rows], v = new float[T * 48];
                mm.matmul(x, T, w, q, w, k, w2, v); // three in one loop, as Q/K/V with a Q6_K V in Q4_K_M
                assertMatches(w, x, T, q);
                assertMatches(w, x, T, k);
                assertMatches(w2, x, T, v);
            }
        }
    }
}

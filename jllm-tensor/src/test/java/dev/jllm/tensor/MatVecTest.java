package dev.jllm.tensor;

import static org.junit.jupiter.api.Assertions.*;

import java.lang.foreign.MemorySegment;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class MatVecTest {
    static final Parallel POOL = new Parallel(2);

    @AfterAll
    static void close() {
        POOL.close();
    }

    static Stream<BlockFormat> formats() {
        return BlockFormats.supportedTypes().stream().map(BlockFormats::of);
    }

    /** A rows × cols matrix quantized row by row, starting at byte {@code pad}. */
    static MemorySegment matrix(BlockFormat f, int rows, int cols, int pad, float[] dequantized) {
        long rb = f.rowBytes(cols);
        MemorySegment s = QuantTesting.segment(pad + rb * rows);
        for (int r = 0; r < rows; r++) {
            float[] row = QuantTesting.randomRow(100 + r, cols, f.type().blockSize);
            f.quantize(row, 0, cols, s, pad + r * rb);
            f.dequantize(s, pad + r * rb, dequantized, r * cols, cols);
        }
        return s;
    }

    static float tolerance(float[] w, int wOff, float[] x, int xOff, int n) {
        double s = 0;
        for (int i = 0; i < n; i++) s += Math.abs((double) w[wOff + i] * x[xOff + i]);
        return (float) (1e-5 * s);
    }

    @ParameterizedTest
    @MethodSource("formats")
    void matvecEqualsRowByRowReferenceDot(BlockFormat f) {
        int rows = 37, cols = 512, pad = 3, xOff = 2, outOff = 1;
        float[] wq = new float[rows * cols];
        MemorySegment s = matrix(f, rows, cols, pad, wq);
        float[] x = QuantTesting.randomRow(9, cols + xOff, 1);
        for (Parallel pool : new Parallel[] {null, POOL}) {
            float[] out = new float[rows + outOff + 1];
            out[0] = 42;
            out[rows + outOff] = 43;
            MatVec.matvec(f, s, pad, rows, cols, x, xOff, out, outOff, pool);
            for (int r = 0; r < rows; r++) {
                float ref = f.dotReference(s, pad + r * f.rowBytes(cols), x, xOff, cols);
                assertEquals(ref, out[outOff + r], tolerance(wq, r * cols, x, xOff, cols), f.type() + " row " + r);
            }
            assertEquals(42, out[0]);
            assertEquals(43, out[rows + outOff]);
        }
    }

    @ParameterizedTest
    @MethodSource("formats")
    void matmulEqualsMatvecPerVector(BlockFormat f) {
        int rows = 23, cols = 256, batch = 5, xOff = 1; // 23 rows: tiles of 4 plus a tail of 3 per thread chunk
        float[] wq = new float[rows * cols];
        MemorySegment s = matrix(f, rows, cols, 0, wq);
        float[] x = QuantTesting.randomRow(17, xOff + batch * cols, 1);
        for (Parallel pool : new Parallel[] {null, POOL}) {
            float[] out = new float[batch * rows];
            MatVec.matmul(f, s, 0, rows, cols, x, xOff, batch, out, 0, pool);
            float[] one = new float[rows];
            for (int b = 0; b < batch; b++) {
                MatVec.matvec(f, s, 0, rows, cols, x, xOff + b * cols, one, 0, null);
                for (int r = 0; r < rows; r++) {
                    assertEquals(one[r], out[b * rows + r], tolerance(wq, r * cols, x, xOff + b * cols, cols),
                            f.type() + " b " + b + " r " + r);
                }
            }
        }
    }

    @Test
    void identityMatmulAndBoundsChecks() {
        float[] x = {1, 2, 3, 4};
        MemorySegment s = QuantTesting.segment(16);
        F32Format.INSTANCE.quantize(new float[] {1, 0, 0, 1}, 0, 4, s, 0); // 2×2 identity
        float[] out = new float[4];
        MatVec.matmul(F32Format.INSTANCE, s, 0, 2, 2, x, 0, 2, out, 0, POOL);
        assertArrayEquals(new float[] {1, 2, 3, 4}, out);
        assertThrows(IndexOutOfBoundsException.class,
                () -> MatVec.matvec(F32Format.INSTANCE, s, 0, 2, 2, x, 3, out, 0, null));
        assertThrows(IndexOutOfBoundsException.class,
                () -> MatVec.matmul(F32Format.INSTANCE, s, 0, 2, 2, x, 0, 2, out, 1, null));
    }
}

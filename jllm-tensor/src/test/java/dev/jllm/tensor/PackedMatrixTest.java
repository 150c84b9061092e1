package dev.jllm.tensor;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The repacked kernels against the formats' reference dequantize and dot, and the tile kernel against its scalar loop. */
class PackedMatrixTest {
    static final Parallel POOL = new Parallel(2);

    @AfterAll
    static void close() {
        POOL.close();
    }

    @ParameterizedTest
    @EnumSource(value = GgmlType.class, names = {"Q4_0", "Q8_0", "Q4_K", "Q6_K", "IQ4_NL", "IQ4_XS"})
    void packedMatvecAndTilesMatchReference(GgmlType t) {
        assumeTrue(TileKernel.available(), "needs 16-lane float vectors");
        BlockFormat f = BlockFormats.of(t);
        int rows = 53, cols = t.blockSize == 256 ? 512 : 320, pad = 5, xOff = 3; // 3 whole groups and 5 rows left over
        float[] wq = new float[rows * cols];
        MemorySegment s = QuantTesting.matrix(f, rows, cols, pad, wq);
        assertTrue(PackedMatrix.supports(t, rows, cols));
        for (Parallel pool : new Parallel[] {null, POOL}) {
            PackedMatrix p = PackedMatrix.pack(t, s, pad, rows, cols, pool);
            assertEquals(3, p.groups());
            float[] x = QuantTesting.randomRow(11, xOff + cols, 1);
            float[] scratch = new float[p.scratchLength()];
            p.prepare(x, xOff, scratch);
            float[] out = new float[1 + 48 + 1];
            out[49] = 77;
            p.matvec(x, xOff, scratch, out, 1, 0, 3);
            assertEquals(77, out[49]);
            for (int r = 0; r < 48; r++) {
                float ref = f.dotReference(s, pad + r * f.rowBytes(cols), x, xOff, cols);
                assertEquals(ref, out[1 + r], QuantTesting.tolerance(wq, r * cols, x, xOff, cols), t + " row " + r);
            }
            float[] tile = new float[16 * cols];
            for (int g = 0; g < 3; g++) {
                p.dequantizeGroup(g, tile);
                for (int lane = 0; lane < 16; lane++) {
                    for (int c = 0; c < cols; c++) {
                        assertEquals(wq[(g * 16 + lane) * cols + c], tile[c * 16 + lane], 0f, "group " + g + " lane " + lane + " col " + c);
                    }
                }
            }
            float[] row = new float[cols + 2];
            for (int r : new int[] {0, 17, 47}) {
                p.dequantizeRow(r, row, 2);
                for (int c = 0; c < cols; c++) assertEquals(wq[r * cols + c], row[2 + c], 0f, "dequantizeRow " + r + " col " + c);
            }
            assertThrows(IndexOutOfBoundsException.class, () -> p.dequantizeRow(48, row, 0), "row 48 is past the packed groups");
        }
    }

    @ParameterizedTest
    @EnumSource(value = GgmlType.class, names = {"Q4_0", "Q8_0", "IQ4_NL", "IQ4_XS"})
    void batchedMatmulMatchesReference(GgmlType t) {
        assumeTrue(TileKernel.available(), "needs 16-lane float vectors");
        BlockFormat f = BlockFormats.of(t);
        int rows = 53, cols = t.blockSize == 256 ? 512 : 320, pad = 5; // 3 whole groups and 5 rows left over
        float[] wq = new float[rows * cols];
        MemorySegment s = QuantTesting.matrix(f, rows, cols, pad, wq);
        PackedMatrix p = PackedMatrix.pack(t, s, pad, rows, cols, POOL);
        assertTrue(p.batched());
        for (int T = 1; T <= 17; T++) {
            float[] x = QuantTesting.randomRow(13 + T, T * cols + 2, 1);
            int ld = rows + 3;
            float[] out = new float[(T - 1) * ld + 48 + 1];
            java.util.Arrays.fill(out, 77);
            p.matmul(x, T, out, ld, 1, 3); // groups 1, 2 only
            for (int tt = 0; tt < T; tt++) {
                for (int r = 0; r < 48; r++) {
                    int i = tt * ld + r;
                    if (r < 16) {
                        assertEquals(77, out[i], "group 0 untouched, T " + T);
                        continue;
                    }
                    float ref = f.dotReference(s, pad + r * f.rowBytes(cols), x, tt * cols, cols);
                    assertEquals(ref, out[i], QuantTesting.tolerance(wq, r * cols, x, tt * cols, cols), t + " T " + T + " t " + tt + " row " + r);
                }
                for (int i = tt * ld + 48; i < Math.min(out.length, (tt + 1) * ld); i++) assertEquals(77, out[i], "past the groups, T " + T);
            }
        }
    }

    @Test
    void tileKernelMatchesScalarLoop() {
        assumeTrue(TileKernel.available(), "needs 16-lane float vectors");
        int cols = 75, xOff = 2;
        for (int lanes : new int[] {16, 7}) {
            for (int T : new int[] {1, 3, 4, 8, 13, 21}) {
                float[] rows = QuantTesting.randomRow(5 + lanes, lanes * cols, 1);
                float[] tile = new float[16 * cols];
                TileKernel.transpose(rows, lanes, cols, tile);
                for (int lane = 0; lane < lanes; lane++) for (int c = 0; c < cols; c++) assertEquals(rows[lane * cols + c], tile[c * 16 + lane]);
                float[] x = QuantTesting.randomRow(7 + T, xOff + T * cols, 1);
                int ld = 40;
                float[] out = new float[T * ld + 1], ref = new float[T * ld + 1];
                java.util.Arrays.fill(out, 9f);
                java.util.Arrays.fill(ref, 9f);
                TileKernel.mul(tile, cols, x, xOff, T, out, 1, ld, lanes);
                TileKernel.mulReference(tile, cols, x, xOff, T, ref, 1, ld, lanes);
                for (int i = 0; i < out.length; i++) {
                    float tol = 1e-4f * (1 + Math.abs(ref[i]));
                    assertEquals(ref[i], out[i], tol, "lanes " + lanes + " T " + T + " i " + i);
                }
            }
        }
    }
}

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
    @EnumSource(value = GgmlType.class, names = {"Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q8_0", "Q4_K", "Q5_K", "Q6_K", "IQ4_NL", "IQ4_XS", "F16", "BF16"})
    void packedMatvecAndTilesMatchReference(GgmlType t) {
        assumeTrue(PackedMatrix.supports(t, 64, 768), "no repacked kernels for " + t + " with " + Simd.L + "-lane vectors");
        BlockFormat f = BlockFormats.of(t);
        int rows = 53, cols = t.blockSize == 256 ? 512 : 320, pad = 5; // 3 whole groups and 5 rows left over
        float[] wq = new float[rows * cols];
        MemorySegment s = QuantTesting.matrix(f, rows, cols, pad, wq);
        checkPacked(t, s, pad, rows, cols, wq);
    }

    /**
     * Blocks of random bytes (only the f16 scales kept finite and small), so every bit pattern of the
     * quants, fifth bits, scales and mins occurs — also ones the quantizers never write — in a shape
     * of one whole group and one row more, with an odd number of blocks per row.
     */
    @ParameterizedTest
    @EnumSource(value = GgmlType.class, names = {"Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q4_K", "Q5_K", "Q6_K"})
    void packedKernelsMatchReferenceOnRandomBlocks(GgmlType t) {
        assumeTrue(PackedMatrix.supports(t, 64, 768), "no repacked kernels for " + t + " with " + Simd.L + "-lane vectors");
        int rows = 17, cols = t.blockSize == 256 ? 768 : 224, pad = 3;
        MemorySegment s = randomBlocks(t, rows, cols, pad, 41);
        checkPacked(t, s, pad, rows, cols, dequantizeRows(t, s, pad, rows, cols));
    }

    /** Byte offsets of the f16 fields in one block of t (scales and mins). */
    static int[] halfFields(GgmlType t) {
        return switch (t) {
            case Q4_0, Q5_0, Q8_0, IQ4_NL, IQ4_XS -> new int[] {0};
            case Q4_1, Q5_1, Q4_K, Q5_K -> new int[] {0, 2};
            case Q6_K -> new int[] {208};
            default -> throw new IllegalArgumentException(t.toString());
        };
    }

    static MemorySegment randomBlocks(GgmlType t, int rows, int cols, int pad, long seed) {
        java.util.SplittableRandom rnd = new java.util.SplittableRandom(seed);
        long bytes = rows * t.rowBytes(cols);
        MemorySegment s = QuantTesting.segment(pad + bytes);
        for (long i = 0; i < bytes; i++) s.set(java.lang.foreign.ValueLayout.JAVA_BYTE, pad + i, (byte) rnd.nextInt(256));
        for (long b = 0; b < bytes / t.typeSize; b++) {
            for (int h : halfFields(t)) {
                float v = (float) (rnd.nextDouble(0.001, 0.1) * (rnd.nextBoolean() ? 1 : -1));
                s.set(QuantMath.SHORT_LE, pad + b * t.typeSize + h, Float.floatToFloat16(v));
            }
        }
        return s;
    }

    /** matvec against dotReference, dequantizeGroup and dequantizeRow bit-equal to the format's dequantize (wq). */
    static void checkPacked(GgmlType t, MemorySegment s, int pad, int rows, int cols, float[] wq) {
        BlockFormat f = BlockFormats.of(t);
        int xOff = 3, groups = rows / 16, n = groups * 16;
        assertTrue(PackedMatrix.supports(t, rows, cols));
        for (Parallel pool : new Parallel[] {null, POOL}) {
            PackedMatrix p = PackedMatrix.pack(t, s, pad, rows, cols, pool);
            assertEquals(groups, p.groups());
            assertEquals(PackedMatrix.packedBytes(t, rows, cols), p.byteSize());
            float[] x = QuantTesting.randomRow(11, xOff + cols, 1);
            float[] scratch = new float[p.scratchLength()];
            p.prepare(x, xOff, scratch);
            float[] out = new float[1 + n + 1];
            if (p.scratchLength() > 0) {
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> p.matvec(x, xOff, new float[p.scratchLength() - 1], out, 1, 0, groups));
                assertTrue(e.getMessage().contains("prepare"), e.getMessage());
            }
            out[n + 1] = 77;
            p.matvec(x, xOff, scratch, out, 1, 0, groups);
            assertEquals(77, out[n + 1]);
            for (int r = 0; r < n; r++) {
                float ref = f.dotReference(s, pad + r * f.rowBytes(cols), x, xOff, cols);
                assertEquals(ref, out[1 + r], QuantTesting.tolerance(wq, r * cols, x, xOff, cols), t + " row " + r);
            }
            float[] tile = new float[16 * cols];
            for (int g = 0; g < groups; g++) {
                p.dequantizeGroup(g, tile);
                for (int lane = 0; lane < 16; lane++) {
                    for (int c = 0; c < cols; c++) {
                        assertEquals(wq[(g * 16 + lane) * cols + c], tile[c * 16 + lane], 0f, "group " + g + " lane " + lane + " col " + c);
                    }
                }
            }
            float[] row = new float[cols + 2];
            for (int r : new int[] {0, n / 2 + 1, n - 1}) {
                p.dequantizeRow(r, row, 2);
                for (int c = 0; c < cols; c++) assertEquals(wq[r * cols + c], row[2 + c], 0f, "dequantizeRow " + r + " col " + c);
            }
            assertThrows(IndexOutOfBoundsException.class, () -> p.dequantizeRow(n, row, 0), "row " + n + " is past the packed groups");
        }
    }

    /** The copy's size per weight as the class comments document it; rows past the last group and unsupported shapes cost nothing. */
    @Test
    void packedBytesPerWeight() {
        assumeTrue(PackedMatrix.supports(GgmlType.Q4_0, 64, 512), "no repacking with " + Simd.L + "-lane vectors");
        java.util.Map<GgmlType, Double> perWeight = new java.util.HashMap<>(java.util.Map.of(GgmlType.Q8_0, 1.0625, GgmlType.Q4_0, 0.5625, GgmlType.IQ4_NL, 0.5625,
                GgmlType.Q4_1, 0.75, GgmlType.Q5_0, 0.6875, GgmlType.Q5_1, 0.875,
                GgmlType.Q4_K, 0.59375, GgmlType.Q5_K, 0.71875, GgmlType.Q6_K, 1.078125, GgmlType.IQ4_XS, 0.546875));
        perWeight.put(GgmlType.F16, 2.0);
        perWeight.put(GgmlType.BF16, 2.0);
        perWeight.forEach((t, bpw) -> {
            assertEquals(Math.round(48 * 512 * bpw), PackedMatrix.packedBytes(t, 53, 512), t.toString());
            assertEquals(0, PackedMatrix.packedBytes(t, 15, 512), t + ": fewer rows than a group");
        });
        assertFalse(PackedMatrix.supports(GgmlType.Q5_K, 48, 320), "Q5_K rows are whole super-blocks");
        MemorySegment s = QuantTesting.segment(48 * GgmlType.Q5_K.rowBytes(256));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> PackedMatrix.pack(GgmlType.Q5_K, s, 0, 48, 320, null));
        assertTrue(e.getMessage().contains("Q5_K"), e.getMessage());
    }

    @ParameterizedTest
    @EnumSource(value = GgmlType.class, names = {"Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q8_0", "Q4_K", "Q5_K", "Q6_K", "IQ4_NL", "IQ4_XS", "F16", "BF16"})
    void batchedMatmulMatchesReference(GgmlType t) {
        assumeTrue(PackedMatrix.supports(t, 64, 768), "no repacked kernels for " + t + " with " + Simd.L + "-lane vectors");
        BlockFormat f = BlockFormats.of(t);
        int rows = 53, cols = t.blockSize == 256 ? 512 : 320, pad = 5; // 3 whole groups and 5 rows left over
        float[] wq = new float[rows * cols];
        MemorySegment s = QuantTesting.matrix(f, rows, cols, pad, wq);
        checkBatched(t, s, pad, rows, cols, wq, 1, 3); // groups 1, 2 only
    }

    /**
     * The batched kernels on blocks of random bytes ({@link #randomBlocks}: every bit pattern of the
     * quants, fifth bits, 6-bit scales and mins), an odd number of blocks or super-blocks per row, two
     * whole groups and 5 rows more.
     */
    @ParameterizedTest
    @EnumSource(value = GgmlType.class, names = {"Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q4_K", "Q5_K", "Q6_K"})
    void batchedMatmulMatchesReferenceOnRandomBlocks(GgmlType t) {
        assumeTrue(PackedMatrix.supports(t, 64, 768), "no repacked kernels for " + t + " with " + Simd.L + "-lane vectors");
        int rows = 37, cols = t.blockSize == 256 ? 768 : 224, pad = 3;
        MemorySegment s = randomBlocks(t, rows, cols, pad, 43);
        checkBatched(t, s, pad, rows, cols, dequantizeRows(t, s, pad, rows, cols), 0, 2);
    }

    /** The format's own (reference) dequantization of rows × cols stored from byte pad on. */
    static float[] dequantizeRows(GgmlType t, MemorySegment s, int pad, int rows, int cols) {
        BlockFormat f = BlockFormats.of(t);
        float[] wq = new float[rows * cols];
        for (int r = 0; r < rows; r++) f.dequantize(s, pad + r * f.rowBytes(cols), wq, r * cols, cols);
        return wq;
    }

    /**
     * {@link PackedMatrix#matmul} of groups [g0, g1) for batches of 1–17 tokens against the format's
     * dotReference per row and token; rows outside the groups and the padding between tokens untouched.
     */
    static void checkBatched(GgmlType t, MemorySegment s, int pad, int rows, int cols, float[] wq, int g0, int g1) {
        BlockFormat f = BlockFormats.of(t);
        PackedMatrix p = PackedMatrix.pack(t, s, pad, rows, cols, POOL);
        assertTrue(p.batched(), t + " has a batched kernel");
        int n = g1 * 16, ld = rows + 3;
        for (int T = 1; T <= 17; T++) {
            float[] x = QuantTesting.randomRow(13 + T, T * cols + 2, 1);
            float[] out = new float[(T - 1) * ld + n + 1];
            java.util.Arrays.fill(out, 77);
            p.matmul(x, T, out, ld, g0, g1);
            for (int tt = 0; tt < T; tt++) {
                for (int r = 0; r < n; r++) {
                    int i = tt * ld + r;
                    if (r < g0 * 16) {
                        assertEquals(77, out[i], "groups before g0 untouched, T " + T);
                        continue;
                    }
                    float ref = f.dotReference(s, pad + r * f.rowBytes(cols), x, tt * cols, cols);
                    assertEquals(ref, out[i], QuantTesting.tolerance(wq, r * cols, x, tt * cols, cols), t + " T " + T + " t " + tt + " row " + r);
                }
                for (int i = tt * ld + n; i < Math.min(out.length, (tt + 1) * ld); i++) assertEquals(77, out[i], "past the groups, T " + T);
            }
        }
    }

    @Test
    void tileKernelMatchesScalarLoop() {
        assumeTrue(TileKernel.available(), "needs 16-, 8- or 4-lane float vectors");
        int cols = 75, xOff = 2;
        for (int lanes : new int[] {16, 9, 7}) {
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
                // two tiles per pass: a full one, then this one at lanes 16.. — bit for bit what two calls of mul give
                float[] full = new float[16 * cols];
                TileKernel.transpose(QuantTesting.randomRow(11 + T, 16 * cols, 1), 16, cols, full);
                int ld2 = 40;
                float[] pair = new float[T * ld2 + 1], single = new float[T * ld2 + 1];
                java.util.Arrays.fill(pair, 9f);
                java.util.Arrays.fill(single, 9f);
                TileKernel.mul2(full, tile, cols, x, xOff, T, pair, 1, ld2, lanes);
                TileKernel.mul(full, cols, x, xOff, T, single, 1, ld2, 16);
                TileKernel.mul(tile, cols, x, xOff, T, single, 17, ld2, lanes);
                for (int i = 0; i < pair.length; i++) {
                    assertEquals(Float.floatToRawIntBits(single[i]), Float.floatToRawIntBits(pair[i]), "mul2, lanes " + lanes + " T " + T + " i " + i);
                }
            }
        }
    }
}

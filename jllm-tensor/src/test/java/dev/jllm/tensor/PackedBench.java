package dev.jllm.tensor;

import java.lang.foreign.MemorySegment;

/**
 * Not a test: throughput probe of the repacked decode kernel (PackedMatrix.matvec) and the prefill
 * tile kernel on a rows × cols matrix. One format per JVM (kernels sharing a dispatch site swing 2×):
 * {@code java --add-modules jdk.incubator.vector -cp target/classes:target/test-classes dev.jllm.tensor.PackedBench Q4_0 [threads] [rows] [cols] [T] [copies]}
 * By default enough copies of the matrix are cycled to exceed L3 (weights stream from memory, as in decode);
 * {@code copies} = 1 with a small matrix (e.g. 256 × 2048) measures the kernel's own rate with the matrix in L2.
 */
public final class PackedBench {
    public static void main(String[] a) {
        GgmlType t = GgmlType.valueOf(a.length > 0 ? a[0] : "Q4_0");
        int threads = a.length > 1 ? Integer.parseInt(a[1]) : 2;
        int rows = a.length > 2 ? Integer.parseInt(a[2]) : 8192, cols = a.length > 3 ? Integer.parseInt(a[3]) : 2048;
        int T = a.length > 4 ? Integer.parseInt(a[4]) : 0;
        BlockFormat f = BlockFormats.of(t);
        long rb = f.rowBytes(cols);
        int copies = a.length > 5 ? Integer.parseInt(a[5]) : (int) Math.max(1, (512L << 20) / (rb * rows)); // default: the set exceeds L3
        PackedMatrix[] ps = new PackedMatrix[copies];
        try (Parallel pool = new Parallel(threads)) {
            MemorySegment s = QuantTesting.segment(rb * rows);
            for (int r = 0; r < rows; r++) f.quantize(QuantTesting.randomRow(r, cols, 32), 0, cols, s, r * rb);
            for (int i = 0; i < copies; i++) ps[i] = PackedMatrix.pack(t, s, 0, rows, cols, pool);
            float[] x = QuantTesting.randomRow(1, Math.max(1, T) * cols, 1), out = new float[Math.max(1, T) * rows];
            float[] scratch = new float[ps[0].scratchLength()];
            for (int round = 0; round < 5; round++) {
                long t0 = System.nanoTime();
                int n = 0;
                while (System.nanoTime() - t0 < 2_000_000_000L) {
                    PackedMatrix p = ps[n % copies];
                    if (T == 0) {
                        p.prepare(x, 0, scratch);
                        pool.forRange(p.groups(), (g0, g1) -> p.matvec(x, 0, scratch, out, 0, g0, g1));
                    } else {
                        int TT = T;
                        pool.forRange(p.groups(), (g0, g1) -> {
                            float[] tile = new float[16 * cols];
                            for (int g = g0; g < g1; g++) {
                                p.dequantizeGroup(g, tile);
                                TileKernel.mul(tile, cols, x, 0, TT, out, g * 16, rows, 16);
                            }
                        });
                    }
                    n++;
                }
                double sec = (System.nanoTime() - t0) / 1e9;
                if (T == 0) System.out.printf("%s matvec %dx%d %d thr: %.3f ms, %.2f G weights/s, %.2f GB/s (packed %.1f MB)%n", t, rows, cols, threads,
                        sec / n * 1e3, (double) rows * cols * n / sec / 1e9, ps[0].byteSize() * (double) n / sec / 1e9, ps[0].byteSize() / 1e6);
                else System.out.printf("%s tiles %dx%d T=%d %d thr: %.3f ms, %.1f GFLOP/s%n", t, rows, cols, T, threads,
                        sec / n * 1e3, 2.0 * rows * cols * T * n / sec / 1e9);
            }
        }
    }
}

package dev.jllm.tensor;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * Not a test: a JMH-free throughput probe of {@link MatVec#matvec} on a 2048 × 8192 matrix per
 * format (bigger than the caches in every quantized format, so this measures streaming decode).
 * Run after a build:
 * <pre>
 *   java --add-modules jdk.incubator.vector -cp jllm-tensor/target/classes:jllm-tensor/target/test-classes \
 *        dev.jllm.tensor.MatVecBench [threads] [seconds-per-format] [formats...]
 * </pre>
 * GB/s counts the weight bytes read per matvec; the memory-bandwidth probe runs first for scale.
 */
public final class MatVecBench {
    public static void main(String[] args) throws Exception {
        int threads = args.length > 0 ? Integer.parseInt(args[0]) : 2;
        double seconds = args.length > 1 ? Double.parseDouble(args[1]) : 2;
        int rows = 2048, cols = 8192;
        var bw = MemoryBandwidth.measure(threads, 256L << 20, 1000);
        System.out.printf("memory read bandwidth, %d threads: %.1f GB/s%n", threads, bw.bytesPerSecond() / 1e9);
        try (Parallel pool = new Parallel(threads); Arena arena = Arena.ofShared()) {
            float[] x = QuantTesting.randomRow(1, cols, 1);
            float[] out = new float[rows];
            for (GgmlType t : BlockFormats.supportedTypes()) {
                if (args.length > 2 && !java.util.Arrays.asList(args).subList(2, args.length).contains(t.name())) continue;
                BlockFormat f = BlockFormats.of(t);
                long rb = f.rowBytes(cols);
                MemorySegment w = arena.allocate(rb * rows, 64);
                // 64 distinct quantized rows, copied over the whole matrix (quantizing 16M K-quant weights is slow)
                for (int r = 0; r < 64; r++) f.quantize(QuantTesting.randomRow(r, cols, t.blockSize), 0, cols, w, r * rb);
                for (int r = 64; r < rows; r++) MemorySegment.copy(w, (r % 64) * rb, w, r * rb, rb);
                long end = System.nanoTime() + 1_000_000_000L; // warm-up: let C2 compile the kernels
                while (System.nanoTime() < end) MatVec.matvec(f, w, 0, rows, cols, x, 0, out, 0, pool);
                long iters = 0, start = System.nanoTime();
                end = start + (long) (seconds * 1e9);
                do {
                    MatVec.matvec(f, w, 0, rows, cols, x, 0, out, 0, pool);
                    iters++;
                } while (System.nanoTime() < end);
                double secs = (System.nanoTime() - start) / 1e9;
                System.out.printf("%-5s %6.1f MB  %8.3f ms/matvec  %6.2f GB/s  %6.2f Gweights/s%n", t, rb * rows / 1e6,
                        secs / iters * 1e3, rb * rows * iters / secs / 1e9, (double) rows * cols * iters / secs / 1e9);
            }
        }
    }
}

package dev.jllm.tensor;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.lang.foreign.MemorySegment;
import java.lang.management.ManagementFactory;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The repacked kernels allocate nothing once C2 has compiled them. A vector that C2 cannot keep in a
 * register — passed to a method it did not inline, or left behind when a large method reaches C2's
 * inlining node budget ({@code NodeCountInliningCutoff}) — is boxed on the heap on every call, and
 * the kernel runs several times slower with no wrong result for the other tests to see. The first
 * {@link PackedQ5_K#matvec} (once hand-unrolled into two column pairs per step) allocated 96 bytes per 32-column sub-block
 * that way. Speed itself is not measured here; allocated bytes per warmed-up call are exact.
 */
class PackedKernelsAllocationTest {

    /** Warm-up rounds run until every kernel allocates nothing, for at most this long. */
    static final long DEADLINE_NANOS = 90_000_000_000L;

    @ParameterizedTest
    @EnumSource(value = GgmlType.class, names = {"Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q8_0", "Q4_K", "Q5_K", "Q6_K", "IQ4_NL", "IQ4_XS", "F16", "BF16"})
    void warmedUpKernelsDoNotAllocate(GgmlType t) {
        assumeTrue(PackedMatrix.supports(t, 64, 768), "no repacked kernels for " + t + " with " + Simd.L + "-lane vectors");
        var args = ManagementFactory.getRuntimeMXBean().getInputArguments();
        assumeTrue(args.stream().noneMatch(a -> a.equals("-Xint") || a.startsWith("-XX:TieredStopAtLevel")), "needs C2: " + args);
        var mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        assumeTrue(mx.isThreadAllocatedMemorySupported() && mx.isThreadAllocatedMemoryEnabled(), "no per-thread allocation counter");
        BlockFormat f = BlockFormats.of(t);
        int rows = 32, cols = 512;
        MemorySegment s = QuantTesting.matrix(f, rows, cols, 0, new float[rows * cols]);
        PackedMatrix p = PackedMatrix.pack(t, s, 0, rows, cols, null);
        assertTrue(p.batched(), t + ": every repacked type has a batched kernel to hold to 0 bytes");
        float[] x = QuantTesting.randomRow(5, 4 * cols, 1), out = new float[4 * rows], tile = new float[16 * cols];
        float[] scratch = new float[p.scratchLength()];
        long start = System.nanoTime();
        long[] perCall;
        do {
            for (int i = 0; i < 2000; i++) {
                p.prepare(x, 0, scratch);
                p.matvec(x, 0, scratch, out, 0, 0, p.groups());
                p.matmul(x, 4, out, rows, 0, p.groups());
                p.dequantizeGroup(i % p.groups(), tile);
            }
            perCall = new long[3];
            int n = 50;
            long b = mx.getCurrentThreadAllocatedBytes();
            for (int i = 0; i < n; i++) p.matvec(x, 0, scratch, out, 0, 0, p.groups());
            perCall[0] = (mx.getCurrentThreadAllocatedBytes() - b) / n;
            b = mx.getCurrentThreadAllocatedBytes();
            for (int i = 0; i < n; i++) p.matmul(x, 4, out, rows, 0, p.groups());
            perCall[1] = (mx.getCurrentThreadAllocatedBytes() - b) / n;
            b = mx.getCurrentThreadAllocatedBytes();
            for (int i = 0; i < n; i++) p.dequantizeGroup(i % p.groups(), tile);
            perCall[2] = (mx.getCurrentThreadAllocatedBytes() - b) / n;
            if (perCall[0] == 0 && perCall[1] == 0 && perCall[2] == 0) return;
        } while (System.nanoTime() - start < DEADLINE_NANOS);
        fail(t + ": bytes allocated per warmed-up call — matvec " + perCall[0] + ", batched matmul " + perCall[1]
                + ", dequantizeGroup " + perCall[2] + " (a vector boxed: see -XX:+PrintInlining for the kernel)");
    }

    /**
     * The prefill tile products, each compiled on its own as the launcher's flags keep them (dontinline): mul8x2
     * once called a mask-taking store helper 16 times, and past C2's node cutoff every accumulator was boxed.
     */
    @org.junit.jupiter.api.Test
    void warmedUpTileProductsDoNotAllocate() {
        assumeTrue(TileKernel.available(), "needs 16-, 8- or 4-lane float vectors");
        var args = ManagementFactory.getRuntimeMXBean().getInputArguments();
        assumeTrue(args.stream().noneMatch(a -> a.equals("-Xint") || a.startsWith("-XX:TieredStopAtLevel")), "needs C2: " + args);
        var mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        assumeTrue(mx.isThreadAllocatedMemorySupported() && mx.isThreadAllocatedMemoryEnabled(), "no per-thread allocation counter");
        int cols = 256, T = 13; // 13 tokens: the 8-, 4- and 1-token paths
        float[] ta = QuantTesting.randomRow(1, 16 * cols, 1), tb = QuantTesting.randomRow(2, 16 * cols, 1);
        float[] x = QuantTesting.randomRow(3, T * cols, 1), out = new float[T * 64];
        long start = System.nanoTime();
        long mul, mul2;
        do {
            for (int i = 0; i < 3000; i++) {
                TileKernel.mul(ta, cols, x, 0, T, out, 0, 64, 16 - i % 3);
                TileKernel.mul2(ta, tb, cols, x, 0, T, out, 0, 64, 16 - i % 3);
            }
            int n = 50;
            long b = mx.getCurrentThreadAllocatedBytes();
            for (int i = 0; i < n; i++) TileKernel.mul(ta, cols, x, 0, T, out, 0, 64, 16 - i % 3);
            mul = (mx.getCurrentThreadAllocatedBytes() - b) / n;
            b = mx.getCurrentThreadAllocatedBytes();
            for (int i = 0; i < n; i++) TileKernel.mul2(ta, tb, cols, x, 0, T, out, 0, 64, 16 - i % 3);
            mul2 = (mx.getCurrentThreadAllocatedBytes() - b) / n;
            if (mul == 0 && mul2 == 0) return;
        } while (System.nanoTime() - start < DEADLINE_NANOS);
        fail("bytes allocated per warmed-up call — TileKernel.mul " + mul + ", mul2 " + mul2 + " (a vector or mask boxed)");
    }
}

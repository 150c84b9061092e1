package dev.jllm.tensor;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.lang.foreign.MemorySegment;
import java.lang.management.ManagementFactory;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every format's vectorized row dot ({@link BlockFormat#dot}: the decode path of CPUs without 16-lane
 * floats, and of shapes the packed path refuses) allocates nothing once C2 has compiled it, as
 * {@link PackedKernelsAllocationTest} holds the repacked kernels. Q5_K's and Q6_K's dots once called small
 * helpers of ours past C2's inlining node budget (NodeCountInliningCutoff stops inlining methods that are
 * not {@code @ForceInline} after 18,000 nodes, and each Vector API call costs 300–650 while parsed): the
 * calls stayed calls, every vector crossing them was boxed, 9–18 KB per 2,048-column row, and they ran at
 * 0.9–1.4 G weights/s against 6–12 for the others — with results the contract test could not tell apart.
 */
class RowDotAllocationTest {

    static final long DEADLINE_NANOS = 60_000_000_000L;

    static Stream<BlockFormat> formats() {
        return BlockFormats.supportedTypes().stream().map(BlockFormats::of);
    }

    @ParameterizedTest
    @MethodSource("formats")
    void warmedUpRowDotDoesNotAllocate(BlockFormat f) {
        assumeTrue(Simd.OK, "the scalar reference runs without 128-bit vectors");
        var args = ManagementFactory.getRuntimeMXBean().getInputArguments();
        assumeTrue(args.stream().noneMatch(a -> a.equals("-Xint") || a.startsWith("-XX:TieredStopAtLevel")), "needs C2: " + args);
        var mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        assumeTrue(mx.isThreadAllocatedMemorySupported() && mx.isThreadAllocatedMemoryEnabled(), "no per-thread allocation counter");
        int rows = 8, cols = f.type().blockSize == 1 ? 512 : 4 * Math.max(256, f.type().blockSize);
        MemorySegment s = QuantTesting.matrix(f, rows, cols, 0, new float[rows * cols]);
        long rb = f.rowBytes(cols);
        float[] x = QuantTesting.randomRow(5, cols, 1);
        long start = System.nanoTime();
        long perCall;
        float sink = 0;
        do {
            for (int i = 0; i < 5000; i++) sink += f.dot(s, (i % rows) * rb, x, 0, cols);
            int n = 100;
            long b = mx.getCurrentThreadAllocatedBytes();
            for (int i = 0; i < n; i++) sink += f.dot(s, (i % rows) * rb, x, 0, cols);
            perCall = (mx.getCurrentThreadAllocatedBytes() - b) / n;
            if (perCall == 0) return;
        } while (System.nanoTime() - start < DEADLINE_NANOS);
        fail(f.type() + ": " + perCall + " bytes allocated per warmed-up row dot (a vector boxed: see -XX:+PrintInlining"
                + " for the method; sum " + sink + ")");
    }
}

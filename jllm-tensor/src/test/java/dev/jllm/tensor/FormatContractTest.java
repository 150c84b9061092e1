package dev.jllm.tensor;

import static org.junit.jupiter.api.Assertions.*;

import java.lang.foreign.MemorySegment;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Properties every format must have: fast dot equals reference dot, offsets are honoured,
 * dequantize(quantize(x)) is close to x, and the row byte count is what quantize writes.
 */
class FormatContractTest {

    static Stream<BlockFormat> formats() {
        return BlockFormats.supportedTypes().stream().map(BlockFormats::of);
    }

    /** A length of several blocks, odd in count so pairwise-unrolled loops hit their tail. */
    static int length(BlockFormat f) {
        int bs = f.type().blockSize;
        return bs == 1 ? 1001 : bs == 32 ? 32 * 37 : 256 * 5;
    }

    @ParameterizedTest
    @MethodSource("formats")
    void fastDotMatchesReference(BlockFormat f) {
        for (long seed = 1; seed <= 20; seed++) {
            int n = length(f);
            float[] w = QuantTesting.randomRow(seed, n, f.type().blockSize);
            int pad = (int) (seed % 7);        // unaligned row start
            int xOff = (int) (seed % 5);
            MemorySegment s = QuantTesting.quantized(f, w, pad);
            float[] x = QuantTesting.randomRow(seed * 31 + 7, n + xOff, 1);
            float fast = f.dot(s, pad, x, xOff, n);
            float ref = f.dotReference(s, pad, x, xOff, n);
            float[] wq = new float[n];
            f.dequantize(s, pad, wq, 0, n);
            // 1e-5 relative to Σ|w·x|: the scale of rounding in any summation order
            float tol = 1e-5f * QuantTesting.sumAbsProducts(wq, x, xOff);
            assertEquals(ref, fast, tol, f.type() + " seed " + seed);
        }
    }

    @ParameterizedTest
    @MethodSource("formats")
    void quantizeWritesExactlyRowBytes(BlockFormat f) {
        int n = length(f);
        float[] w = QuantTesting.randomRow(3, n, f.type().blockSize);
        long bytes = f.rowBytes(n);
        MemorySegment s = QuantTesting.segment(bytes + 2);
        s.fill((byte) 0x5A);
        f.quantize(w, 0, n, s, 1);
        assertEquals(0x5A, s.get(java.lang.foreign.ValueLayout.JAVA_BYTE, 0), "byte before the row");
        assertEquals(0x5A, s.get(java.lang.foreign.ValueLayout.JAVA_BYTE, bytes + 1), "byte after the row");
        assertEquals((long) n / f.type().blockSize * f.type().typeSize, bytes);
    }

    @ParameterizedTest
    @MethodSource("formats")
    void quantizeHonoursSourceOffset(BlockFormat f) {
        int n = length(f);
        float[] w = QuantTesting.randomRow(4, n + 3, f.type().blockSize);
        float[] tail = java.util.Arrays.copyOfRange(w, 3, n + 3);
        MemorySegment a = QuantTesting.segment(f.rowBytes(n));
        MemorySegment b = QuantTesting.segment(f.rowBytes(n));
        f.quantize(w, 3, n, a, 0);
        f.quantize(tail, 0, n, b, 0);
        assertEquals(-1, a.mismatch(b));
    }

    @ParameterizedTest
    @MethodSource("formats")
    void roundTripErrorWithinFormatBound(BlockFormat f) {
        for (long seed = 1; seed <= 10; seed++) {
            int n = length(f);
            float[] w = QuantTesting.randomRow(seed, n, f.type().blockSize);
            MemorySegment s = QuantTesting.quantized(f, w, 0);
            float[] back = new float[n + 2];
            f.dequantize(s, 0, back, 2, n);
            ErrorBounds.check(f.type(), w, s, back, 2);
        }
    }
}

package dev.jllm.tensor;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;

/** Shared test data: seeded random rows, segments built from literal bytes, tolerance checks. */
final class QuantTesting {
    private QuantTesting() {}

    /** Gaussian-ish weights with a per-block magnitude that varies 100x, like real tensor rows. */
    static float[] randomRow(long seed, int n, int blockSize) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] x = new float[n];
        float scale = 1;
        for (int i = 0; i < n; i++) {
            if (i % Math.max(blockSize, 1) == 0) scale = (float) Math.pow(10, r.nextDouble(-1.5, 0.5));
            x[i] = (float) (r.nextGaussian() * scale);
        }
        return x;
    }

    static MemorySegment segment(long bytes) {
        return Arena.ofAuto().allocate(Math.max(bytes, 1), 1);
    }

    /** A segment holding these bytes (ints for readability: 0x3C is fine, no casts). */
    static MemorySegment bytes(int... b) {
        MemorySegment s = segment(b.length);
        for (int i = 0; i < b.length; i++) s.set(ValueLayout.JAVA_BYTE, i, (byte) b[i]);
        return s;
    }

    static byte[] toBytes(MemorySegment s, long off, long len) {
        return s.asSlice(off, len).toArray(ValueLayout.JAVA_BYTE);
    }

    /** Quantizes x with f into a fresh segment starting at byte {@code pad} (to exercise unaligned rows). */
    static MemorySegment quantized(BlockFormat f, float[] x, int pad) {
        MemorySegment s = segment(pad + f.rowBytes(x.length));
        f.quantize(x, 0, x.length, s, pad);
        return s;
    }

    static float sumAbsProducts(float[] w, float[] x, int xOff) {
        double s = 0;
        for (int i = 0; i < w.length; i++) s += Math.abs((double) w[i] * x[xOff + i]);
        return (float) s;
    }

    /** A rows × cols matrix quantized row by row, starting at byte {@code pad}; its dequantized values go to {@code dequantized}. */
    static MemorySegment matrix(BlockFormat f, int rows, int cols, int pad, float[] dequantized) {
        long rb = f.rowBytes(cols);
        MemorySegment s = segment(pad + rb * rows);
        for (int r = 0; r < rows; r++) {
            float[] row = randomRow(100 + r, cols, f.type().blockSize);
            f.quantize(row, 0, cols, s, pad + r * rb);
            f.dequantize(s, pad + r * rb, dequantized, r * cols, cols);
        }
        return s;
    }

    /** Tolerance of a length-n dot product computed in a different order: 1e-5 of Σ|w·x|. */
    static float tolerance(float[] w, int wOff, float[] x, int xOff, int n) {
        double s = 0;
        for (int i = 0; i < n; i++) s += Math.abs((double) w[wOff + i] * x[xOff + i]);
        return (float) (1e-5 * s);
    }
}

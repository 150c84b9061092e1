package dev.jllm.tensor;

import java.lang.foreign.MemorySegment;

/**
 * How one ggml element type stores a row of weights, and the row operations the engine needs.
 * One final class per type ({@code F32Format}, {@code Q8_0Format}, ...), each documenting its block
 * layout with byte offsets, each with a slow obvious reference beside its fast Vector API kernel.
 *
 * <p>Rows are addressed by a byte offset into a (usually memory-mapped) segment; {@code n} is the
 * number of weights in the row and must be a multiple of {@link GgmlType#blockSize}.
 */
public interface BlockFormat {

    GgmlType type();

    /** Reference: decode {@code n} weights starting at byte {@code offset} into {@code dst[dstOff..]}. */
    void dequantize(MemorySegment src, long offset, float[] dst, int dstOff, int n);

    /** Fast: Σ_i w[i]·x[xOff+i] over a row of {@code n} weights at byte {@code offset}. */
    float dot(MemorySegment w, long offset, float[] x, int xOff, int n);

    /** Reference for {@link #dot}: dequantize, then a plain scalar loop (tests hold them together). */
    default float dotReference(MemorySegment w, long offset, float[] x, int xOff, int n) {
        float[] tmp = new float[n];
        dequantize(w, offset, tmp, 0, n);
        float s = 0;
        for (int i = 0; i < n; i++) s += tmp[i] * x[xOff + i];
        return s;
    }

    /**
     * Encode {@code n} floats into this format at byte {@code offset} of {@code dst}, byte-identical
     * to llama.cpp's reference quantizer ({@code quantize_row_*_ref}).
     */
    void quantize(float[] src, int srcOff, int n, MemorySegment dst, long offset);

    /** Bytes of a row of {@code n} weights. */
    default long rowBytes(int n) {
        return type().rowBytes(n);
    }
}

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

    /**
     * Encode one whole row of {@code n} floats with importance weights {@code qw[qwOff..qwOff+n)} (one
     * per column: llama.cpp's imatrix, the mean of the squared activations entering that column),
     * byte-identical to llama.cpp's {@code quantize_<type>(src, dst, 1, n, quant_weights)}. {@code qw}
     * null is {@link #quantize(float[], int, int, MemorySegment, long)}. Types llama.cpp quantizes
     * without weights (F32, F16, BF16, Q8_0) ignore them, as llama.cpp does. The row must be whole:
     * the legacy types' weights use the row's mean square.
     */
    default void quantize(float[] src, int srcOff, int n, float[] qw, int qwOff, MemorySegment dst, long offset) {
        quantize(src, srcOff, n, dst, offset);
    }

    /** True if {@link #quantize(float[], int, int, float[], int, MemorySegment, long)} uses the weights. */
    default boolean usesImportance() {
        return false;
    }

    /** Bytes of a row of {@code n} weights. */
    default long rowBytes(int n) {
        return type().rowBytes(n);
    }
}

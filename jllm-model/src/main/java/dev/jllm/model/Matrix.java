package dev.jllm.model;

import dev.jllm.tensor.BlockFormat;
import dev.jllm.tensor.BlockFormats;
import java.lang.foreign.MemorySegment;

/**
 * A weight matrix W of shape (rows, cols) in any supported block format, rows contiguous
 * (GGUF dims {cols, rows}). y = W·x is one {@link BlockFormat#dot} per row.
 */
public record Matrix(String name, BlockFormat format, MemorySegment data, int rows, int cols) {

    public Matrix {
        long want = (long) rows * format.rowBytes(cols);
        if (data.byteSize() != want) {
            throw new IllegalArgumentException(name + ": " + data.byteSize() + " bytes for " + format.type() + " (" + rows + ", " + cols + "), expected " + want);
        }
    }

    static Matrix of(String name, dev.jllm.gguf.GgufTensorInfo t, MemorySegment data) {
        long[] d = t.dims();
        if (d.length != 2) throw new IllegalArgumentException("tensor '" + name + "' should be 2-D, has dims " + t.shape());
        if (!BlockFormats.supported(t.type())) {
            throw new IllegalArgumentException("tensor '" + name + "' has weight type " + t.type() + ", which jllm cannot compute with yet");
        }
        return new Matrix(name, BlockFormats.of(t.type()), data, Math.toIntExact(d[1]), Math.toIntExact(d[0]));
    }

    public long rowBytes() {
        return format.rowBytes(cols);
    }

    /** out[outOff + r] = W[r]·x[xOff..] for r in [r0, r1). */
    public void matvec(float[] x, int xOff, float[] out, int outOff, int r0, int r1) {
        long rb = rowBytes();
        for (int r = r0; r < r1; r++) out[outOff + r] = format.dot(data, r * rb, x, xOff, cols);
    }

    /** Row r decoded to floats (embedding lookup). */
    public void row(int r, float[] dst, int dstOff) {
        format.dequantize(data, r * rowBytes(), dst, dstOff, cols);
    }
}

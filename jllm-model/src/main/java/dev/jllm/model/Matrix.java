package dev.jllm.model;

import dev.jllm.tensor.BlockFormat;
import dev.jllm.tensor.BlockFormats;
import dev.jllm.tensor.PackedMatrix;
import dev.jllm.tensor.Parallel;
import java.lang.foreign.MemorySegment;

/**
 * A weight matrix W of shape (rows, cols) in any supported block format, rows contiguous
 * (GGUF dims {cols, rows}). y = W·x is one {@link BlockFormat#dot} per row; the quantized (Q4_0 … IQ4_XS) and F16/BF16
 * matrices also carry a copy repacked at load for 16- or 8-lane vectors ({@link PackedMatrix}), which {@link Matmul}
 * prefers. The stored rows stay in use for the rows past the last whole group of 16; row lookups
 * (embeddings) read the copy where it holds the row, so the mapped pages it replaces can be released
 * ({@link Weights}, {@link MappedPages}).
 */
public final class Matrix {
    private final String name;
    private final BlockFormat format;
    private final MemorySegment data;
    private final int rows, cols;
    private final PackedMatrix packed;

    public Matrix(String name, BlockFormat format, MemorySegment data, int rows, int cols) {
        this(name, format, data, rows, cols, null);
    }

    private Matrix(String name, BlockFormat format, MemorySegment data, int rows, int cols, PackedMatrix packed) {
        long want = (long) rows * format.rowBytes(cols);
        if (data.byteSize() != want) {
            throw new IllegalArgumentException(name + ": " + data.byteSize() + " bytes for " + format.type() + " (" + rows + ", " + cols + "), expected " + want);
        }
        this.name = name;
        this.format = format;
        this.data = data;
        this.rows = rows;
        this.cols = cols;
        this.packed = packed;
    }

    static Matrix of(String name, dev.jllm.gguf.GgufTensorInfo t, MemorySegment data) {
        long[] d = t.dims();
        if (d.length != 2) throw new IllegalArgumentException("tensor '" + name + "' should be 2-D, has dims " + t.shape());
        if (!BlockFormats.supported(t.type())) {
            throw new IllegalArgumentException("tensor '" + name + "' has weight type " + t.type() + ", which jllm cannot compute with yet");
        }
        return new Matrix(name, BlockFormats.of(t.type()), data, Math.toIntExact(d[1]), Math.toIntExact(d[0]));
    }

    /**
     * This matrix with a repacked copy of its weights if its format has one on this CPU, else itself:
     * what {@link Weights} does to every matrix at load. Public so that a matrix built by hand (the JMH
     * benchmarks in jllm-bench, tools) is multiplied by the same kernels as a loaded model's.
     */
    public Matrix packed(Parallel pool) {
        if (packed != null || !PackedMatrix.supports(format.type(), rows, cols)) return this;
        return new Matrix(name, format, data, rows, cols, PackedMatrix.pack(format.type(), data, 0, rows, cols, pool));
    }

    public String name() { return name; }

    public BlockFormat format() { return format; }

    public MemorySegment data() { return data; }

    public int rows() { return rows; }

    public int cols() { return cols; }

    /** The repacked copy, or null. */
    public PackedMatrix packed() { return packed; }

    public long rowBytes() {
        return format.rowBytes(cols);
    }

    /** out[outOff + r] = W[r]·x[xOff..] for r in [r0, r1), from the stored rows. */
    public void matvec(float[] x, int xOff, float[] out, int outOff, int r0, int r1) {
        long rb = rowBytes();
        for (int r = r0; r < r1; r++) out[outOff + r] = format.dot(data, r * rb, x, xOff, cols);
    }

    /**
     * Row r decoded to floats (embedding lookup). From the repacked copy when it holds the row (the
     * same floats): a tied embedding's mapped pages were released after repacking, and reading them
     * back would fault in up to 64 KiB of the file per token looked up (the kernel's fault-around).
     */
    public void row(int r, float[] dst, int dstOff) {
        if (packed != null && r < packed.groups() * PackedMatrix.GROUP) {
            packed.dequantizeRow(r, dst, dstOff);
            return;
        }
        format.dequantize(data, r * rowBytes(), dst, dstOff, cols);
    }

    @Override
    public String toString() {
        return "Matrix[" + name + ", " + format.type() + " (" + rows + ", " + cols + ")" + (packed != null ? ", packed" : "") + "]";
    }
}

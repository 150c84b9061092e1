package dev.jllm.model;

import dev.jllm.tensor.BlockFormat;
import dev.jllm.tensor.BlockFormats;
import dev.jllm.tensor.BlockGrid;
import dev.jllm.tensor.GgmlType;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * GPTQ's grid for a GGUF type: a group is one block (32 weights, 256 for K-types) of a row. Its
 * parameters (scale, min, sub-block scales) are what the type's own block quantizer chooses for the
 * group's current weights, importance-weighted when {@code importance} is given (llama.cpp's
 * quantize_*_impl); each weight is then rounded to the nearest level of that block's grid
 * ({@link BlockGrid}), so the matrix GPTQ leaves behind is {@link #bytes()}: ordinary blocks of the type.
 */
final class GgufGrid implements Gptq.Grid {
    private final GgmlType type;
    private final BlockFormat format;
    private final int rows, cols, block;
    private final long rowBytes, blockBytes;
    private final float[] importance;
    private final MemorySegment out;
    private final float[] a, b; // per (row, col): weight = a·level + b
    private final int lo, hi;

    GgufGrid(GgmlType type, int rows, int cols, float[] importance) {
        if (!BlockGrid.supports(type)) throw new IllegalArgumentException("GPTQ cannot round into " + type);
        if (cols % type.blockSize != 0) throw new IllegalArgumentException("rows of " + cols + " do not fit " + type + " blocks");
        this.type = type;
        this.format = BlockFormats.of(type);
        this.rows = rows;
        this.cols = cols;
        this.block = type.blockSize;
        this.rowBytes = type.rowBytes(cols);
        this.blockBytes = type.rowBytes(block);
        this.importance = importance;
        this.out = Arena.ofAuto().allocate(rows * rowBytes, 64);
        this.a = new float[rows * cols];
        this.b = new float[rows * cols];
        this.lo = BlockGrid.lo(type);
        this.hi = BlockGrid.hi(type);
    }

    @Override public int groupSize() { return block; }

    @Override
    public void findParams(int g, double[] w, int rows, int width) {
        float[] x = new float[width], ab = new float[2];
        for (int r = 0; r < rows; r++) {
            for (int j = 0; j < width; j++) x[j] = (float) w[r * width + j];
            long o = r * rowBytes + g * blockBytes;
            format.quantize(x, 0, width, importance, g * block, out, o);
            for (int j = 0; j < width; j++) {
                BlockGrid.affine(type, out, o, j, ab);
                a[r * cols + g * block + j] = ab[0];
                b[r * cols + g * block + j] = ab[1];
            }
        }
    }

    @Override
    public double quantize(int row, int col, double value) {
        float ai = a[row * cols + col], bi = b[row * cols + col];
        if (ai == 0) return bi; // a zero scale: every level decodes to b; the block quantizer's level stays
        int level = (int) Math.max(lo, Math.min(hi, Math.rint((value - bi) / ai)));
        BlockGrid.setLevel(type, out, row * rowBytes + (col / block) * blockBytes, col % block, level);
        return ai * level + bi;
    }

    /** The quantized matrix, rows × cols in the type's blocks. */
    MemorySegment bytes() { return out; }
}

package dev.jllm.train;

import dev.jllm.gguf.GgufFormatException;
import dev.jllm.gguf.GgufTensorInfo;
import dev.jllm.model.ModelFile;
import dev.jllm.tensor.BlockFormat;
import dev.jllm.tensor.BlockFormats;
import dev.jllm.tensor.Parallel;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;

/**
 * The frozen base of a LoRA run kept in its GGUF type (QLoRA's point, Dettmers et al. 2023): the
 * matrices stay in the memory-mapped file, quantized, and each is dequantized into one shared fp32
 * scratch only while a forward or backward product needs it — so a base fine-tunes in the memory of
 * its quantized file plus one matrix, not of its fp32 copy. The values are exactly those
 * {@link ModelIO#load} would produce (the same block decoders), so results do not change.
 */
public final class QuantizedBase implements AutoCloseable {
    private final ModelFile file;

    private QuantizedBase(ModelFile file) {
        this.file = file;
    }

    public static QuantizedBase open(Path path) throws IOException {
        ModelFile f = ModelFile.open(path);
        try {
            for (GgufTensorInfo t : f.tensors()) {
                if (!BlockFormats.supported(t.type())) {
                    throw new GgufFormatException(path + ": tensor '" + t.name() + "' has type " + t.type() + ", which jllm cannot read yet", -1);
                }
            }
            return new QuantizedBase(f);
        } catch (IOException | RuntimeException e) {
            f.close();
            throw e;
        }
    }

    private GgufTensorInfo info(String name) {
        GgufTensorInfo t = file.tensor(name);
        if (t == null) throw new IllegalArgumentException(file.path() + ": tensor '" + name + "' is missing");
        return t;
    }

    /** The whole matrix {@code name} (rows × cols, row-major) as fp32 into {@code dst}, rows spread over the pool. */
    public void matrix(String name, float[] dst, Parallel pool) {
        GgufTensorInfo t = info(name);
        int cols = Math.toIntExact(t.dims()[0]), rows = t.dims().length == 1 ? 1 : Math.toIntExact(t.dims()[1]);
        BlockFormat f = BlockFormats.of(t.type());
        MemorySegment data = file.tensorData(t);
        long rb = f.rowBytes(cols);
        Layers.forRange(pool, rows, cols, (r0, r1) -> {
            for (int r = r0; r < r1; r++) f.dequantize(data, r * rb, dst, r * cols, cols);
        });
    }

    /** Rows [r0, r0 + n) of matrix {@code name} as fp32 into {@code dst} (n × cols, row-major). */
    public void rows(String name, int r0, int n, float[] dst, Parallel pool) {
        GgufTensorInfo t = info(name);
        int cols = Math.toIntExact(t.dims()[0]);
        BlockFormat f = BlockFormats.of(t.type());
        MemorySegment data = file.tensorData(t);
        long rb = f.rowBytes(cols);
        Layers.forRange(pool, n, cols, (i0, i1) -> {
            for (int i = i0; i < i1; i++) f.dequantize(data, (r0 + i) * rb, dst, i * cols, cols);
        });
    }

    /** Row {@code r} of matrix {@code name} as fp32 into {@code dst[off..]} (token embeddings). */
    public void row(String name, int r, float[] dst, int off) {
        GgufTensorInfo t = info(name);
        int cols = Math.toIntExact(t.dims()[0]);
        BlockFormat f = BlockFormats.of(t.type());
        f.dequantize(file.tensorData(t), r * f.rowBytes(cols), dst, off, cols);
    }

    /** Bytes of the base's tensors as stored (what stays mapped). */
    public long bytes() {
        long n = 0;
        for (GgufTensorInfo t : file.tensors()) n += t.byteSize();
        return n;
    }

    /** Parameters of the base model. */
    public long parameterCount() {
        long n = 0;
        for (GgufTensorInfo t : file.tensors()) n += t.elementCount();
        return n;
    }

    @Override
    public void close() {
        file.close();
    }
}

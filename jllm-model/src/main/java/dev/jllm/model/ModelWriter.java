package dev.jllm.model;

import dev.jllm.gguf.GgufArray;
import dev.jllm.gguf.GgufValue;
import dev.jllm.gguf.GgufValueType;
import dev.jllm.gguf.GgufWriter;
import dev.jllm.tensor.BlockFormat;
import dev.jllm.tensor.BlockFormats;
import dev.jllm.tensor.GgmlType;
import java.io.OutputStream;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.function.LongConsumer;

/** Shared pieces for writing model GGUFs: hyperparameter metadata and row-by-row tensor encoding. */
public final class ModelWriter {
    private ModelWriter() {}

    /** Supplies row r of a tensor as floats. */
    @FunctionalInterface
    public interface RowSource {
        void row(long r, float[] dst);
    }

    /** Writes {@code <arch>.*} hyperparameters the way llama.cpp's converters do. */
    public static void putHyperparameters(GgufWriter w, ModelConfig c, String name) {
        String a = c.architecture();
        w.put("general.architecture", GgufValue.ofString(a));
        w.put("general.name", GgufValue.ofString(name));
        w.put(a + ".context_length", GgufValue.ofUInt32(c.contextLength()));
        w.put(a + ".embedding_length", GgufValue.ofUInt32(c.dim()));
        w.put(a + ".feed_forward_length", GgufValue.ofUInt32(c.hiddenDim()));
        w.put(a + ".block_count", GgufValue.ofUInt32(c.nLayers()));
        w.put(a + ".attention.head_count", GgufValue.ofUInt32(c.nHeads()));
        w.put(a + ".attention.head_count_kv", GgufValue.ofUInt32(c.nKvHeads()));
        w.put(a + ".attention.key_length", GgufValue.ofUInt32(c.headDim()));
        w.put(a + ".attention.value_length", GgufValue.ofUInt32(c.headDim()));
        w.put(a + ".rope.dimension_count", GgufValue.ofUInt32(c.rope().dimensionCount()));
        w.put(a + ".rope.freq_base", GgufValue.ofFloat32(c.ropeTheta()));
        if (!c.rope().scalingType().equals("none")) {
            w.put(a + ".rope.scaling.type", GgufValue.ofString(c.rope().scalingType()));
            if (c.rope().scalingType().equals("linear")) w.put(a + ".rope.scaling.factor", GgufValue.ofFloat32(c.rope().positionScale()));
        }
        w.put(a + ".attention.layer_norm_rms_epsilon", GgufValue.ofFloat32(c.rmsEps()));
        w.put(a + ".vocab_size", GgufValue.ofUInt32(c.vocabSize()));
    }

    /**
     * A SentencePiece-style vocabulary of {@code n} tokens for models without one (benchmarks):
     * &lt;unk&gt;, &lt;s&gt;, &lt;/s&gt;, 256 byte tokens, then "▁tokN" pieces; loadable by jllm and llama.cpp.
     */
    public static void putSyntheticVocab(GgufWriter w, int n) {
        if (n < 259) throw new IllegalArgumentException("vocab must be >= 259 (3 specials + 256 bytes), got " + n);
        String[] tokens = new String[n];
        float[] scores = new float[n];
        int[] types = new int[n];
        tokens[0] = "<unk>"; types[0] = 2;
        tokens[1] = "<s>"; types[1] = 3;
        tokens[2] = "</s>"; types[2] = 3;
        for (int b = 0; b < 256; b++) {
            tokens[3 + b] = String.format("<0x%02X>", b);
            types[3 + b] = 6;
        }
        for (int i = 259; i < n; i++) {
            tokens[i] = "▁tok" + i;
            types[i] = 1;
            scores[i] = -(i - 259);
        }
        w.put("tokenizer.ggml.model", GgufValue.ofString("llama"));
        w.put("tokenizer.ggml.tokens", GgufValue.ofArray(GgufArray.ofStrings(tokens)));
        w.put("tokenizer.ggml.scores", GgufValue.ofArray(GgufArray.ofFloats(scores)));
        w.put("tokenizer.ggml.token_type", GgufValue.ofArray(new GgufArray(GgufValueType.INT32, types)));
        w.put("tokenizer.ggml.bos_token_id", GgufValue.ofUInt32(1));
        w.put("tokenizer.ggml.eos_token_id", GgufValue.ofUInt32(2));
        w.put("tokenizer.ggml.unknown_token_id", GgufValue.ofUInt32(0));
    }

    /**
     * Encodes {@code rows} rows of {@code cols} floats from {@code src} into {@code type}, streaming
     * (one row in memory at a time); {@code progress} receives bytes written.
     */
    public static GgufWriter.TensorData encode(GgmlType type, long rows, int cols, RowSource src, LongConsumer progress) {
        return encode(type, rows, cols, src, null, progress);
    }

    /**
     * As {@link #encode(GgmlType, long, int, RowSource, LongConsumer)} with importance weights: {@code qw}
     * (one per column, llama.cpp's imatrix) handed to the type's weighted quantizer; null for none.
     */
    public static GgufWriter.TensorData encode(GgmlType type, long rows, int cols, RowSource src, float[] qw, LongConsumer progress) {
        if (qw != null && qw.length != cols) throw new IllegalArgumentException(qw.length + " importance weights for rows of " + cols);
        BlockFormat f = BlockFormats.of(type);
        int rowBytes = (int) type.rowBytes(cols);
        return (OutputStream out) -> {
            float[] row = new float[cols];
            int batch = Math.max(1, (1 << 20) / Math.max(1, rowBytes));
            byte[] buf = new byte[batch * rowBytes];
            MemorySegment seg = MemorySegment.ofArray(buf);
            long r = 0;
            while (r < rows) {
                int n = (int) Math.min(batch, rows - r);
                for (int i = 0; i < n; i++) {
                    src.row(r + i, row);
                    if (type == GgmlType.F32) MemorySegment.copy(row, 0, seg, ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(java.nio.ByteOrder.LITTLE_ENDIAN), (long) i * rowBytes, cols);
                    else f.quantize(row, 0, cols, qw, 0, seg, (long) i * rowBytes);
                }
                out.write(buf, 0, n * rowBytes);
                if (progress != null) progress.accept((long) n * rowBytes);
                r += n;
            }
        };
    }

}

package dev.jllm.model;

import dev.jllm.gguf.GgufTensorInfo;
import dev.jllm.gguf.GgufValue;
import dev.jllm.gguf.GgufWriter;
import dev.jllm.tensor.GgmlType;
import java.io.IOException;
import java.nio.file.Path;
import java.util.SplittableRandom;
import java.util.function.LongConsumer;

/**
 * Writes a model of any shape with random weights (GPT-2-style init: N(0, 0.02), norms 1): the
 * starting point for pretraining and the subject of speed benchmarks (speed depends only on shape
 * and weight type). Tensors are generated row by row, so a 1B model never sits in memory.
 */
public final class RandomModel {
    private RandomModel() {}

    /** Default init: N(0, 0.02) as GPT-2 / llama initialisers use. */
    public static final double DEFAULT_STD = 0.02;

    public static void write(ModelConfig c, GgmlType type, long seed, Path out, LongConsumer progress) throws IOException {
        write(c, type, seed, DEFAULT_STD, out, progress);
    }

    /**
     * {@code std}: standard deviation of the weights. Larger values (e.g. 0.5) make a random model's
     * predictions peaked, which is what cross-implementation checks need (greedy choices with wide
     * margins instead of near-ties).
     */
    public static void write(ModelConfig c, GgmlType type, long seed, double std, Path out, LongConsumer progress) throws IOException {
        if (!(std > 0 && std < 100)) throw new IllegalArgumentException("init std must be in (0, 100), got " + std);
        Architecture arch = Architecture.of(c.architecture());
        GgufWriter w = new GgufWriter();
        ModelWriter.putHyperparameters(w, c, "jllm-random-" + c.architecture());
        w.put("general.file_type", GgufValue.ofUInt32(fileType(type)));
        ModelWriter.putSyntheticVocab(w, c.vocabSize());
        int index = 0;
        for (GgufTensorInfo t : LlamaLayout.tensors(c, type)) {
            addTensor(w, t.name(), t.dims(), t.dims().length == 1 ? GgmlType.F32 : matrixType(type, t.dims()[0]), seed + index++, std, progress);
            if (arch == Architecture.QWEN2 && t.name().endsWith("attn_v.weight")) {
                String p = t.name().substring(0, t.name().indexOf("attn_v"));
                addTensor(w, p + "attn_q.bias", new long[] {c.qDim()}, GgmlType.F32, seed + index++, std, progress);
                addTensor(w, p + "attn_k.bias", new long[] {c.kvDim()}, GgmlType.F32, seed + index++, std, progress);
                addTensor(w, p + "attn_v.bias", new long[] {c.kvDim()}, GgmlType.F32, seed + index++, std, progress);
            }
            if (arch == Architecture.QWEN3 && t.name().endsWith("attn_norm.weight")) {
                String p = t.name().substring(0, t.name().indexOf("attn_norm"));
                addTensor(w, p + "attn_q_norm.weight", new long[] {c.headDim()}, GgmlType.F32, -1, std, progress);
                addTensor(w, p + "attn_k_norm.weight", new long[] {c.headDim()}, GgmlType.F32, -1, std, progress);
            }
        }
        w.write(out);
    }

    /** A matrix whose rows don't fit the block size stays F16 (as llama.cpp's fallback does). */
    static GgmlType matrixType(GgmlType type, long rowLength) {
        return rowLength % type.blockSize == 0 ? type : GgmlType.F16;
    }

    /** seed < 0: all ones (norm weights); 1-D tensors with a seed are biases: small random. */
    private static void addTensor(GgufWriter w, String name, long[] dims, GgmlType type, long seed, double std, LongConsumer progress) {
        int cols = (int) dims[0];
        long rows = dims.length == 1 ? 1 : dims[1];
        boolean norm = name.endsWith("norm.weight");
        w.addTensor(name, type, dims, ModelWriter.encode(type, rows, cols, (r, dst) -> {
            if (norm) {
                java.util.Arrays.fill(dst, 1f);
                return;
            }
            SplittableRandom rnd = new SplittableRandom(seed * 1_000_003L + r);
            for (int i = 0; i < dst.length; i++) dst[i] = (float) (rnd.nextGaussian() * std);
        }, progress));
    }

    /** llama.cpp's general.file_type (llama_ftype) for a uniform model of this type. */
    static int fileType(GgmlType t) {
        return switch (t) {
            case F32 -> 0; case F16 -> 1; case Q4_0 -> 2; case Q4_1 -> 3; case Q8_0 -> 7; case Q5_0 -> 8; case Q5_1 -> 9;
            case Q4_K -> 15; case Q5_K -> 17; case Q6_K -> 18; case IQ4_NL -> 25; case IQ4_XS -> 30; case BF16 -> 32;
            default -> 0;
        };
    }
}

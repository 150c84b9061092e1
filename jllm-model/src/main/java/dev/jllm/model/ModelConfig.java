package dev.jllm.model;

import dev.jllm.gguf.GgufFile;
import dev.jllm.gguf.GgufFormatException;
import dev.jllm.gguf.GgufTensorInfo;

/**
 * Hyperparameters of a LLaMA-family decoder, validated on construction.
 *
 * @param architecture   {@code general.architecture} (llama, qwen2, qwen3, ...)
 * @param dim            model width d ({@code embedding_length})
 * @param hiddenDim      SwiGLU inner width ({@code feed_forward_length})
 * @param nLayers        decoder blocks ({@code block_count})
 * @param nHeads         query heads
 * @param nKvHeads       key/value heads (GQA: nHeads is a multiple of it)
 * @param headDim        width of one head ({@code attention.key_length}, default dim / nHeads)
 * @param vocabSize      rows of the token embedding
 * @param contextLength  trained context ({@code context_length})
 * @param rmsEps         RMSNorm epsilon
 * @param ropeTheta      RoPE base frequency
 * @param tiedEmbeddings output projection shares the token embedding (no {@code output.weight})
 */
public record ModelConfig(String architecture, int dim, int hiddenDim, int nLayers, int nHeads, int nKvHeads, int headDim,
                          int vocabSize, int contextLength, float rmsEps, float ropeTheta, boolean tiedEmbeddings) {

    public ModelConfig {
        require(dim > 0, "embedding_length (dim) must be > 0, got " + dim);
        require(hiddenDim > 0, "feed_forward_length must be > 0, got " + hiddenDim);
        require(nLayers > 0, "block_count must be > 0, got " + nLayers);
        require(nHeads > 0, "attention.head_count must be > 0, got " + nHeads);
        require(nKvHeads > 0 && nHeads % nKvHeads == 0,
                "attention.head_count_kv must divide head_count " + nHeads + ", got " + nKvHeads);
        require(headDim > 0 && headDim % 2 == 0, "head dimension must be even and > 0 (RoPE rotates pairs), got " + headDim);
        require(vocabSize > 0, "vocab size must be > 0, got " + vocabSize);
        require(contextLength > 0, "context_length must be > 0, got " + contextLength);
        require(rmsEps > 0 && rmsEps < 1, "layer_norm_rms_epsilon must be in (0, 1), got " + rmsEps);
        require(ropeTheta > 0, "rope.freq_base must be > 0, got " + ropeTheta);
    }

    private static void require(boolean ok, String message) {
        if (!ok) throw new IllegalArgumentException("invalid model config: " + message);
    }

    /** Width of all query heads together. */
    public int qDim() { return nHeads * headDim; }

    /** Width of all key (or value) heads together. */
    public int kvDim() { return nKvHeads * headDim; }

    /** Reads the config from GGUF metadata ({@code <arch>.*} keys) and tensor shapes. */
    public static ModelConfig fromGguf(GgufFile f) throws GgufFormatException {
        String arch = f.getString("general.architecture");
        if (arch == null) throw new GgufFormatException(f.path() + ": metadata key 'general.architecture' is missing", -1);
        int dim = requiredInt(f, arch + ".embedding_length");
        int nHeads = requiredInt(f, arch + ".attention.head_count");
        int vocab = (int) f.getLong(arch + ".vocab_size", -1);
        GgufTensorInfo embd = f.tensor("token_embd.weight");
        if (vocab < 0 && f.getArray("tokenizer.ggml.tokens") != null) vocab = f.getArray("tokenizer.ggml.tokens").length();
        if (vocab < 0 && embd != null && embd.dims().length == 2) vocab = (int) embd.dims()[1];
        try {
            return new ModelConfig(arch, dim,
                    requiredInt(f, arch + ".feed_forward_length"),
                    requiredInt(f, arch + ".block_count"),
                    nHeads,
                    (int) f.getLong(arch + ".attention.head_count_kv", nHeads),
                    (int) f.getLong(arch + ".attention.key_length", nHeads > 0 ? dim / nHeads : 0),
                    vocab,
                    (int) f.getLong(arch + ".context_length", 2048),
                    (float) f.getDouble(arch + ".attention.layer_norm_rms_epsilon", 1e-5),
                    (float) f.getDouble(arch + ".rope.freq_base", 10000.0),
                    f.tensor("output.weight") == null);
        } catch (IllegalArgumentException e) {
            throw new GgufFormatException(f.path() + ": " + e.getMessage(), -1);
        }
    }

    private static int requiredInt(GgufFile f, String key) throws GgufFormatException {
        long v = f.getLong(key, Long.MIN_VALUE);
        if (v == Long.MIN_VALUE) throw new GgufFormatException(f.path() + ": metadata key '" + key + "' is missing", -1);
        if (v < 0 || v > Integer.MAX_VALUE) throw new GgufFormatException(f.path() + ": metadata key '" + key + "' = " + v + " is out of range", -1);
        return (int) v;
    }
}

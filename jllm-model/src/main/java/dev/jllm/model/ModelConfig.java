package dev.jllm.model;

import dev.jllm.gguf.GgufFile;
import dev.jllm.gguf.GgufFormatException;
import dev.jllm.gguf.GgufTensorInfo;
import java.util.Objects;

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
 * @param ropeTheta      RoPE base frequency ({@code rope.freq_base})
 * @param tiedEmbeddings output projection shares the token embedding (no {@code output.weight})
 * @param rope           the other RoPE settings: rotated dimensions and position scaling
 */
public record ModelConfig(String architecture, int dim, int hiddenDim, int nLayers, int nHeads, int nKvHeads, int headDim,
                          int vocabSize, int contextLength, float rmsEps, float ropeTheta, boolean tiedEmbeddings, Rope rope) {

    /**
     * RoPE settings beside the base frequency ({@link ModelConfig#ropeTheta}), from {@code <arch>.rope.*}.
     * The Llama 3 frequency factors are a tensor ({@code rope_freqs.weight}) and stay with {@link Weights}.
     *
     * @param dimensionCount rotated dimensions per head ({@code rope.dimension_count}, the head width when
     *                       absent); even and in 2..headDim, which {@link ModelConfig} checks
     * @param scalingType    {@code rope.scaling.type} as written, "none" when absent. Only none and linear (or
     *                       another type with Llama 3's rope_freqs tensor) can run; {@link Weights} refuses the
     *                       rest, so that such a model can still be opened and inspected
     * @param positionScale  positions are divided by this before rotating: {@code rope.scaling.factor} when the
     *                       type is linear (default 1), else 1
     */
    public record Rope(int dimensionCount, String scalingType, float positionScale) {
        public Rope {
            Objects.requireNonNull(scalingType, "scalingType");
            require(positionScale > 0 && Float.isFinite(positionScale), "rope.scaling.factor must be a positive number, got " + positionScale);
        }

        /** Every dimension of a {@code headDim}-wide head rotated, no scaling: llama2.c checkpoints, presets, configs built in code. */
        public static Rope full(int headDim) {
            return new Rope(headDim, "none", 1f);
        }
    }

    /** A config whose RoPE rotates the whole head, unscaled ({@link Rope#full}). */
    public ModelConfig(String architecture, int dim, int hiddenDim, int nLayers, int nHeads, int nKvHeads, int headDim,
                       int vocabSize, int contextLength, float rmsEps, float ropeTheta, boolean tiedEmbeddings) {
        this(architecture, dim, hiddenDim, nLayers, nHeads, nKvHeads, headDim, vocabSize, contextLength, rmsEps, ropeTheta, tiedEmbeddings,
                Rope.full(headDim));
    }

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
        Objects.requireNonNull(rope, "rope");
        int rd = rope.dimensionCount();
        require(rd > 0 && rd <= headDim && rd % 2 == 0, "rope.dimension_count " + rd + " must be even and in 2.." + headDim);
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
        int headDim = (int) f.getLong(arch + ".attention.key_length", nHeads > 0 ? dim / nHeads : 0);
        String scaling = f.getString(arch + ".rope.scaling.type");
        if (scaling == null) scaling = "none";
        float positionScale = scaling.equals("linear") ? (float) f.getDouble(arch + ".rope.scaling.factor", 1.0) : 1f;
        try {
            return new ModelConfig(arch, dim,
                    requiredInt(f, arch + ".feed_forward_length"),
                    requiredInt(f, arch + ".block_count"),
                    nHeads,
                    (int) f.getLong(arch + ".attention.head_count_kv", nHeads),
                    headDim,
                    vocab,
                    (int) f.getLong(arch + ".context_length", 2048),
                    (float) f.getDouble(arch + ".attention.layer_norm_rms_epsilon", 1e-5),
                    (float) f.getDouble(arch + ".rope.freq_base", 10000.0),
                    f.tensor("output.weight") == null,
                    new Rope((int) f.getLong(arch + ".rope.dimension_count", headDim), scaling, positionScale));
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

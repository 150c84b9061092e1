package dev.jllm.model;

import dev.jllm.gguf.GgufFormatException;
import dev.jllm.gguf.GgufTensorInfo;
import dev.jllm.tensor.BlockFormats;
import dev.jllm.tensor.PackedMatrix;
import dev.jllm.tensor.Parallel;

/**
 * All weights of a model, as zero-copy views of the mapped file (matrices) or small float arrays
 * (norms, biases). Names are GGUF tensor names; shapes in PyTorch order (out, in).
 */
public final class Weights {
    /** One decoder block. Nullable fields are absent in some architectures. */
    public record Layer(
            float[] attnNorm,   // (dim)
            Matrix wq,          // (n_heads · hd, dim)
            Matrix wk,          // (n_kv · hd, dim)
            Matrix wv,          // (n_kv · hd, dim)
            Matrix wo,          // (dim, n_heads · hd)
            float[] bq,         // (n_heads · hd) qwen2 only
            float[] bk,         // (n_kv · hd)    qwen2 only
            float[] bv,         // (n_kv · hd)    qwen2 only
            float[] qNorm,      // (hd) qwen3 only
            float[] kNorm,      // (hd) qwen3 only
            float[] ffnNorm,    // (dim)
            Matrix gate,        // (hidden, dim)  w1
            Matrix up,          // (hidden, dim)  w3
            Matrix down) {}     // (dim, hidden)  w2

    public final ModelConfig config;
    public final Architecture arch;
    public final Matrix tokenEmbedding; // (vocab, dim)
    public final Layer[] layers;
    public final float[] outputNorm;    // (dim)
    public final Matrix output;         // (vocab, dim); the embedding itself when tied
    /** Llama 3.1+ RoPE frequency divisors (rope_freqs.weight, n_rot/2), or null. The other RoPE settings are {@link ModelConfig#rope()}. */
    public final float[] ropeFreqFactors;
    /** Bytes of mapped file pages given back to the OS after repacking ({@link MappedPages}); 0 without repacking. */
    private long released;

    public Weights(ModelFile f) throws GgufFormatException {
        this(f, true);
    }

    /**
     * @param repack whether to give Q4_0/Q4_1/Q5_0/Q5_1/Q8_0/Q4_K/Q5_K/Q6_K/IQ4/F16/BF16 matrices a copy repacked for the fast kernels
     *               ({@link Matrix#packed()}: off-heap, packed on all cores at load). The mapped pages of
     *               the rows each copy replaces are then released ({@link MappedPages}), so the weights
     *               are resident once, not twice. An untied token embedding is only looked up by row,
     *               never multiplied: it is not repacked and stays mapped (only the rows read are resident).
     */
    public Weights(ModelFile f, boolean repack) throws GgufFormatException {
        try (Parallel pool = repack ? new Parallel(Runtime.getRuntime().availableProcessors()) : null) {
            this.config = f.config();
            this.arch = Architecture.of(config.architecture());
            ModelConfig c = config;
            refuseUnusedBiases(f);
            boolean tied = f.tensor("output.weight") == null;
            this.tokenEmbedding = matrix(f, tied ? pool : null, "token_embd.weight", c.vocabSize(), c.dim());
            this.layers = new Layer[c.nLayers()];
            for (int l = 0; l < c.nLayers(); l++) {
                String p = "blk." + l + ".";
                layers[l] = new Layer(
                        vector(f, p + "attn_norm.weight", c.dim(), true),
                        matrix(f, pool, p + "attn_q.weight", c.qDim(), c.dim()),
                        matrix(f, pool, p + "attn_k.weight", c.kvDim(), c.dim()),
                        matrix(f, pool, p + "attn_v.weight", c.kvDim(), c.dim()),
                        matrix(f, pool, p + "attn_output.weight", c.dim(), c.qDim()),
                        vector(f, p + "attn_q.bias", c.qDim(), false),
                        vector(f, p + "attn_k.bias", c.kvDim(), false),
                        vector(f, p + "attn_v.bias", c.kvDim(), false),
                        vector(f, p + "attn_q_norm.weight", c.headDim(), arch == Architecture.QWEN3),
                        vector(f, p + "attn_k_norm.weight", c.headDim(), arch == Architecture.QWEN3),
                        vector(f, p + "ffn_norm.weight", c.dim(), true),
                        matrix(f, pool, p + "ffn_gate.weight", c.hiddenDim(), c.dim()),
                        matrix(f, pool, p + "ffn_up.weight", c.hiddenDim(), c.dim()),
                        matrix(f, pool, p + "ffn_down.weight", c.dim(), c.hiddenDim()));
            }
            this.outputNorm = vector(f, "output_norm.weight", c.dim(), true);
            this.output = tied ? tokenEmbedding : matrix(f, pool, "output.weight", c.vocabSize(), c.dim());
            String scaling = c.rope().scalingType();
            if (!scaling.equals("none") && !scaling.equals("linear") && f.tensor("rope_freqs.weight") == null) {
                throw new GgufFormatException(f.path() + ": rope.scaling.type '" + scaling + "' is not supported; supported: none, linear,"
                        + " and Llama 3 rope_freqs", -1);
            }
            this.ropeFreqFactors = vector(f, "rope_freqs.weight", c.rope().dimensionCount() / 2, false);
        }
    }

    /**
     * A bias the forward pass does not add (e.g. Llama checkpoints with {@code o_proj}/MLP biases, which
     * HF → GGUF conversion keeps as attn_output.bias / ffn_*.bias) would silently change every output:
     * refuse the file instead, naming the tensor.
     */
    private static void refuseUnusedBiases(ModelFile f) throws GgufFormatException {
        for (var t : f.tensors()) {
            String n = t.name();
            if (n.endsWith(".bias") && !n.matches("blk\\.\\d+\\.attn_[qkv]\\.bias")) {
                throw new GgufFormatException(f.path() + ": tensor '" + n + "' is a bias jllm's engine does not apply (it adds only"
                        + " attn_q/k/v biases); running the model without it would give wrong outputs. llama.cpp runs such files", -1);
            }
        }
    }

    private Weights(ModelConfig config, Architecture arch, Matrix tokenEmbedding, Layer[] layers, float[] outputNorm, Matrix output,
                    float[] ropeFreqFactors) {
        this.config = config;
        this.arch = arch;
        this.tokenEmbedding = tokenEmbedding;
        this.layers = layers;
        this.outputNorm = outputNorm;
        this.output = output;
        this.ropeFreqFactors = ropeFreqFactors;
    }

    /**
     * These weights with a LoRA adapter merged in: every adapted matrix becomes W + strength·s·B·A,
     * computed in fp32 from W's dequantized rows and kept as an F32 matrix (the others are shared,
     * untouched). What {@code jllm generate/chat --lora} run; llama.cpp's {@code --lora-scaled} is
     * {@code strength}.
     */
    public Weights withAdapter(LoraAdapter adapter, float strength) {
        if (!adapter.architecture.equals(config.architecture())) {
            throw new IllegalArgumentException("the adapter is for architecture '" + adapter.architecture + "', the model is '"
                    + config.architecture() + "'");
        }
        java.util.Set<String> used = new java.util.HashSet<>();
        float s = adapter.scale() * strength;
        Layer[] ls = new Layer[layers.length];
        for (int l = 0; l < layers.length; l++) {
            Layer x = layers[l];
            String p = "blk." + l + ".";
            ls[l] = new Layer(x.attnNorm(), merge(x.wq(), adapter, p + "attn_q.weight", s, used), merge(x.wk(), adapter, p + "attn_k.weight", s, used),
                    merge(x.wv(), adapter, p + "attn_v.weight", s, used), merge(x.wo(), adapter, p + "attn_output.weight", s, used),
                    x.bq(), x.bk(), x.bv(), x.qNorm(), x.kNorm(), x.ffnNorm(),
                    merge(x.gate(), adapter, p + "ffn_gate.weight", s, used), merge(x.up(), adapter, p + "ffn_up.weight", s, used),
                    merge(x.down(), adapter, p + "ffn_down.weight", s, used));
        }
        for (String name : adapter.pairs.keySet()) {
            if (!used.contains(name)) {
                throw new IllegalArgumentException("the adapter adapts '" + name + "', which this model does not have (or jllm cannot adapt yet:"
                        + " the token embedding and the output matrix)");
            }
        }
        return new Weights(config, arch, tokenEmbedding, ls, outputNorm, output, ropeFreqFactors);
    }

    private static Matrix merge(Matrix w, LoraAdapter a, String name, float scale, java.util.Set<String> used) {
        LoraAdapter.Pair p = a.pairs.get(name);
        if (p == null) return w;
        if (p.in() != w.cols() || p.out() != w.rows()) {
            throw new IllegalArgumentException("the adapter's " + name + " is for a (" + p.out() + ", " + p.in() + ") matrix, the model's is ("
                    + w.rows() + ", " + w.cols() + ")");
        }
        used.add(name);
        dev.jllm.tensor.BlockFormat f32 = dev.jllm.tensor.BlockFormats.of(dev.jllm.tensor.GgmlType.F32);
        java.lang.foreign.MemorySegment out = java.lang.foreign.Arena.ofAuto().allocate((long) w.rows() * w.cols() * 4, 64);
        float[] row = new float[w.cols()];
        long rb = w.rowBytes();
        for (int r = 0; r < w.rows(); r++) {
            w.format().dequantize(w.data(), r * rb, row, 0, w.cols());
            LoraAdapter.mergeRow(p, scale, r, row);
            java.lang.foreign.MemorySegment.copy(row, 0, out, java.lang.foreign.ValueLayout.JAVA_FLOAT_UNALIGNED, (long) r * w.cols() * 4, w.cols());
        }
        releaseRepackedRows(w); // the merge read every stored row back in; the base's kernels use only its packed copy
        return new Matrix(name, f32, out, w.rows(), w.cols());
    }

    /** Bytes of the mapped file's pages released after repacking (what RSS saves against keeping both copies). */
    public long mappedBytesReleased() {
        return released;
    }

    /**
     * Releases the mapped pages of the rows {@code m}'s repacked copy replaces (rows past the last whole
     * group of 16 stay: {@link Matmul} reads them from the file).
     */
    static long releaseRepackedRows(Matrix m) {
        if (m.packed() == null) return 0;
        return MappedPages.release(m.data(), 0, (long) m.packed().groups() * PackedMatrix.GROUP * m.rowBytes());
    }

    private Matrix matrix(ModelFile f, Parallel pool, String name, int rows, int cols) throws GgufFormatException {
        GgufTensorInfo t = f.tensor(name);
        if (t == null) throw new GgufFormatException(f.path() + ": tensor '" + name + "' is missing", -1);
        long[] d = t.dims();
        if (d.length != 2 || d[0] != cols || d[1] != rows) {
            throw new GgufFormatException(f.path() + ": tensor '" + name + "' has dims " + t.shape() + ", expected [" + cols + ", " + rows + "]", -1);
        }
        try {
            Matrix m = Matrix.of(name, t, f.tensorData(t));
            if (pool == null) return m;
            Matrix p = m.packed(pool);
            released += releaseRepackedRows(p);
            return p;
        } catch (IllegalArgumentException e) {
            throw new GgufFormatException(f.path() + ": " + e.getMessage(), -1);
        }
    }

    private static float[] vector(ModelFile f, String name, int n, boolean required) throws GgufFormatException {
        GgufTensorInfo t = f.tensor(name);
        if (t == null) {
            if (required) throw new GgufFormatException(f.path() + ": tensor '" + name + "' is missing", -1);
            return null;
        }
        if (t.elementCount() != n) {
            throw new GgufFormatException(f.path() + ": tensor '" + name + "' has " + t.elementCount() + " elements, expected " + n, -1);
        }
        if (!BlockFormats.supported(t.type())) {
            throw new GgufFormatException(f.path() + ": tensor '" + name + "' has unsupported type " + t.type(), -1);
        }
        float[] v = new float[n];
        BlockFormats.of(t.type()).dequantize(f.tensorData(t), 0, v, 0, n);
        return v;
    }
}

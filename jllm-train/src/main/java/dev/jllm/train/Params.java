package dev.jllm.train;

import dev.jllm.gguf.GgufTensorInfo;
import dev.jllm.model.LlamaLayout;
import dev.jllm.model.ModelConfig;
import dev.jllm.tensor.GgmlType;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * One fp32 array per model tensor, named and ordered exactly as {@link LlamaLayout} (the GGUF names
 * the engine loads), used for the weights, their gradients and the two AdamW moments alike. Shapes
 * in PyTorch order (out, in); a matrix is row-major, one output row after another.
 */
public final class Params implements Tensors {
    /** One named tensor: {@code dims} in ggml order (row length first), as in the GGUF file. */
    public record Tensor(String name, long[] dims, float[] data) {
        public int size() { return data.length; }
        /** Norm gains and embeddings: no weight decay by default (GPT-2/LLaMA practice). */
        public boolean isNorm() { return name.endsWith("norm.weight"); }
        public boolean isEmbedding() { return name.equals("token_embd.weight"); }
    }

    /** One decoder block's tensors. */
    public record Layer(
            float[] attnNorm,  // (C)
            float[] wq,        // (NH·HD, C)
            float[] wk,        // (NKV·HD, C)
            float[] wv,        // (NKV·HD, C)
            float[] wo,        // (C, NH·HD)
            float[] ffnNorm,   // (C)
            float[] gate,      // (H, C)  w1
            float[] up,        // (H, C)  w3
            float[] down) {}   // (C, H)  w2

    public final ModelConfig config;
    public final float[] tokenEmbd;   // (V, C)
    public final Layer[] layers;
    public final float[] outputNorm;  // (C)
    public final float[] output;      // (V, C); the same array as tokenEmbd when tied
    private final List<Tensor> tensors;

    /** All-zero tensors for {@code c} (weights to be filled, gradients, moments). */
    public Params(ModelConfig c) {
        this(c, true);
    }

    /**
     * @param matrices false: only the 1-D tensors (norm gains) get storage, every matrix an empty
     *                 array — the shape of a frozen base whose matrices stay quantized ({@link QuantizedBase})
     */
    public Params(ModelConfig c, boolean matrices) {
        if (!c.architecture().equals("llama")) {
            throw new IllegalArgumentException("training supports the llama architecture only, got '" + c.architecture() + "'");
        }
        this.config = c;
        List<Tensor> t = new ArrayList<>();
        for (GgufTensorInfo info : LlamaLayout.tensors(c, GgmlType.F32)) {
            boolean keep = matrices || info.dims().length == 1;
            t.add(new Tensor(info.name(), info.dims(), new float[keep ? Math.toIntExact(info.elementCount()) : 0]));
        }
        this.tensors = Collections.unmodifiableList(t);
        this.tokenEmbd = get("token_embd.weight");
        this.layers = new Layer[c.nLayers()];
        for (int l = 0; l < c.nLayers(); l++) {
            String p = "blk." + l + ".";
            layers[l] = new Layer(get(p + "attn_norm.weight"), get(p + "attn_q.weight"), get(p + "attn_k.weight"),
                    get(p + "attn_v.weight"), get(p + "attn_output.weight"), get(p + "ffn_norm.weight"),
                    get(p + "ffn_gate.weight"), get(p + "ffn_up.weight"), get(p + "ffn_down.weight"));
        }
        this.outputNorm = get("output_norm.weight");
        this.output = c.tiedEmbeddings() ? tokenEmbd : get("output.weight");
    }

    /** Tensors in file order. */
    @Override
    public List<Tensor> tensors() { return tensors; }

    public float[] get(String name) {
        for (Tensor t : tensors) if (t.name().equals(name)) return t.data();
        throw new IllegalArgumentException("no tensor '" + name + "'");
    }

    /** Total number of parameters. */
    public long count() {
        long n = 0;
        for (Tensor t : tensors) n += t.size();
        return n;
    }

    @Override
    public void zero() {
        for (Tensor t : tensors) java.util.Arrays.fill(t.data(), 0f);
    }

    /** Copies every value from {@code o} (same config). */
    public void copyFrom(Params o) {
        for (int i = 0; i < tensors.size(); i++) {
            System.arraycopy(o.tensors.get(i).data(), 0, tensors.get(i).data(), 0, tensors.get(i).size());
        }
    }
}

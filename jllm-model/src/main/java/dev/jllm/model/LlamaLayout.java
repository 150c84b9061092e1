package dev.jllm.model;

import dev.jllm.gguf.GgufTensorInfo;
import dev.jllm.tensor.GgmlType;
import java.util.ArrayList;
import java.util.List;

/**
 * The tensors a LLaMA-family model has, by GGUF name, with ggml dims (row length first).
 * Used to plan models that are only a config (e.g. "a Llama-3.2-1B-shaped model") and by
 * {@code jllm init} to lay out new models.
 */
public final class LlamaLayout {
    private LlamaLayout() {}

    /**
     * Tensor infos for {@code c}: matrices of type {@code matrixType}, 1-D norms F32 (as llama.cpp
     * keeps them). Offsets are 0 (a layout, not a file).
     */
    public static List<GgufTensorInfo> tensors(ModelConfig c, GgmlType matrixType) {
        List<GgufTensorInfo> t = new ArrayList<>();
        t.add(new GgufTensorInfo("token_embd.weight", new long[] {c.dim(), c.vocabSize()}, matrixType, 0));
        for (int l = 0; l < c.nLayers(); l++) {
            String p = "blk." + l + ".";
            t.add(new GgufTensorInfo(p + "attn_norm.weight", new long[] {c.dim()}, GgmlType.F32, 0));
            t.add(new GgufTensorInfo(p + "attn_q.weight", new long[] {c.dim(), c.qDim()}, matrixType, 0));
            t.add(new GgufTensorInfo(p + "attn_k.weight", new long[] {c.dim(), c.kvDim()}, matrixType, 0));
            t.add(new GgufTensorInfo(p + "attn_v.weight", new long[] {c.dim(), c.kvDim()}, matrixType, 0));
            t.add(new GgufTensorInfo(p + "attn_output.weight", new long[] {c.qDim(), c.dim()}, matrixType, 0));
            t.add(new GgufTensorInfo(p + "ffn_norm.weight", new long[] {c.dim()}, GgmlType.F32, 0));
            t.add(new GgufTensorInfo(p + "ffn_gate.weight", new long[] {c.dim(), c.hiddenDim()}, matrixType, 0));
            t.add(new GgufTensorInfo(p + "ffn_down.weight", new long[] {c.hiddenDim(), c.dim()}, matrixType, 0));
            t.add(new GgufTensorInfo(p + "ffn_up.weight", new long[] {c.dim(), c.hiddenDim()}, matrixType, 0));
        }
        t.add(new GgufTensorInfo("output_norm.weight", new long[] {c.dim()}, GgmlType.F32, 0));
        if (!c.tiedEmbeddings()) t.add(new GgufTensorInfo("output.weight", new long[] {c.dim(), c.vocabSize()}, matrixType, 0));
        return t;
    }
}

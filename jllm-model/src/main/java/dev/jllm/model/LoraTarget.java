package dev.jllm.model;

/**
 * The matrices of a llama-family block a LoRA adapter can adapt — one list for the whole project:
 * their GGUF name in a block, their PEFT module path in a decoder layer, and their shape in a model.
 */
public enum LoraTarget {
    Q("attn_q", "self_attn", "q_proj"), K("attn_k", "self_attn", "k_proj"), V("attn_v", "self_attn", "v_proj"),
    O("attn_output", "self_attn", "o_proj"), GATE("ffn_gate", "mlp", "gate_proj"), UP("ffn_up", "mlp", "up_proj"),
    DOWN("ffn_down", "mlp", "down_proj");

    public final String gguf, parent, peft;

    LoraTarget(String gguf, String parent, String peft) {
        this.gguf = gguf;
        this.parent = parent;
        this.peft = peft;
    }

    /** (in_features, out_features) in a model of this config. */
    public int[] inOut(ModelConfig c) {
        return switch (this) {
            case Q -> new int[] {c.dim(), c.qDim()};
            case K, V -> new int[] {c.dim(), c.kvDim()};
            case O -> new int[] {c.qDim(), c.dim()};
            case GATE, UP -> new int[] {c.dim(), c.hiddenDim()};
            case DOWN -> new int[] {c.hiddenDim(), c.dim()};
        };
    }

    /** The module path under LlamaForCausalLM: {@code model.layers.N.self_attn.q_proj}. */
    public String hfModule(int layer) {
        return "model.layers." + layer + "." + parent + "." + peft;
    }

    /** The GGUF base tensor: {@code blk.N.attn_q.weight}. */
    public String ggufWeight(int layer) {
        return "blk." + layer + "." + gguf + ".weight";
    }

    static LoraTarget ofGguf(String s) {
        for (LoraTarget m : values()) if (m.gguf.equals(s)) return m;
        return null;
    }

    static LoraTarget ofPeft(String parent, String s) {
        for (LoraTarget m : values()) if (m.peft.equals(s) && m.parent.equals(parent)) return m;
        return null;
    }
}

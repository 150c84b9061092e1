package dev.jllm.cli;

import java.util.HashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Tensor names between GGUF (llama.cpp's) and Hugging Face transformers' Llama/Qwen2/Qwen3 models: one
 * table of pairs read in both directions by {@link HfToGguf} and {@link GgufToHf}. Layer tensors are
 * {@code blk.N.x} ⇄ {@code model.layers.N.y}.
 */
final class HfNames {
    private HfNames() {}

    /** GGUF name → HF name; the first three are whole names, the rest per layer. */
    private static final String[][] PAIRS = {
        {"token_embd.weight", "model.embed_tokens.weight"},
        {"output_norm.weight", "model.norm.weight"},
        {"output.weight", "lm_head.weight"},
        {"attn_norm.weight", "input_layernorm.weight"},
        {"attn_q.weight", "self_attn.q_proj.weight"}, {"attn_q.bias", "self_attn.q_proj.bias"},
        {"attn_k.weight", "self_attn.k_proj.weight"}, {"attn_k.bias", "self_attn.k_proj.bias"},
        {"attn_v.weight", "self_attn.v_proj.weight"}, {"attn_v.bias", "self_attn.v_proj.bias"},
        {"attn_output.weight", "self_attn.o_proj.weight"}, {"attn_output.bias", "self_attn.o_proj.bias"},
        {"attn_q_norm.weight", "self_attn.q_norm.weight"}, {"attn_k_norm.weight", "self_attn.k_norm.weight"},
        {"ffn_norm.weight", "post_attention_layernorm.weight"},
        {"ffn_gate.weight", "mlp.gate_proj.weight"}, {"ffn_up.weight", "mlp.up_proj.weight"},
        {"ffn_down.weight", "mlp.down_proj.weight"},
    };
    private static final int WHOLE = 3;
    private static final Pattern BLK = Pattern.compile("blk\\.(\\d+)\\.(.+)"), LAYER = Pattern.compile("model\\.layers\\.(\\d+)\\.(.+)");
    private static final Map<String, String> TO_HF = new HashMap<>(), TO_GGUF = new HashMap<>();

    static {
        for (String[] p : PAIRS) {
            TO_HF.put(p[0], p[1]);
            TO_GGUF.put(p[1], p[0]);
        }
    }

    /** The HF name of a GGUF tensor, or null for one transformers has no place for. */
    static String toHf(String gguf) {
        return map(gguf, TO_HF, BLK, "model.layers.");
    }

    /** The GGUF name of an HF tensor, or null for one llama.cpp has no place for (e.g. rotary_emb.inv_freq). */
    static String toGguf(String hf) {
        return map(hf, TO_GGUF, LAYER, "blk.");
    }

    private static String map(String name, Map<String, String> table, Pattern layer, String prefix) {
        Matcher m = layer.matcher(name);
        if (!m.matches()) {
            String s = table.get(name);
            return s != null && isWhole(name) ? s : null;
        }
        String s = table.get(m.group(2));
        return s == null || isWhole(m.group(2)) ? null : prefix + m.group(1) + "." + s;
    }

    private static boolean isWhole(String name) {
        for (int i = 0; i < WHOLE; i++) if (PAIRS[i][0].equals(name) || PAIRS[i][1].equals(name)) return true;
        return false;
    }
}

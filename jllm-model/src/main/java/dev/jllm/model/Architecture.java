package dev.jllm.model;

import java.util.Arrays;
import java.util.stream.Collectors;

/**
 * The decoder variants jllm runs, by GGUF {@code general.architecture}. They share the LLaMA block
 * (RMSNorm → GQA attention with RoPE → RMSNorm → SwiGLU) and differ in small ways.
 */
public enum Architecture {
    /** Llama 2/3/3.1+, Mistral, SmolLM, TinyLlama: RoPE on adjacent pairs (GGUF permuted q/k). */
    LLAMA("llama", false),
    /** Qwen2/2.5: biases on q, k, v; RoPE on halves (NeoX style). */
    QWEN2("qwen2", true),
    /** Qwen3: per-head RMSNorm of q and k before RoPE; RoPE on halves. */
    QWEN3("qwen3", true);

    public final String ggufName;
    /** True: rotate (x[i], x[i + n_rot/2]); false: rotate (x[2i], x[2i+1]). */
    public final boolean neoxRope;

    Architecture(String ggufName, boolean neoxRope) {
        this.ggufName = ggufName;
        this.neoxRope = neoxRope;
    }

    public static Architecture of(String name) {
        for (Architecture a : values()) if (a.ggufName.equals(name)) return a;
        throw new IllegalArgumentException("architecture '" + name + "' is not supported; supported: "
                + Arrays.stream(values()).map(a -> a.ggufName).collect(Collectors.joining(", ")));
    }
}

package dev.jllm.model;

import java.util.LinkedHashMap;
import java.util.Map;

/** Named model shapes for {@code jllm init} (the real models' hyperparameters; weights are random). */
public final class ModelPresets {
    private ModelPresets() {}

    public static final Map<String, ModelConfig> PRESETS = new LinkedHashMap<>();

    static {
        PRESETS.put("llama-3.2-1b", new ModelConfig("llama", 2048, 8192, 16, 32, 8, 64, 128256, 131072, 1e-5f, 500000f, true));
        PRESETS.put("llama-3.2-3b", new ModelConfig("llama", 3072, 8192, 28, 24, 8, 128, 128256, 131072, 1e-5f, 500000f, true));
        PRESETS.put("smollm-135m", new ModelConfig("llama", 576, 1536, 30, 9, 3, 64, 49152, 2048, 1e-5f, 10000f, true));
        PRESETS.put("tinyllama-1.1b", new ModelConfig("llama", 2048, 5632, 22, 32, 4, 64, 32000, 2048, 1e-5f, 10000f, false));
        PRESETS.put("qwen2.5-0.5b", new ModelConfig("qwen2", 896, 4864, 24, 14, 2, 64, 151936, 32768, 1e-6f, 1000000f, true));
        PRESETS.put("qwen3-0.6b", new ModelConfig("qwen3", 1024, 3072, 28, 16, 8, 128, 151936, 40960, 1e-6f, 1000000f, true));
        PRESETS.put("tiny", new ModelConfig("llama", 64, 172, 5, 8, 4, 8, 512, 512, 1e-5f, 10000f, true));
    }

    public static ModelConfig get(String name) {
        ModelConfig c = PRESETS.get(name);
        if (c == null) throw new IllegalArgumentException("unknown preset '" + name + "'; known: " + String.join(", ", PRESETS.keySet()));
        return c;
    }
}

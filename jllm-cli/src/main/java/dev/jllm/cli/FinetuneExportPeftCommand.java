package dev.jllm.cli;

import dev.jllm.gguf.GgufFile;
import dev.jllm.model.LoraAdapter;
import dev.jllm.model.ModelConfig;
import dev.jllm.model.PeftLora;
import dev.jllm.model.Safetensors;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code jllm finetune export-peft ADAPTER.gguf BASE.gguf OUT_DIR}: a GGUF LoRA adapter (llama.cpp's
 * layout, what {@code jllm finetune} writes) as the two files Hugging Face PEFT saves and loads —
 * adapter_config.json and adapter_model.safetensors — with q/k's lora_B rows put back in HF order
 * ({@link PeftLora}). The base GGUF gives the shapes, the head counts and base_model_name_or_path.
 */
@Command(name = "export-peft", mixinStandardHelpOptions = true,
        description = {"Write a GGUF LoRA adapter as PEFT files (adapter_config.json + adapter_model.safetensors) for Hugging Face users.",
            "Load them with PeftModel.from_pretrained(AutoModelForCausalLM.from_pretrained(BASE_ID), OUT_DIR)."})
final class FinetuneExportPeftCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Parameters(index = "0", paramLabel = "ADAPTER.gguf") Path adapter;
    @Parameters(index = "1", paramLabel = "BASE.gguf", description = "the model the adapter was trained on (shapes, heads, name)") Path base;
    @Parameters(index = "2", paramLabel = "OUT_DIR") Path out;
    @Option(names = "--dtype", defaultValue = "f32", description = "f32 | bf16 | f16 tensors (default ${DEFAULT-VALUE})") String dtype;
    @Option(names = "--base-model-id", paramLabel = "ID",
            description = "base_model_name_or_path to write, e.g. meta-llama/Llama-3.2-1B (default: the adapter's jllm.peft hint, else the base GGUF's Hugging Face repo URL, general.name or file name)")
    String baseModelId;

    @Override
    public Integer call() throws Exception {
        Safetensors.Dtype dt = Safetensors.Dtype.parseFloatType(dtype);
        ModelConfig cfg;
        String baseName;
        try (GgufFile b = GgufFile.open(base)) {
            if ("adapter".equals(b.getString("general.type"))) throw new IllegalArgumentException(base + " is a LoRA adapter; BASE must be the model it adapts");
            cfg = ModelConfig.fromGguf(b);
            baseName = PeftLora.baseModelName(b);
        }
        PeftLora.ExportOptions o;
        try (GgufFile f = GgufFile.open(adapter)) {
            String type = f.getString("general.type");
            if (!"adapter".equals(type)) {
                throw new IllegalArgumentException(adapter + ": general.type is " + (type == null ? "absent" : "'" + type + "'")
                        + ", not 'adapter': the first argument must be a GGUF LoRA adapter (jllm finetune --out, or llama.cpp's convert_lora_to_gguf.py), the base model comes second");
            }
            o = PeftLora.options(f, baseModelId, dt);
        }
        LoraAdapter a = LoraAdapter.read(adapter);
        if (o.baseModel() == null) o = new PeftLora.ExportOptions(baseName, o.rsLora(), o.dropout(), o.dtype());
        PeftLora.Exported e = PeftLora.export(a, adapter.toString(), cfg, o, out);
        PrintWriter w = spec.commandLine().getOut();
        w.printf(Locale.ROOT, "exported %s (%d matrices, r=%d, lora_alpha=%s, use_rslora=%s, scale %s) -> %s, %s (%s, %d tensors)%n", adapter, a.pairs.size(),
                e.rank(), e.loraAlpha(), e.useRslora(), e.scale(), e.config(), e.weights(), dt, e.tensors());
        w.printf(Locale.ROOT, "target_modules %s; base_model_name_or_path \"%s\"%s%n", e.targetModules(), o.baseModel(),
                PeftLora.permutesQk(cfg.architecture()) ? "; q/k lora_B rows in HF order (llama.cpp's permutation undone)" : "");
        return 0;
    }
}

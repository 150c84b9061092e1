package dev.jllm.cli;

import dev.jllm.gguf.GgufFile;
import dev.jllm.model.ModelConfig;
import dev.jllm.model.PeftLora;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code jllm finetune import-peft PEFT_DIR BASE.gguf OUT.gguf}: a Hugging Face PEFT LoRA adapter
 * (adapter_config.json + adapter_model.safetensors) as a GGUF LoRA adapter, as llama.cpp's
 * {@code convert_lora_to_gguf.py} converts one — q/k's lora_B rows permuted like the base's q/k, F32 —
 * except that an rsLoRA adapter keeps its scale ({@link PeftLora}). For {@code jllm generate/chat --lora},
 * {@code jllm finetune merge} and llama.cpp's {@code --lora}.
 */
@Command(name = "import-peft", mixinStandardHelpOptions = true,
        description = "Convert a PEFT LoRA adapter directory (adapter_config.json + adapter_model.safetensors) into a GGUF LoRA adapter for BASE.")
final class FinetuneImportPeftCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Parameters(index = "0", paramLabel = "PEFT_DIR") Path dir;
    @Parameters(index = "1", paramLabel = "BASE.gguf", description = "the GGUF of the adapter's base model (shapes, heads, architecture)") Path base;
    @Parameters(index = "2", paramLabel = "OUT.gguf") Path out;

    @Override
    public Integer call() throws Exception {
        ModelConfig cfg;
        try (GgufFile b = GgufFile.open(base)) {
            if ("adapter".equals(b.getString("general.type"))) throw new IllegalArgumentException(base + " is a LoRA adapter; BASE must be the model it adapts");
            cfg = ModelConfig.fromGguf(b);
        }
        if (out.toAbsolutePath().normalize().equals(base.toAbsolutePath().normalize())) throw new IllegalArgumentException("OUT.gguf must differ from BASE.gguf");
        PeftLora.Imported im = PeftLora.read(dir, cfg);
        PrintWriter w = spec.commandLine().getOut();
        for (String n : im.notes()) spec.commandLine().getErr().println("note: " + n);
        im.adapter().write(out, im.metadata());
        w.printf(Locale.ROOT, "imported %s (%d matrices, r=%d, lora_alpha=%s%s) -> %s (GGUF LoRA adapter, F32, adapter.lora.alpha=%s, scale %s)%n", dir,
                im.adapter().pairs.size(), im.adapter().rank(), im.loraAlpha(), im.useRslora() ? ", use_rslora" : "", out, im.adapter().alpha, im.adapter().scale());
        if (im.baseModel() != null) w.printf(Locale.ROOT, "PEFT's base model: \"%s\"; shapes checked against %s%n", im.baseModel(), base);
        return 0;
    }
}

package dev.jllm.cli;

import dev.jllm.model.Safetensors;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code jllm export}: GGUF → a Hugging Face model directory (safetensors, config, tokenizer) for transformers/PyTorch. */
@Command(name = "export", mixinStandardHelpOptions = true,
        description = {"Export a GGUF model (llama, qwen2, qwen3) as a Hugging Face directory: *.safetensors (+ index when sharded),"
                + " config.json, generation_config.json, tokenizer.json, tokenizer_config.json (with the chat template).",
            "llama's q/k rows are un-permuted, quantized tensors dequantized; HF → GGUF → HF gives back identical F32/F16/BF16 tensors.",
            "Example: jllm export model.gguf ./hf && python3 -c \"import transformers as t; t.AutoModelForCausalLM.from_pretrained('./hf')\""})
final class ExportCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Parameters(index = "0", paramLabel = "GGUF", description = "model to export") Path in;
    @Parameters(index = "1", paramLabel = "HF_DIR", description = "output directory (created)") Path out;

    @Option(names = "--dtype", paramLabel = "TYPE", description = "f32, f16 or bf16 (default: token_embd's type when it is one of these, else bf16)")
    String dtype;

    @Option(names = "--max-shard-size", defaultValue = "5GB", paramLabel = "SIZE",
            description = "largest safetensors file before sharding, e.g. 2GB, 500MB (default ${DEFAULT-VALUE}, as transformers)")
    String maxShard;

    @Override
    public Integer call() throws Exception {
        long t0 = System.nanoTime();
        var err = spec.commandLine().getErr();
        GgufToHf.Result r = GgufToHf.export(in, out, dtype == null ? null : Safetensors.Dtype.parseFloatType(dtype), parseSize(maxShard), err);
        for (String w : r.warnings()) err.println("warning: " + w);
        spec.commandLine().getOut().printf(Locale.ROOT, "wrote %s: %d tensors in %d safetensors file%s (%s)%s in %.2f s%n", out, r.tensors(), r.shards(),
                r.shards() == 1 ? "" : "s", Units.bytes(r.bytes()), r.tokenizer() ? ", tokenizer" : "", (System.nanoTime() - t0) / 1e9);
        return 0;
    }

    /** "5GB", "500MB", "123" (bytes); decimal units as transformers' max_shard_size. */
    static long parseSize(String s) {
        var m = java.util.regex.Pattern.compile("(?i)\\s*(\\d+(?:\\.\\d+)?)\\s*(GB|MB|KB|B)?\\s*").matcher(s);
        if (!m.matches()) throw new IllegalArgumentException("--max-shard-size '" + s + "' is not a size like 5GB, 500MB or 1000000");
        double v = Double.parseDouble(m.group(1));
        String u = m.group(2) == null ? "B" : m.group(2).toUpperCase(Locale.ROOT);
        long mul = switch (u) { case "GB" -> 1_000_000_000L; case "MB" -> 1_000_000L; case "KB" -> 1_000L; default -> 1L; };
        return (long) (v * mul);
    }
}

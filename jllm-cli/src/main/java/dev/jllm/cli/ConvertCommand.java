package dev.jllm.cli;

import dev.jllm.gguf.GgufFile;
import dev.jllm.gguf.GgufValue;
import dev.jllm.model.Llama2cConverter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code jllm convert}: a Hugging Face model directory (or a llama2.c checkpoint + tokenizer.bin) → GGUF. */
@Command(name = "convert", mixinStandardHelpOptions = true,
        description = {"Convert a Hugging Face model directory (config.json, *.safetensors, tokenizer.json) to GGUF as llama.cpp's"
                + " convert_hf_to_gguf.py does (LlamaForCausalLM, MistralForCausalLM, Qwen2ForCausalLM, Qwen3ForCausalLM),"
                + " or a llama2.c checkpoint (+ --tokenizer tokenizer.bin).",
            "Example: jllm convert ./SmolLM2-135M-Instruct smol.gguf --outtype q8_0 --ollama-modelfile Modelfile && ollama create smol -f Modelfile"})
final class ConvertCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Parameters(index = "0", paramLabel = "IN", description = "Hugging Face model directory, or a llama2.c .bin checkpoint") Path in;
    @Parameters(index = "1", paramLabel = "OUT", description = "output .gguf") Path out;

    @Option(names = "--tokenizer", paramLabel = "TOKENIZER_BIN", description = "llama2.c tokenizer.bin (llama2.c checkpoints only)")
    Path tokenizer;

    @Option(names = "--outtype", defaultValue = "auto", paramLabel = "TYPE",
            description = "f32, f16, bf16, q8_0 or auto (the checkpoint's 16-bit type; F32 checkpoints → f16), as llama.cpp's --outtype; default ${DEFAULT-VALUE}")
    String outtype;

    @Option(names = "--ollama-modelfile", paramLabel = "FILE", description = "also write an Ollama Modelfile (FROM, TEMPLATE, PARAMETER stop)")
    Path modelfile;

    @Override
    public Integer call() throws Exception {
        long t0 = System.nanoTime();
        var err = spec.commandLine().getErr();
        var o = spec.commandLine().getOut();
        if (!Files.isDirectory(in)) {
            if (tokenizer == null) throw new IllegalArgumentException(in + " is not a Hugging Face model directory; for a llama2.c checkpoint give --tokenizer tokenizer.bin");
            Llama2cConverter.convert(in, tokenizer, out);
        } else {
            if (tokenizer != null) throw new IllegalArgumentException("--tokenizer is for llama2.c checkpoints; a Hugging Face directory brings its tokenizer.json");
            HfToGguf.Result r = HfToGguf.convert(in, out, HfToGguf.OutType.parse(outtype), err);
            for (String w : r.warnings()) err.println("warning: " + w);
            o.printf(Locale.ROOT, "%s: %d tensors, %s parameters, tokenizer.ggml.pre %s%n", r.architecture(), r.tensors(), HfToGguf.sizeLabel(r.parameters()), r.pre());
        }
        o.printf("wrote %s (%s) in %.2f s%n", out, Units.bytes(Files.size(out)), (System.nanoTime() - t0) / 1e9);
        if (modelfile != null) {
            String template = null;
            try (GgufFile g = GgufFile.open(out)) {
                GgufValue v = g.get("tokenizer.chat_template");
                if (v != null) template = v.value().toString();
            }
            OllamaModelfile mf = OllamaModelfile.of(out, template);
            Files.writeString(modelfile, mf.text());
            if (mf.translated()) o.printf("wrote %s (%s template): ollama create NAME -f %s%n", modelfile, mf.family(), modelfile);
            else err.printf("warning: %s has no TEMPLATE: the chat template is %s; see the comment in the file%n", modelfile,
                    template == null ? "missing" : "neither ChatML nor Llama 3");
        }
        return 0;
    }
}

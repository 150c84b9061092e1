package dev.jllm.cli;

import dev.jllm.engine.Generator;
import dev.jllm.engine.LoadedModel;
import dev.jllm.model.SamplingParams;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code jllm generate}: continue a prompt, streaming the continuation to stdout. */
@Command(name = "generate", mixinStandardHelpOptions = true,
        description = "Continue a prompt; the continuation streams to stdout, timings go to stderr.")
final class GenerateCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(names = {"-m", "--model"}, required = true) Path model;
    @Option(names = "--tokenizer", description = "llama2.c tokenizer.bin (for .bin checkpoints)") Path tokenizer;
    @Option(names = {"-p", "--prompt"}, required = true) String prompt;
    @Option(names = {"-n", "--n-predict"}, defaultValue = "128", description = "max new tokens (default ${DEFAULT-VALUE})") int n;
    @Option(names = "--temp", defaultValue = "0.8", description = "temperature; 0 = greedy (default ${DEFAULT-VALUE})") float temp;
    @Option(names = "--top-k", defaultValue = "40") int topK;
    @Option(names = "--top-p", defaultValue = "0.95") float topP;
    @Option(names = "--min-p", defaultValue = "0.05") float minP;
    @Option(names = "--repeat-penalty", defaultValue = "1.0") float repeatPenalty;
    @Option(names = "--presence-penalty", defaultValue = "0") float presencePenalty;
    @Option(names = "--frequency-penalty", defaultValue = "0") float frequencyPenalty;
    @Option(names = "--repeat-last-n", defaultValue = "64") int repeatLastN;
    @Option(names = "--seed", description = "RNG seed (default: random, printed)") Long seed;
    @Option(names = "--stop", description = "stop string (repeatable)") List<String> stop;
    @Option(names = "--ignore-eos") boolean ignoreEos;
    @Option(names = {"-t", "--threads"}, description = "threads (default: all cores)") Integer threads;
    @Option(names = "--cache-type", paramLabel = "f16|f32", defaultValue = "f16",
            description = "KV cache element type (default: ${DEFAULT-VALUE})") String cacheType;
    @Option(names = "--lora", paramLabel = "ADAPTER.gguf", description = "a LoRA adapter (GGUF, as jllm finetune and llama.cpp write it) merged into the weights; repeatable")
    List<Path> lora = new java.util.ArrayList<>();
    @Option(names = "--lora-scale", defaultValue = "1", description = "strength of the adapters (llama.cpp's --lora-scaled; default ${DEFAULT-VALUE})") float loraScale;
    @Option(names = "--no-parse-special", description = "treat <s>, <|im_start|> ... in the prompt as plain text") boolean noParseSpecial;

    @Override
    public Integer call() throws Exception {
        long s = seed != null ? seed : new java.security.SecureRandom().nextLong() & Long.MAX_VALUE;
        SamplingParams sp = new SamplingParams(temp, topK, topP, minP, repeatPenalty, presencePenalty, frequencyPenalty, repeatLastN,
                Map.of(), s, n, stop == null ? List.of() : stop, ignoreEos);
        PrintWriter out = spec.commandLine().getOut(), err = spec.commandLine().getErr();
        int th = threads != null ? threads : Runtime.getRuntime().availableProcessors();
        try (LoadedModel m = LoadedModel.open(model, tokenizer, th, lora, loraScale)) {
            int[] ids = m.tokenizer.encode(prompt, true, !noParseSpecial);
            Generator.Result r = new Generator(m.transformer(LoadedModel.cacheType(cacheType), 0), m.tokenizer).generate(ids, sp, text -> {
                out.print(text);
                out.flush();
            });
            out.println();
            out.flush();
            err.printf(Locale.ROOT, "prompt %d tokens in %.3f s (%.1f tok/s) · generated %d tokens in %.3f s (%.1f tok/s) · finish: %s · seed %d%n",
                    r.promptTokens(), r.prefillSeconds(), r.prefillTokensPerSecond(), r.tokens().length, r.decodeSeconds(),
                    r.decodeTokensPerSecond(), r.finish().name().toLowerCase(Locale.ROOT), s);
        }
        return 0;
    }
}

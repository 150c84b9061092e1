package dev.jllm.cli;

import dev.jllm.engine.LoadedModel;
import dev.jllm.model.Perplexity;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code jllm perplexity}: llama.cpp-compatible chunked perplexity of a text file. */
@Command(name = "perplexity", mixinStandardHelpOptions = true,
        description = "Perplexity of a text file, computed as llama-perplexity does (chunks of -c tokens, second halves scored).")
final class PerplexityCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(names = {"-m", "--model"}, required = true) Path model;
    @Option(names = "--tokenizer") Path tokenizer;
    @Option(names = {"-f", "--file"}, required = true) Path file;
    @Option(names = {"-c", "--ctx-size"}, defaultValue = "512") int ctx;
    @Option(names = {"-t", "--threads"}) Integer threads;
    @Option(names = "--cache-type", defaultValue = "f16") String cacheType;

    @Override
    public Integer call() throws Exception {
        String text = EvalFiles.text(file);
        if (text.endsWith("\n")) text = text.substring(0, text.length() - 1); // as llama.cpp's -f reader
        int th = threads != null ? threads : Runtime.getRuntime().availableProcessors();
        try (LoadedModel m = LoadedModel.open(model, tokenizer, th)) {
            int[] tokens = m.tokenizer.encode(text, true, false);
            int chunks = tokens.length / Math.max(1, ctx);
            var err = spec.commandLine().getErr();
            err.printf("tokenized %s: %d tokens, %d chunks of %d%n", file, tokens.length, chunks, ctx);
            Perplexity.Result r;
            try (Progress p = new Progress(err, "perplexity", chunks, false)) {
                r = Perplexity.compute(m.transformer(LoadedModel.cacheType(cacheType), ctx), tokens, ctx, m.tokenizer.bos(), c -> p.add(1));
            }
            var out = spec.commandLine().getOut();
            StringBuilder run = new StringBuilder();
            for (int i = 0; i < r.runningPpl().length; i++) run.append(String.format(Locale.ROOT, "[%d]%.4f,", i + 1, r.runningPpl()[i]));
            out.println(run);
            out.printf(Locale.ROOT, "Final estimate: PPL = %.4f +/- %.5f (%d chunks, %d scored tokens, ctx %d)%n", r.ppl(), r.stderr(),
                    r.chunks(), r.scored(), ctx);
        }
        return 0;
    }
}

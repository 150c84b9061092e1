package dev.jllm.cli;

import dev.jllm.engine.LoadedModel;
import dev.jllm.model.Imatrix;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code jllm imatrix}: llama.cpp's importance matrix of a model on a calibration text, in llama-imatrix's file format. */
@Command(name = "imatrix", mixinStandardHelpOptions = true,
        description = {"Importance matrix (llama-imatrix): per weight matrix, the mean square of the activations entering each column,"
                + " over a calibration text cut into chunks of --ctx tokens (BOS first, as llama-imatrix). Writes llama.cpp's GGUF imatrix"
                + " format, which `llama-quantize --imatrix` and `jllm quantize --imatrix` read.",
            "Prints the chunks' perplexity as llama-imatrix does."})
final class ImatrixCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(names = {"-m", "--model"}, required = true) Path model;
    @Option(names = {"-f", "--file"}, required = true, description = "calibration text (UTF-8)") Path file;
    @Option(names = {"-o", "--output"}, defaultValue = "imatrix.gguf", description = "output file (default: ${DEFAULT-VALUE})") Path out;
    @Option(names = {"-c", "--ctx"}, defaultValue = "512", description = "tokens per chunk (default: ${DEFAULT-VALUE}, as llama-imatrix)") int ctx;
    @Option(names = "--chunks", defaultValue = "-1", description = "at most this many chunks (default: all)") int chunks;
    @Option(names = "--process-output", description = "also collect output.weight (llama-imatrix --process-output)") boolean processOutput;
    @Option(names = "--tokenizer") Path tokenizer;
    @Option(names = {"-t", "--threads"}) Integer threads;
    @Option(names = "--cache-type", defaultValue = "f16", description = "KV cache type, f16 (as llama.cpp) or f32") String cacheType;

    @Override
    public Integer call() throws Exception {
        if (ctx < 16) throw new IllegalArgumentException("--ctx must be >= 16 (llama-imatrix ignores products of fewer than 16 rows), got " + ctx);
        if (chunks == 0 || chunks < -1) throw new IllegalArgumentException("--chunks must be positive, got " + chunks);
        String text = EvalFiles.text(file);
        if (text.endsWith("\n")) text = text.substring(0, text.length() - 1); // as llama.cpp's -f reader
        int th = threads != null ? threads : Runtime.getRuntime().availableProcessors();
        var err = spec.commandLine().getErr();
        var o = spec.commandLine().getOut();
        try (LoadedModel m = LoadedModel.open(model, tokenizer, th)) {
            int[] tokens = m.tokenizer.encode(text, true, false);
            int n = chunks < 0 ? tokens.length / ctx : Math.min(chunks, tokens.length / ctx);
            err.printf(Locale.ROOT, "tokenized %s: %d tokens; computing over %d chunks of %d%n", file, tokens.length, n, ctx);
            List<String> datasets = new ArrayList<>(List.of(file.toString()));
            Imatrix.Computed r;
            try (Progress p = new Progress(err, "imatrix", n, false)) {
                r = Imatrix.compute(m.transformer(LoadedModel.cacheType(cacheType), ctx), tokens, ctx, m.tokenizer.bos(), chunks,
                        processOutput, datasets, c -> p.add(1));
            }
            r.imatrix().write(out);
            o.printf(Locale.ROOT, "Final estimate: PPL = %.4f +/- %.5f%n", r.ppl(), r.pplStderr());
            o.printf(Locale.ROOT, "wrote %s: %d matrices, %d chunks of %d tokens%n", out, r.imatrix().entries().size(), r.chunks(), ctx);
        }
        return 0;
    }
}

package dev.jllm.cli;

import dev.jllm.engine.LoadedModel;
import dev.jllm.model.KlDivergence;
import dev.jllm.model.KlStats;
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
        description = {"Perplexity of a text file, computed as llama-perplexity does (chunks of -c tokens, second halves scored).",
            "KL divergence against a reference model, as llama-perplexity: first -m REF.gguf -f FILE --kl-divergence-base LOGITS.bin"
                + " (saves the reference's log-probabilities in llama-perplexity's format), then -m QUANT.gguf --kl-divergence-base LOGITS.bin"
                + " --kl-divergence (tokens and -c come from the file)."})
final class PerplexityCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(names = {"-m", "--model"}, required = true) Path model;
    @Option(names = "--tokenizer") Path tokenizer;
    @Option(names = {"-f", "--file"}, description = "text file (not needed with --kl-divergence: the tokens are in the base file)") Path file;
    @Option(names = {"-c", "--ctx-size"}, defaultValue = "512") int ctx;
    @Option(names = {"-t", "--threads"}) Integer threads;
    @Option(names = "--cache-type", paramLabel = "f16|f32", defaultValue = "f16",
            description = "KV cache element type (default: ${DEFAULT-VALUE})") String cacheType;
    @Option(names = "--kl-divergence-base", paramLabel = "LOGITS.bin",
            description = "without --kl-divergence: write the model's log-probabilities here; with it: the reference to compare against") Path klBase;
    @Option(names = "--kl-divergence", description = "compare -m against --kl-divergence-base and print llama-perplexity's KLD, Δp and PPL-ratio statistics")
    boolean kl;

    @Override
    public Integer call() throws Exception {
        if (kl) return compare();
        if (file == null) throw new IllegalArgumentException("-f FILE is required (only --kl-divergence reads its tokens from the base file)");
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
                if (klBase != null) {
                    r = KlDivergence.saveBase(m.transformer(LoadedModel.cacheType(cacheType), ctx), tokens, ctx, m.tokenizer.chunkBos(),
                            m.tokenizer.vocabulary().size(), klBase, c -> p.add(1));
                } else {
                    r = Perplexity.compute(m.transformer(LoadedModel.cacheType(cacheType), ctx), tokens, ctx, m.tokenizer.chunkBos(), c -> p.add(1));
                }
            }
            var out = spec.commandLine().getOut();
            StringBuilder run = new StringBuilder();
            for (int i = 0; i < r.runningPpl().length; i++) run.append(String.format(Locale.ROOT, "[%d]%.4f,", i + 1, r.runningPpl()[i]));
            out.println(run);
            out.printf(Locale.ROOT, "Final estimate: PPL = %.4f +/- %.5f (%d chunks, %d scored tokens, ctx %d)%n", r.ppl(), r.stderr(),
                    r.chunks(), r.scored(), ctx);
        }
        if (klBase != null) spec.commandLine().getOut().printf("saved the log-probabilities to %s (%s)%n", klBase, Units.bytes(Files.size(klBase)));
        return 0;
    }

    private int compare() throws Exception {
        if (klBase == null) throw new IllegalArgumentException("--kl-divergence needs --kl-divergence-base LOGITS.bin (made by a run without --kl-divergence)");
        KlDivergence.Base base = KlDivergence.readBase(klBase);
        int th = threads != null ? threads : Runtime.getRuntime().availableProcessors();
        var out = spec.commandLine().getOut();
        var err = spec.commandLine().getErr();
        try (LoadedModel m = LoadedModel.open(model, tokenizer, th)) {
            int nVocab = m.tokenizer.vocabulary().size();
            if (nVocab != base.nVocab()) {
                throw new IllegalArgumentException(klBase + " holds " + base.nVocab() + "-token log-probabilities, " + model + " has " + nVocab
                        + " tokens: the two models must share a vocabulary");
            }
            err.printf("%s: %d chunks of %d tokens%n", klBase, base.nChunk(), base.nCtx());
            out.println(KlStats.CHUNK_HEADER_TEXT);
            KlStats s = KlDivergence.compare(m.transformer(LoadedModel.cacheType(cacheType), base.nCtx()), base, m.tokenizer.chunkBos(), out::println);
            out.println();
            out.print(s.report());
            out.flush();
        }
        return 0;
    }
}

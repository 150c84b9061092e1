package dev.jllm.cli;

import dev.jllm.sft.synth.CopyCorpus;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code jllm demo copy-text}: the copy curriculum ({@link CopyCorpus}) as JSONL for {@code jllm tokenize-corpus}. */
@Command(name = "copy-text", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Write the copy curriculum as JSONL {\"text\": ...} for `jllm tokenize-corpus`: spans of random symbols from many",
            "scripts repeated in place (A = A), after filler (A | ... | A), and key-value recall (K is V. ... What is K? V).",
            "Mixed into pretraining, it makes a small model learn to copy what it was told instead of the distribution of",
            "values it has seen (docs/TRAINING.md). The same arguments give a byte-identical file."})
final class DemoCopyTextCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(names = "--out", required = true, paramLabel = "FILE.jsonl", description = "output file (written atomically)") Path out;
    @Option(names = "--count", required = true, paramLabel = "N", description = "documents (1-4 lines each)") int count;
    @Option(names = "--seed", defaultValue = "0", description = "(default ${DEFAULT-VALUE})") long seed;
    @Option(names = "--kinds", split = ",", paramLabel = "KIND,...",
            description = "line kinds: repeat, gap, recall (default: all; repeat alone is the fastest start for the copy circuit)")
    List<String> kinds;

    @Override
    public Integer call() throws Exception {
        if (count < 1) throw new IllegalArgumentException("--count must be >= 1, got " + count);
        List<CopyCorpus.Kind> ks = kinds == null ? CopyCorpus.ALL : kinds.stream().map(CopyCorpus.Kind::parse).toList();
        long chars = CopyCorpus.write(out, seed, count, ks);
        PrintWriter w = spec.commandLine().getOut();
        w.printf("wrote %,d copy-curriculum documents (%,d characters) to %s (seed %d)%n", count, chars, out, seed);
        w.flush();
        return 0;
    }
}

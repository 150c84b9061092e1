package dev.jllm.cli;

import dev.jllm.eval.metrics.Bootstrap;
import picocli.CommandLine.Option;

/** The bootstrap options every {@code jllm eval} subcommand shares (a picocli mixin). */
final class EvalOptions {
    @Option(names = "--resamples", defaultValue = "10000", description = "bootstrap resamples (default ${DEFAULT-VALUE})") int resamples;
    @Option(names = "--seed", defaultValue = "0", description = "bootstrap seed (default ${DEFAULT-VALUE}): the same seed gives the same interval") long seed;
    @Option(names = "--confidence", defaultValue = "0.95", description = "interval confidence (default ${DEFAULT-VALUE})") double confidence;
    @Option(names = "--json", description = "print JSON instead of text") boolean json;

    Bootstrap.Config bootstrap() {
        return new Bootstrap.Config(resamples, seed, confidence);
    }

    String describe() {
        return String.format(java.util.Locale.ROOT, "%.0f%% percentile bootstrap, %,d resamples, seed %d", 100 * confidence, resamples, seed);
    }
}

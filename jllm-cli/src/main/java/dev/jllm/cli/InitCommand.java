package dev.jllm.cli;

import dev.jllm.model.LlamaLayout;
import dev.jllm.model.ModelConfig;
import dev.jllm.model.ModelPresets;
import dev.jllm.model.RandomModel;
import dev.jllm.tensor.GgmlType;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code jllm init}: a random-weight model of any shape (benchmarks; pretraining starts here). */
@Command(name = "init", mixinStandardHelpOptions = true,
        description = "Write a random-weight model of a preset or custom shape as GGUF.")
final class InitCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Parameters(paramLabel = "OUT", description = "output .gguf")
    Path out;

    @Option(names = "--preset", paramLabel = "NAME", description = "llama-3.2-1b, llama-3.2-3b, smollm-135m, tinyllama-1.1b, qwen2.5-0.5b, qwen3-0.6b, tiny")
    String preset;

    @Option(names = "--arch", paramLabel = "A", description = "llama | qwen2 | qwen3 (default: the preset's, else llama)")
    String arch;

    @Option(names = "--dim") Integer dim;
    @Option(names = "--hidden") Integer hidden;
    @Option(names = "--layers") Integer layers;
    @Option(names = "--heads") Integer heads;
    @Option(names = "--kv-heads") Integer kvHeads;
    @Option(names = "--head-dim") Integer headDim;
    @Option(names = "--vocab") Integer vocab;
    @Option(names = "--ctx") Integer ctx;

    @Option(names = "--type", defaultValue = "f32", description = "weight type: f32, f16, bf16, q8_0, q4_0, q4_1, q4_k, q5_k, q6_k (default: ${DEFAULT-VALUE})")
    String type;

    @Option(names = "--random", description = "random weights (the only kind init writes; accepted for clarity)")
    boolean random;

    @Option(names = "--seed", defaultValue = "42") long seed;

    @Option(names = "--std", defaultValue = "0.02", description = "weight init standard deviation (default: ${DEFAULT-VALUE}; larger = peakier random model)")
    double std;

    @Override
    public Integer call() throws Exception {
        ModelConfig base = preset != null ? ModelPresets.get(preset) : ModelPresets.get("tiny");
        if (preset == null && dim == null) {
            throw new IllegalArgumentException("give --preset NAME or a shape (--dim, --layers, --heads, ...)");
        }
        int d = dim != null ? dim : base.dim();
        int h = heads != null ? heads : base.nHeads();
        ModelConfig c = new ModelConfig(arch != null ? arch : base.architecture(), d, hidden != null ? hidden : base.hiddenDim(),
                layers != null ? layers : base.nLayers(), h, kvHeads != null ? kvHeads : Math.min(h, base.nKvHeads()),
                headDim != null ? headDim : (dim != null || heads != null ? d / h : base.headDim()),
                vocab != null ? vocab : base.vocabSize(), ctx != null ? ctx : base.contextLength(), base.rmsEps(), base.ropeTheta(),
                base.tiedEmbeddings());
        dev.jllm.model.Architecture.of(c.architecture());
        GgmlType t = GgmlType.valueOf(type.toUpperCase(Locale.ROOT));
        var err = spec.commandLine().getErr();
        long params = LlamaLayout.tensors(c, GgmlType.F32).stream().mapToLong(x -> x.elementCount()).sum();
        long bytes = dev.jllm.model.MemoryPlan.weightBytes(LlamaLayout.tensors(c, GgmlType.F32), t).bytes();
        try (Progress p = new Progress(err, "init", bytes, true)) {
            RandomModel.write(c, t, seed, std, out, p::add);
            spec.commandLine().getOut().printf(Locale.ROOT, "wrote %s: %s %s, %s parameters, %s, %.1f s%n", out, c.architecture(),
                    preset != null ? preset : "custom", Units.count(params), Units.bytes(java.nio.file.Files.size(out)), p.seconds());
        }
        return 0;
    }
}

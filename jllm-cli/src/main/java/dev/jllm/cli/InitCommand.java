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
    @Option(names = {"--hidden", "--ffn-dim"}, description = "SwiGLU inner width (feed_forward_length)") Integer hidden;
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

    @Option(names = "--tokenizer", paramLabel = "GGUF",
            description = "copy the vocabulary and tokenizer metadata (tokenizer.*) from this GGUF; sets --vocab")
    java.nio.file.Path tokenizer;

    @Option(names = "--std", defaultValue = "0.02", description = "weight init standard deviation (default: ${DEFAULT-VALUE}; larger = peakier random model)")
    double std;

    @Override
    public Integer call() throws Exception {
        ModelConfig base = preset != null ? ModelPresets.get(preset) : ModelPresets.get("tiny");
        if (preset == null && dim == null) {
            throw new IllegalArgumentException("give --preset NAME or a shape (--dim, --layers, --heads, ...)");
        }
        java.util.Map<String, dev.jllm.gguf.GgufValue> tok = tokenizer == null ? null : tokenizerMetadata(tokenizer);
        if (tok != null) {
            int n = ((dev.jllm.gguf.GgufArray) tok.get("tokenizer.ggml.tokens").value()).length();
            if (vocab != null && vocab != n) throw new IllegalArgumentException("--vocab " + vocab + " disagrees with " + tokenizer + "'s " + n + " tokens");
            vocab = n;
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
            if (tok != null) replaceTokenizer(out, tok);
            spec.commandLine().getOut().printf(Locale.ROOT, "wrote %s: %s %s, %s parameters, %s, %.1f s%n", out, c.architecture(),
                    preset != null ? preset : "custom", Units.count(params), Units.bytes(java.nio.file.Files.size(out)), p.seconds());
        }
        return 0;
    }

    /** The tokenizer.* metadata of a GGUF (a tokenizer.json has to be converted to GGUF first). */
    private static java.util.Map<String, dev.jllm.gguf.GgufValue> tokenizerMetadata(java.nio.file.Path p) throws java.io.IOException {
        if (p.getFileName().toString().endsWith(".json")) {
            throw new IllegalArgumentException("init --tokenizer copies GGUF tokenizer metadata; " + p + " is a tokenizer.json: pass a GGUF model that uses it");
        }
        try (dev.jllm.gguf.GgufFile g = dev.jllm.gguf.GgufFile.open(p)) {
            java.util.Map<String, dev.jllm.gguf.GgufValue> m = new java.util.LinkedHashMap<>();
            g.metadata().forEach((k, v) -> { if (k.startsWith("tokenizer.")) m.put(k, v); });
            if (!(m.get("tokenizer.ggml.tokens") != null && m.get("tokenizer.ggml.tokens").value() instanceof dev.jllm.gguf.GgufArray)) {
                throw new IllegalArgumentException(p + " has no tokenizer.ggml.tokens vocabulary");
            }
            return m;
        }
    }

    /** Rewrites {@code out} with its synthetic vocabulary replaced by {@code tok} (tensors copied as they are). */
    private static void replaceTokenizer(java.nio.file.Path out, java.util.Map<String, dev.jllm.gguf.GgufValue> tok) throws java.io.IOException {
        java.nio.file.Path tmp = out.resolveSibling(out.getFileName() + ".tmp");
        try (dev.jllm.gguf.GgufFile g = dev.jllm.gguf.GgufFile.open(out)) {
            dev.jllm.gguf.GgufWriter w = new dev.jllm.gguf.GgufWriter();
            g.metadata().forEach((k, v) -> { if (!k.startsWith("tokenizer.") && !k.equals("general.alignment")) w.put(k, v); });
            w.putAll(tok);
            for (dev.jllm.gguf.GgufTensorInfo ti : g.tensors()) w.addTensor(ti.name(), ti.type(), ti.dims(), g.tensorData(ti));
            w.write(tmp);
        }
        java.nio.file.Files.move(tmp, out, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }
}

package dev.jllm.cli;

import dev.jllm.train.ModelIO;
import dev.jllm.train.TokenShards;
import dev.jllm.train.TrainConfig;
import dev.jllm.train.Trainer;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code jllm train}: pretraining from {@code jllm init} or continued pretraining of an F32/F16/BF16
 * GGUF, ending in a GGUF that {@code jllm generate} and {@code jllm serve} run. Settings: defaults,
 * then {@code --config FILE.yaml}, then flags ({@code --set key=value} reaches every setting).
 */
@Command(name = "train", mixinStandardHelpOptions = true,
        description = {"Train a llama model on token shards (from jllm tokenize-corpus) and write the result as GGUF.",
            "Ctrl-C saves a checkpoint; rerun with --resume to continue exactly where it stopped."})
final class TrainCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(names = "--config", paramLabel = "FILE", description = "YAML file of settings (flat key: value; unknown keys are errors)")
    Path config;

    @Option(names = "--model", paramLabel = "GGUF", description = "jllm init output or an F32/F16/BF16 llama GGUF") String model;
    @Option(names = "--data", paramLabel = "DIR", description = "token shard directory") String data;
    @Option(names = "--out", paramLabel = "GGUF", description = "trained model to write") String out;
    @Option(names = "--log", paramLabel = "DIR", description = "train.csv, val.csv, TensorBoard events, config.yaml, train.png") String log;
    @Option(names = "--steps") Integer steps;
    @Option(names = "--batch", description = "sequences per micro-batch") Integer batch;
    @Option(names = "--seq", description = "tokens per sequence") Integer seq;
    @Option(names = "--accum", description = "micro-batches per step (gradient accumulation)") Integer accum;
    @Option(names = "--lr", description = "peak learning rate") Float lr;
    @Option(names = "--warmup", description = "linear warmup steps") Integer warmup;
    @Option(names = "--min-lr-ratio", description = "cosine floor as a fraction of --lr") Float minLrRatio;
    @Option(names = "--weight-decay") Float weightDecay;
    @Option(names = "--clip", description = "global gradient-norm limit (0 = off)") Float clip;
    @Option(names = "--mix", paramLabel = "SRC=W,...", description = "source weights, e.g. code=8,math=1,general=1") String mix;
    @Option(names = "--seed") Long seed;
    @Option(names = {"-t", "--threads"}) Integer threads;
    @Option(names = "--eval-every") Integer evalEvery;
    @Option(names = "--eval-batches") Integer evalBatches;
    @Option(names = "--checkpoint-every") Integer checkpointEvery;
    @Option(names = "--checkpoint", paramLabel = "FILE") String checkpoint;
    @Option(names = "--resume", description = "continue from the checkpoint if it exists") Boolean resume;
    @Option(names = "--set", paramLabel = "KEY=VALUE", description = "any other setting (see --print-defaults)") List<String> sets = new ArrayList<>();
    @Option(names = "--print-defaults", description = "print every setting with its default (YAML) and exit") boolean printDefaults;

    @Override
    public Integer call() throws Exception {
        PrintWriter o = spec.commandLine().getOut(), err = spec.commandLine().getErr();
        if (printDefaults) {
            TrainConfig.DEFAULTS.forEach((k, v) -> o.println(k + ": " + (v.isEmpty() ? "\"\"" : v)));
            return 0;
        }
        Map<String, String> file = config == null ? Map.of() : TrainConfig.parseYaml(Files.readString(config, StandardCharsets.UTF_8), config.toString());
        Map<String, String> flags = new LinkedHashMap<>();
        put(flags, "model", model); put(flags, "data", data); put(flags, "out", out); put(flags, "log", log);
        put(flags, "steps", steps); put(flags, "batch", batch); put(flags, "seq", seq); put(flags, "accum", accum);
        put(flags, "lr", lr); put(flags, "warmup", warmup); put(flags, "min_lr_ratio", minLrRatio); put(flags, "weight_decay", weightDecay);
        put(flags, "clip", clip); put(flags, "mix", mix); put(flags, "seed", seed); put(flags, "threads", threads);
        put(flags, "eval_every", evalEvery); put(flags, "eval_batches", evalBatches); put(flags, "checkpoint_every", checkpointEvery);
        put(flags, "checkpoint", checkpoint); put(flags, "resume", resume);
        for (String s : sets) {
            int eq = s.indexOf('=');
            if (eq <= 0) throw new IllegalArgumentException("--set wants KEY=VALUE, got '" + s + "'");
            flags.put(s.substring(0, eq).strip(), s.substring(eq + 1).strip());
        }
        TrainConfig cfg = TrainConfig.of(file, flags);

        ModelIO.Loaded loaded = ModelIO.load(Path.of(cfg.model()));
        List<Trainer.StepReport> history = new ArrayList<>();
        try (TokenShards shards = TokenShards.open(Path.of(cfg.data()));
             Progress progress = new Progress(err, "train", cfg.steps(), false)) {
            int every = Math.max(1, cfg.steps() / 20);
            Trainer trainer = new Trainer(cfg, loaded, shards, new Trainer.Listener() {
                @Override
                public void step(Trainer.StepReport r) {
                    history.add(r);
                    progress.add(1);
                    if (r.step() % every == 0 || r.step() == r.steps() || !Float.isNaN(r.valLoss())) {
                        o.printf(Locale.ROOT, "step %d/%d  loss %.4f  lr %.3g  grad norm %.3f  %,.0f tok/s%s%n", r.step(), r.steps(), r.loss(), r.lr(),
                                r.gradNorm(), r.tokensPerSecond(), Float.isNaN(r.valLoss()) ? "" : String.format(Locale.ROOT, "  val loss %.4f", r.valLoss()));
                        o.flush();
                    }
                }

                @Override
                public void message(String text) {
                    o.println(text);
                    o.flush();
                }
            });
            try (GracefulStop _ = new GracefulStop(trainer::requestStop, "jllm-train-ctrl-c")) {
                Trainer.Result r = trainer.run();
                if (!cfg.log().isEmpty() && !history.isEmpty()) {
                    Path png = Path.of(cfg.log()).resolve("train.png");
                    try {
                        LossPlot.write(history, png);
                        o.println("plot: " + png);
                    } catch (IOException e) { // the model is written; a missing plot must not fail the run
                        o.println("warning: the loss plot was not written (" + e + ")");
                    }
                }
                if (!r.interrupted()) {
                    o.printf(Locale.ROOT, "done: %d steps%s%s, %.1f s; run it with: jllm generate -m %s -p \"...\"%n", r.step(),
                            Float.isNaN(r.lastLoss()) ? "" : String.format(Locale.ROOT, ", final train loss %.4f", r.lastLoss()),
                            Float.isNaN(r.valLoss()) ? "" : String.format(Locale.ROOT, ", val loss %.4f", r.valLoss()), progress.seconds(), cfg.out());
                }
                o.flush();
                return r.interrupted() ? 130 : 0;
            }
        }
    }

    private static void put(Map<String, String> m, String key, Object v) {
        if (v != null) m.put(key, String.valueOf(v));
    }
}

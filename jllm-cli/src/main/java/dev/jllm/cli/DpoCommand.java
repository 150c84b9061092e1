package dev.jllm.cli;

import dev.jllm.gguf.GgufValue;
import dev.jllm.tensor.Parallel;
import dev.jllm.train.LlamaModel;
import dev.jllm.train.ModelIO;
import dev.jllm.train.pref.Checkpointing;
import dev.jllm.train.pref.DpoTrainer;
import dev.jllm.train.pref.MetricsLog;
import dev.jllm.train.pref.PreferenceLoss;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code jllm dpo}: direct preference optimisation of a llama GGUF on preference pairs. The reference
 * is the base with the LoRA adapter switched off (no second copy), or {@code --ref MODEL.gguf} (needed
 * with {@code --full}: then the base file is loaded a second time when --ref is not given).
 */
@Command(name = "dpo", mixinStandardHelpOptions = true,
        description = {"Direct preference optimisation (DPO, or IPO with --loss ipo) on preference pairs: LoRA (default) or --full.",
            "Logs TRL's rewards/chosen, rewards/rejected, rewards/accuracies, rewards/margins, logps/chosen, logps/rejected",
            "(train.csv, eval.csv for the held-out pairs, TensorBoard, dpo.png). Writes the adapter (LoRA) or the model (--full).",
            "Ctrl-C saves a checkpoint (also every --checkpoint-every steps); rerun with --resume to continue exactly where it stopped."})
final class DpoCommand implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin PrefTrainOptions t;

    @Option(names = "--ref", paramLabel = "MODEL.gguf", description = "the frozen reference (default: the base, i.e. the policy with its adapter off)") Path ref;
    @Option(names = "--beta", defaultValue = "0.1", description = "β: how far from the reference the policy may go (default ${DEFAULT-VALUE})") double beta;
    @Option(names = "--loss", defaultValue = "sigmoid", description = "sigmoid (DPO) | ipo (default ${DEFAULT-VALUE})") String loss;
    @Option(names = "--label-smoothing", defaultValue = "0", description = "ε of conservative DPO: the labels are wrong with probability ε (sigmoid only)") double labelSmoothing;
    @Option(names = "--out", required = true, paramLabel = "OUT.gguf", description = "the adapter (LoRA) or the model (--full)") Path out;

    @Override
    public Integer call() throws Exception {
        PrintWriter o = spec.commandLine().getOut();
        if (t.data == null) throw new IllegalArgumentException("--data FILE is required");
        PreferenceLoss.Kind kind = switch (loss.toLowerCase(Locale.ROOT)) {
            case "sigmoid", "dpo" -> PreferenceLoss.Kind.SIGMOID;
            case "ipo" -> PreferenceLoss.Kind.IPO;
            default -> throw new IllegalArgumentException("--loss must be sigmoid or ipo, got '" + loss + "'");
        };
        DpoTrainer.Settings settings = new DpoTrainer.Settings(beta, kind, labelSmoothing);
        PrefData data = PrefData.forModel(t.model, o);
        data.read(t.data, t.format(), t.skipBad, data.seq(t.seq), t.valFraction, t.seed, o);
        ModelIO.Loaded loaded = t.load();
        try (Parallel pool = new Parallel(t.threads())) {
            LlamaModel policy = t.policy(loaded, pool, o);
            LlamaModel reference = null;
            if (ref != null || policy.lora == null) {
                Path r = ref != null ? ref : t.model;
                reference = LlamaModel.forInference(ModelIO.load(r, true).params(), pool);
                if (!reference.config.equals(policy.config)) throw new IllegalArgumentException("--ref " + r + " has another shape than the model");
                o.println("reference: " + r + (ref == null ? " (a second copy of the base: --full has no adapter to switch off)" : ""));
            } else {
                o.println("reference: the base (the policy with its adapter switched off)");
            }
            o.printf(Locale.ROOT, "%s, β %s%s; %d steps of %d pairs%n", kind == PreferenceLoss.Kind.IPO ? "IPO" : "DPO (sigmoid)", beta,
                    labelSmoothing > 0 ? ", label smoothing " + labelSmoothing : "", t.steps, t.batch);
            o.flush();
            if (t.log != null) Files.createDirectories(t.log);
            long t0 = System.nanoTime();
            int every = Math.max(1, t.steps / 20);
            DpoTrainer trainer = new DpoTrainer(policy, reference, settings, t.loop(), pool, data.train.size(), data.val.size());
            Checkpointing ck = t.checkpointing(out);
            try (GracefulStop _ = new GracefulStop(trainer::requestStop, "jllm-dpo-ctrl-c")) {
                DpoTrainer.Result r = trainer.run(data.train, data.val, t.log, ck, line -> {
                    if (line.startsWith("held-out") || isEvery(line, every, t.steps)) {
                        o.println(line);
                        o.flush();
                    }
                });
                finish(r, policy, loaded, ck, o, t0);
            }
            return 0;
        }
    }

    /** The adapter or model (unless stopped early: then the checkpoint is the result), the plot and the held-out summary. */
    private void finish(DpoTrainer.Result r, LlamaModel policy, ModelIO.Loaded loaded, Checkpointing ck, PrintWriter o, long t0) throws java.io.IOException {
        if (r.interrupted()) {
            o.println("stopped at step " + r.step() + "; checkpoint saved to " + ck.file() + " (continue with --resume)");
        } else if (policy.lora != null) {
            policy.lora.toAdapter().write(out, Map.of("general.name", GgufValue.ofString("jllm-dpo"), "training.steps", GgufValue.ofUInt32(t.steps),
                    dev.jllm.model.PeftLora.RS_LORA_KEY, GgufValue.ofBool(t.rsLora)));
            o.println("wrote the adapter " + out + " (run it with --lora)");
        } else {
            ModelIO.export(loaded.params(), loaded.metadata(), "jllm-dpo", out);
            o.println("wrote " + out);
        }
        if (t.log != null) {
            Path png = t.log.resolve("dpo.png");
            plot(png, r.train(), r.eval());
            o.println("plot: " + png);
        }
        if (!r.eval().isEmpty()) {
            MetricsLog.Row a = r.eval().getFirst(), b = r.eval().getLast();
            o.printf(Locale.ROOT, "held-out: rewards/accuracies %.3f → %.3f, rewards/margins %.4f → %.4f, loss %.4f → %.4f (%.1f s)%n",
                    a.get("rewards/accuracies"), b.get("rewards/accuracies"), a.get("rewards/margins"), b.get("rewards/margins"), a.get("loss"), b.get("loss"),
                    (System.nanoTime() - t0) / 1e9);
        }
        o.flush();
    }

    static boolean isEvery(String line, int every, int steps) {
        int slash = line.indexOf('/'), sp = line.indexOf(' ');
        if (!line.startsWith("step ") || slash < 0) return true;
        int step = Integer.parseInt(line.substring(sp + 1, slash));
        return step % every == 0 || step == steps || step == 1;
    }

    static void plot(Path png, List<MetricsLog.Row> train, List<MetricsLog.Row> eval) throws java.io.IOException {
        MetricsPlot.write(png, List.of(
                new MetricsPlot.Panel("loss (line: train, points: held-out)", List.of(MetricsPlot.of("train", train, "loss", 0, false),
                        MetricsPlot.of("held-out", eval, "loss", 1, true))),
                new MetricsPlot.Panel("rewards/chosen and rewards/rejected (β·log π/π_ref)", List.of(MetricsPlot.of("chosen", train, "rewards/chosen", 2, false),
                        MetricsPlot.of("rejected", train, "rewards/rejected", 1, false), MetricsPlot.of("held-out chosen", eval, "rewards/chosen", 2, true),
                        MetricsPlot.of("held-out rejected", eval, "rewards/rejected", 1, true))),
                new MetricsPlot.Panel("rewards/margins", List.of(MetricsPlot.of("train", train, "rewards/margins", 0, false),
                        MetricsPlot.of("held-out", eval, "rewards/margins", 1, true))),
                new MetricsPlot.Panel("rewards/accuracies", List.of(MetricsPlot.of("train", train, "rewards/accuracies", 0, false),
                        MetricsPlot.of("held-out", eval, "rewards/accuracies", 1, true))),
                new MetricsPlot.Panel("logps/chosen and logps/rejected", List.of(MetricsPlot.of("chosen", train, "logps/chosen", 2, false),
                        MetricsPlot.of("rejected", train, "logps/rejected", 1, false)))));
    }
}

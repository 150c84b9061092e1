package dev.jllm.cli;

import dev.jllm.tensor.Parallel;
import dev.jllm.train.LlamaModel;
import dev.jllm.train.ModelIO;
import dev.jllm.train.pref.Checkpointing;
import dev.jllm.train.pref.MetricsLog;
import dev.jllm.train.pref.RewardModel;
import dev.jllm.train.pref.RewardTrainer;
import dev.jllm.train.pref.ScalarHead;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code jllm rm}: reward models — {@code train}, {@code eval} (with the collapse verdict), {@code score}. */
@Command(name = "rm", mixinStandardHelpOptions = true, subcommands = {RmCommand.Train.class, RmEvalCommand.class, RmScoreCommand.class},
        description = {"Reward models: a scalar head on the last token of prompt + answer, trained on preference pairs (Bradley–Terry).",
            "'rm train' writes one GGUF (backbone + head), 'rm eval' checks it (accuracy CI, Spearman ρ, collapse verdict), 'rm score' scores answers."})
final class RmCommand implements Runnable {
    @Spec CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    @Command(name = "train", mixinStandardHelpOptions = true,
            description = {"Train a reward model: the base's backbone (LoRA, merged at the end, or --full) + a scalar head, Bradley–Terry loss",
                "−log σ(s_chosen − s_rejected). Writes OUT.gguf with the head as tensors rm_head.weight/.bias and key jllm.reward_model.head.",
                "Ctrl-C saves a checkpoint (also every --checkpoint-every steps); rerun with --resume to continue exactly where it stopped."})
    static final class Train implements Callable<Integer> {
        @Spec CommandSpec spec;
        @Mixin PrefTrainOptions t;
        @Option(names = "--out", required = true, paramLabel = "RM.gguf", description = "the reward model (backbone + head, one file)") Path out;
        @Option(names = "--shuffle-labels", description = "swap chosen and rejected at random (seeded): a deliberately collapsed model, to see 'rm eval' flag it")
        boolean shuffleLabels;

        @Override
        public Integer call() throws Exception {
            PrintWriter o = spec.commandLine().getOut();
            if (t.data == null) throw new IllegalArgumentException("--data FILE is required");
            PrefData data = PrefData.forModel(t.model, o);
            data.read(t.data, t.format(), t.skipBad, data.seq(t.seq), t.valFraction, t.seed, o);
            ModelIO.Loaded loaded = t.load();
            try (Parallel pool = new Parallel(t.threads())) {
                LlamaModel backbone = t.policy(loaded, pool, o);
                ScalarHead head = ScalarHead.init(RewardModel.HEAD, loaded.params().config.dim(), t.seed);
                if (shuffleLabels) o.println("--shuffle-labels: chosen and rejected are swapped at random; this model cannot learn the preference");
                o.flush();
                if (t.log != null) Files.createDirectories(t.log);
                long t0 = System.nanoTime();
                int every = Math.max(1, t.steps / 20);
                RewardTrainer trainer = new RewardTrainer(backbone, head, t.loop(), pool, shuffleLabels);
                Checkpointing ck = t.checkpointing(out);
                try (GracefulStop _ = new GracefulStop(trainer::requestStop, "jllm-rm-ctrl-c")) {
                    RewardTrainer.Result r = trainer.run(data.train, data.val, t.log, ck, line -> {
                        if (line.startsWith("held-out") || DpoCommand.isEvery(line, every, t.steps)) {
                            o.println(line);
                            o.flush();
                        }
                    });
                    if (r.interrupted()) {
                        o.println("stopped at step " + r.step() + "; checkpoint saved to " + ck.file() + " (continue with --resume)");
                    } else {
                        RewardModel.save(out, loaded.params(), backbone.lora, loaded.metadata(), head);
                        o.printf(Locale.ROOT, "wrote the reward model %s (%.1f s); check it: jllm rm eval --model %s --data %s%n", out,
                                (System.nanoTime() - t0) / 1e9, out, t.data);
                    }
                    if (t.log != null) {
                        Path png = t.log.resolve("rm.png");
                        plot(png, r.train(), r.eval());
                        o.println("plot: " + png);
                    }
                    o.flush();
                }
                return 0;
            }
        }

        static void plot(Path png, List<MetricsLog.Row> train, List<MetricsLog.Row> eval) throws java.io.IOException {
            MetricsPlot.write(png, List.of(
                    new MetricsPlot.Panel("Bradley–Terry loss (line: train, points: held-out)", List.of(MetricsPlot.of("train", train, "loss", 0, false),
                            MetricsPlot.of("held-out", eval, "loss", 1, true))),
                    new MetricsPlot.Panel("pairwise accuracy", List.of(MetricsPlot.of("train", train, "accuracy", 0, false),
                            MetricsPlot.of("held-out", eval, "accuracy", 1, true))),
                    new MetricsPlot.Panel("mean scores", List.of(MetricsPlot.of("chosen", train, "scores/chosen", 2, false),
                            MetricsPlot.of("rejected", train, "scores/rejected", 1, false)))));
        }
    }
}

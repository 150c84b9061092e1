package dev.jllm.train.pref;

import dev.jllm.tensor.Parallel;
import dev.jllm.train.AdamW;
import dev.jllm.train.TensorBoardWriter;
import dev.jllm.train.Tensors;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

/**
 * The update loop {@link DpoTrainer} and {@link RewardTrainer} share: from the step a checkpoint
 * restored, per step the trainer's loss and gradients, clipping, the warm-up + cosine learning rate,
 * AdamW, a train.csv/TensorBoard row and a progress line; the held-out evaluation before the first
 * step, every {@code evalEvery} steps and at the end; checkpoints as {@link Checkpointing} says; and a
 * clean stop after the current step when asked (Ctrl-C), with the checkpoint saved.
 */
final class PrefLoop {
    private PrefLoop() {}

    /** One step's loss and gradients (grads zeroed first) for step {@code step}; returns its metrics (mutable). */
    interface Step {
        Map<String, Double> run(int step) throws IOException;
    }

    /** The held-out metrics after {@code step} steps, as a row of {@code eval.csv}. */
    interface Eval {
        void run(int step, MetricsLog el) throws IOException;
    }

    record Outcome(List<MetricsLog.Row> train, List<MetricsLog.Row> eval, int step, boolean interrupted) {}

    /**
     * @param start the step {@code ck.restore} returned
     * @param what what the checkpoint records as its run (the command and options)
     */
    static Outcome run(PrefOptions opt, Tensors params, Tensors grads, AdamW adam, int start, Parallel pool, Path logDir, Checkpointing ck,
                       String what, boolean hasVal, BooleanSupplier stop, Step step, Eval eval, Consumer<String> progress) throws IOException {
        TensorBoardWriter tb = logDir == null ? null : new TensorBoardWriter(logDir);
        try (MetricsLog tl = new MetricsLog(logDir == null ? null : logDir.resolve("train.csv"), "train", tb, start);
             MetricsLog el = new MetricsLog(logDir == null ? null : logDir.resolve("eval.csv"), "eval", tb, start)) {
            if (hasVal && start == 0) eval.run(0, el);
            int s = start;
            boolean interrupted = false;
            for (; s < opt.steps(); s++) {
                if (stop.getAsBoolean()) {
                    interrupted = true;
                    break;
                }
                Map<String, Double> m = step.run(s);
                double norm = AdamW.gradNorm(grads);
                if (opt.maxGradNorm() > 0) AdamW.clip(grads, norm, opt.maxGradNorm());
                float lr = MetricsLog.lrAt(s, opt.steps(), opt.warmup(), opt.lr(), opt.minLrRatio());
                adam.step(params, grads, lr, pool);
                m.put("lr", (double) lr);
                m.put("grad_norm", norm);
                tl.row(s + 1, m);
                if (progress != null) progress.accept(DpoTrainer.line("step " + (s + 1) + "/" + opt.steps(), m));
                boolean last = s + 1 == opt.steps();
                if (hasVal && (last || opt.evalEvery() > 0 && (s + 1) % opt.evalEvery() == 0)) eval.run(s + 1, el);
                ck.maybeSave(s + 1, opt.steps(), what, params, adam);
            }
            ck.save(s, what, params, adam);
            return new Outcome(tl.rows(), el.rows(), s, interrupted);
        } finally {
            if (tb != null) tb.close();
        }
    }
}

package dev.jllm.train;

import dev.jllm.gguf.GgufValue;
import dev.jllm.tensor.Parallel;
import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;

/**
 * The training loop: per step, {@code accum} micro-batches of forward + backward, a guard against
 * non-finite loss or gradient norm, global-norm clipping, AdamW at the scheduled LR; then logs
 * (train.csv, TensorBoard), periodic validation and checkpoints; at the end a GGUF the engine runs.
 *
 * <p>Guard: a non-finite step is skipped (no update), logged, and the LR scale is multiplied by
 * {@code bad_step_lr_factor}; {@code max_bad_steps} in a row abort the run (the last checkpoint is
 * kept). A loss more than {@code spike_sigmas} standard deviations above the running window's mean
 * is reported as a spike. Everything that decides the numbers (weights, moments, step, LR scale) is
 * checkpointed and the data order is a function of (seed, step), so a resumed run repeats the
 * uninterrupted run's losses exactly (same thread count not even required: kernels sum in a fixed
 * order).
 */
public final class Trainer {
    /** What one step did; {@code valLoss} is NaN when there was no validation this step. */
    public record StepReport(int step, int steps, float loss, float lr, double gradNorm, double tokensPerSecond, boolean skipped, float valLoss) {}

    /** Receives step reports and human-readable events (progress bars, plots, console). */
    public interface Listener {
        void step(StepReport r);
        void message(String text);
    }

    /** Thrown when {@code max_bad_steps} non-finite steps happen in a row. */
    public static final class DivergedException extends RuntimeException {
        public DivergedException(String m) { super(m); }
    }

    /** How a run ended. */
    public record Result(int step, float lastLoss, float valLoss, boolean interrupted, List<StepReport> history) {}

    private final TrainConfig cfg;
    private final Params params;
    private final Map<String, GgufValue> metadata;
    private final TokenShards shards;
    private final Listener listener;
    private volatile boolean stopRequested;
    /** Test hook: runs on the gradients after each step's backward (e.g. to inject a NaN). */
    Consumer<Params> gradHook;

    public Trainer(TrainConfig cfg, ModelIO.Loaded model, TokenShards shards, Listener listener) {
        this.cfg = cfg;
        this.params = model.params();
        this.metadata = model.metadata();
        this.shards = shards;
        this.listener = listener;
        if (shards.vocab > params.config.vocabSize()) {
            throw new IllegalArgumentException("the shards' vocabulary has " + shards.vocab + " tokens, the model only " + params.config.vocabSize()
                    + "; tokenize with the model's own tokenizer");
        }
        if (cfg.seq() > params.config.contextLength()) {
            throw new IllegalArgumentException("seq " + cfg.seq() + " exceeds the model's context length " + params.config.contextLength());
        }
    }

    /** The weights being trained (tests perturb them to provoke a loss spike). */
    Params paramsForTest() { return params; }

    /** Asks the loop to stop after the current step and save a checkpoint (Ctrl-C). */
    public void requestStop() { stopRequested = true; }

    public Result run() throws IOException {
        DataLoader data = new DataLoader(shards, cfg.mix(), cfg.seq());
        final int B = cfg.batch(), T = cfg.seq();
        int[] inputs = new int[B * T], targets = new int[B * T];
        Path logDir = cfg.log().isEmpty() ? null : Path.of(cfg.log());
        Path ckpt = Path.of(cfg.checkpoint());
        List<StepReport> history = new ArrayList<>();
        try (Parallel pool = new Parallel(cfg.threads())) {
            LlamaModel model = new LlamaModel(params, pool);
            AdamW opt = new AdamW(params.config, cfg.beta1(), cfg.beta2(), cfg.eps(), cfg.weightDecay(), cfg.decayEmbeddings());
            int start = 0;
            float lrScale = 1f;
            if (cfg.resume() && Files.exists(ckpt)) {
                Checkpoint.State s = Checkpoint.load(ckpt, params, opt);
                start = s.step();
                lrScale = s.lrScale();
                listener.message("resumed from " + ckpt + " at step " + start);
            }
            listener.message("effective config:\n" + cfg.render().strip());
            listener.message(String.format(Locale.ROOT, "model: %,d parameters; data mix %s; %,d tokens per step", params.count(), data.mix(), cfg.tokensPerStep()));
            CsvLog csv = logDir == null ? null : new CsvLog(logDir.resolve("train.csv"), "step,loss,lr,grad_norm,tokens_per_s", start);
            CsvLog valCsv = logDir == null ? null : new CsvLog(logDir.resolve("val.csv"), "step,val_loss", start);
            TensorBoardWriter tb = logDir == null ? null : new TensorBoardWriter(logDir);
            if (logDir != null) Files.writeString(logDir.resolve("config.yaml"), cfg.render());
            ArrayDeque<Float> window = new ArrayDeque<>();
            int bad = 0, step = start;
            float lastLoss = Float.NaN, valLoss = Float.NaN;
            boolean interrupted = false;
            try {
                for (; step < cfg.steps(); step++) {
                    if (stopRequested) {
                        interrupted = true;
                        break;
                    }
                    long t0 = System.nanoTime();
                    model.zeroGrad();
                    double lossSum = 0;
                    for (int micro = 0; micro < cfg.accum(); micro++) {
                        data.trainBatch(cfg.seed(), step, micro, B, T, inputs, targets);
                        lossSum += model.forward(inputs, targets, B, T);
                        model.backward(1f / cfg.accum());
                    }
                    if (gradHook != null) gradHook.accept(model.grads);
                    float loss = (float) (lossSum / cfg.accum());
                    double norm = AdamW.gradNorm(model.grads);
                    float lr = cfg.lrAt(step) * lrScale;
                    boolean skipped = !Float.isFinite(loss) || !Double.isFinite(norm);
                    if (skipped) {
                        bad++;
                        lrScale *= cfg.badStepLrFactor();
                        listener.message(String.format(Locale.ROOT, "step %d: non-finite %s (loss %s, grad norm %s): update skipped, LR scale now %.3g (%d/%d in a row)",
                                step + 1, Float.isFinite(loss) ? "gradient" : "loss", loss, norm, lrScale, bad, cfg.maxBadSteps()));
                        if (bad >= cfg.maxBadSteps()) {
                            throw new DivergedException("training diverged: " + bad + " non-finite steps in a row at step " + (step + 1)
                                    + "; lower --lr, raise --warmup or check the data (the last checkpoint is " + ckpt + ")");
                        }
                    } else {
                        bad = 0;
                        if (cfg.clip() > 0) AdamW.clip(model.grads, norm, cfg.clip());
                        opt.step(params, model.grads, lr, pool);
                        spikeCheck(window, loss, step);
                        lastLoss = loss;
                    }
                    double tps = cfg.tokensPerStep() / ((System.nanoTime() - t0) / 1e9);
                    float val = Float.NaN;
                    if (cfg.evalEvery() > 0 && (step + 1) % cfg.evalEvery() == 0 && data.hasValidation()) {
                        val = validate(model, data, inputs, targets);
                        valLoss = val;
                    }
                    StepReport r = new StepReport(step + 1, cfg.steps(), loss, lr, norm, tps, skipped, val);
                    history.add(r);
                    if (csv != null) {
                        csv.row(String.format(Locale.ROOT, "%d,%.6f,%.6g,%.6f,%.1f", r.step(), r.loss(), r.lr(), r.gradNorm(), r.tokensPerSecond()));
                        if (!Float.isNaN(val)) valCsv.row(String.format(Locale.ROOT, "%d,%.6f", r.step(), val));
                    }
                    if (tb != null) {
                        tb.scalar("train/loss", step + 1, loss);
                        tb.scalar("train/lr", step + 1, lr);
                        tb.scalar("train/grad_norm", step + 1, (float) norm);
                        tb.scalar("train/tokens_per_s", step + 1, (float) tps);
                        if (!Float.isNaN(val)) tb.scalar("val/loss", step + 1, val);
                        tb.flush();
                    }
                    listener.step(r);
                    if (cfg.checkpointEvery() > 0 && (step + 1) % cfg.checkpointEvery() == 0 && step + 1 < cfg.steps()) {
                        Checkpoint.save(ckpt, step + 1, lrScale, cfg.render(), params, opt);
                    }
                }
                boolean validatedLast = !history.isEmpty() && history.get(history.size() - 1).step() == step
                        && !Float.isNaN(history.get(history.size() - 1).valLoss());
                if (!interrupted && data.hasValidation()) {
                    if (!validatedLast) {
                        valLoss = validate(model, data, inputs, targets);
                        if (tb != null) tb.scalar("val/loss", step, valLoss);
                        if (valCsv != null) valCsv.row(String.format(Locale.ROOT, "%d,%.6f", step, valLoss));
                    }
                    listener.message(String.format(Locale.ROOT, "validation loss %.4f after %d steps", valLoss, step));
                }
                Checkpoint.save(ckpt, step, lrScale, cfg.render(), params, opt);
                if (interrupted) {
                    listener.message("stopped at step " + step + "; checkpoint saved to " + ckpt + " (continue with --resume)");
                } else {
                    ModelIO.export(params, metadata, "jllm-trained", Path.of(cfg.out()));
                    listener.message("wrote " + cfg.out());
                }
            } finally {
                if (csv != null) csv.close();
                if (valCsv != null) valCsv.close();
                if (tb != null) tb.close();
            }
            return new Result(step, lastLoss, valLoss, interrupted, history);
        }
    }

    private float validate(LlamaModel model, DataLoader data, int[] inputs, int[] targets) {
        double sum = 0;
        for (int i = 0; i < cfg.evalBatches(); i++) {
            data.valBatch(i, cfg.batch(), cfg.seq(), inputs, targets);
            sum += model.forward(inputs, targets, cfg.batch(), cfg.seq());
        }
        return (float) (sum / cfg.evalBatches());
    }

    private void spikeCheck(ArrayDeque<Float> window, float loss, int step) {
        if (window.size() >= Math.max(10, cfg.spikeWindow() / 2)) {
            double mean = 0, var = 0;
            for (float x : window) mean += x;
            mean /= window.size();
            for (float x : window) var += (x - mean) * (x - mean);
            double std = Math.sqrt(var / window.size());
            if (loss > mean + cfg.spikeSigmas() * Math.max(std, 1e-3)) {
                listener.message(String.format(Locale.ROOT, "step %d: loss spike %.4f (window mean %.4f, std %.4f)", step + 1, loss, mean, std));
            }
        }
        window.addLast(loss);
        if (window.size() > cfg.spikeWindow()) window.removeFirst();
    }

    /** A CSV log (DIR/train.csv, DIR/val.csv) whose first column is the step; on resume, rows after the checkpoint are dropped. */
    static final class CsvLog implements AutoCloseable {
        private final BufferedWriter w;

        CsvLog(Path file, String header, int resumeStep) throws IOException {
            Files.createDirectories(file.toAbsolutePath().getParent());
            List<String> keep = new ArrayList<>();
            keep.add(header);
            if (resumeStep > 0 && Files.exists(file)) {
                for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
                    if (line.isEmpty() || line.startsWith("step")) continue;
                    if (Integer.parseInt(line.substring(0, line.indexOf(','))) <= resumeStep) keep.add(line);
                }
            }
            Files.write(file, keep, StandardCharsets.UTF_8);
            w = Files.newBufferedWriter(file, StandardCharsets.UTF_8, StandardOpenOption.APPEND);
        }

        void row(String line) throws IOException {
            w.write(line);
            w.newLine();
            w.flush();
        }

        @Override
        public void close() throws IOException { w.close(); }
    }
}

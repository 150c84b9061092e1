package dev.jllm.train;

import dev.jllm.gguf.GgufValue;
import dev.jllm.tensor.Parallel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Supervised fine-tuning: LoRA over a frozen base ({@link LoraParams}) or the full model, on rows
 * of rendered chat data with loss masks ({@link SftRows}). The same loop discipline as the
 * pretraining {@link Trainer} — accumulation, non-finite guard, clipping, AdamW on the cosine
 * schedule, atomic checkpoints and exact resume — plus the loss of every data source per step
 * (train.csv columns {@code loss_<source>}, TensorBoard {@code train/loss/<source>}), so a mix shows
 * whether each source is still learned. Writes the adapter (GGUF, llama.cpp's layout) or the model.
 */
public final class FineTuner {
    /** One step; {@code sourceLoss[i]} is NaN when source i had no target tokens this step. */
    public record StepReport(int step, int steps, float loss, float[] sourceLoss, float lr, double gradNorm, double tokensPerSecond,
                             boolean skipped, float valLoss, float[] valSourceLoss) {}

    public interface Listener {
        void step(StepReport r);

        void message(String text);
    }

    public record Result(int step, float lastLoss, float valLoss, boolean interrupted, List<StepReport> history) {}

    private final TrainConfig cfg;
    private final ModelIO.Loaded model;
    private final LoraConfig loraConfig;
    private final float loraDropout;
    private final SftRows rows;
    private final Listener listener;
    private volatile boolean stopRequested;

    /** @param lora the adapter to train, or null for full fine-tuning */
    public FineTuner(TrainConfig cfg, ModelIO.Loaded model, LoraConfig lora, SftRows rows, Listener listener) {
        this(cfg, model, lora, 0f, rows, listener);
    }

    /** @param loraDropout PEFT's lora_dropout (0 = none) */
    public FineTuner(TrainConfig cfg, ModelIO.Loaded model, LoraConfig lora, float loraDropout, SftRows rows, Listener listener) {
        if (model.quantized() != null && lora == null) throw new IllegalArgumentException("full fine-tuning needs an fp32 copy of the base (ModelIO.load), not a quantized one");
        if (cfg.seq() > model.params().config.contextLength()) {
            throw new IllegalArgumentException("--seq " + cfg.seq() + " exceeds the model's context length " + model.params().config.contextLength());
        }
        this.cfg = cfg;
        this.model = model;
        this.loraConfig = lora;
        this.loraDropout = loraDropout;
        this.rows = rows;
        this.listener = listener;
    }

    public void requestStop() {
        stopRequested = true;
    }

    public Result run() throws IOException {
        final int B = cfg.batch(), T = cfg.seq(), BT = B * T, S = rows.sources().size();
        int[] in = new int[BT], tg = new int[BT], pos = new int[BT], st = new int[BT], src = new int[BT];
        Path logDir = cfg.log().isEmpty() ? null : Path.of(cfg.log());
        Path ckpt = Path.of(cfg.checkpoint());
        List<StepReport> history = new ArrayList<>();
        try (Parallel pool = new Parallel(cfg.threads())) {
            LoraParams lora = loraConfig == null ? null : LoraParams.init(model.params().config, loraConfig, cfg.seed());
            LlamaModel m = new LlamaModel(model.params(), lora, pool, model.quantized());
            m.setLoraDropout(loraDropout);
            AdamW opt = new AdamW(m.trainable(), cfg.beta1(), cfg.beta2(), cfg.eps(), cfg.weightDecay(), cfg.decayEmbeddings());
            int start = 0;
            float lrScale = 1f;
            if (cfg.resume() && Files.exists(ckpt)) {
                Checkpoint.State s = Checkpoint.load(ckpt, m.trainable(), opt);
                start = s.step();
                lrScale = s.lrScale();
                listener.message("resumed from " + ckpt + " at step " + start);
            }
            listener.message("effective config:\n" + cfg.render().strip());
            StringBuilder head = new StringBuilder("step,loss,lr,grad_norm,tokens_per_s");
            for (String s : rows.sources()) head.append(",loss_").append(s);
            StringBuilder vhead = new StringBuilder("step,val_loss");
            for (String s : rows.sources()) vhead.append(",val_loss_").append(s);
            Trainer.CsvLog csv = logDir == null ? null : new Trainer.CsvLog(logDir.resolve("train.csv"), head.toString(), start);
            Trainer.CsvLog valCsv = logDir == null ? null : new Trainer.CsvLog(logDir.resolve("val.csv"), vhead.toString(), start);
            TensorBoardWriter tb = logDir == null ? null : new TensorBoardWriter(logDir);
            if (logDir != null) Files.writeString(logDir.resolve("config.yaml"), cfg.render());
            int bad = 0, step = start;
            float lastLoss = Float.NaN, valLoss = Float.NaN;
            if (start == 0 && rows.validationBatches(B, T) > 0) {
                // the held-out loss before any update: the baseline the run is judged against
                float[] vsl0 = new float[S];
                float v0 = validate(m, vsl0, in, tg, pos, st, src);
                if (valCsv != null) valCsv.row(row(0, v0, vsl0));
                if (tb != null) tb.scalar("val/loss", 0, v0);
                listener.message(String.format(Locale.ROOT, "held-out loss before training: %.4f", v0));
            }
            boolean interrupted = false;
            try {
                for (; step < cfg.steps(); step++) {
                    if (stopRequested) {
                        interrupted = true;
                        break;
                    }
                    long t0 = System.nanoTime();
                    m.zeroGrad();
                    double[] srcSum = new double[S];
                    long[] srcN = new long[S];
                    double lossSum = 0;
                    long targets = 0;
                    for (int micro = 0; micro < cfg.accum(); micro++) {
                        rows.trainBatch(cfg.seed(), step, micro, B, T, in, tg, pos, st, src);
                        m.dropoutKey(((cfg.seed() * 1_000_003L + step) * 1_009L + micro) & Long.MAX_VALUE); // a function of (seed, step, micro): resume-exact
                        int n = Layers.validCount(tg, BT);
                        float loss = m.forward(in, tg, pos, st, B, T);
                        lossSum += (double) loss * n;
                        targets += n;
                        perSource(m.rowLosses(), tg, src, srcSum, srcN);
                        // micro-batches are weighted by their target tokens: the step's loss is the mean over all of them
                        m.backward(n == 0 ? 0f : (float) n);
                    }
                    Tensors g = m.trainableGrads();
                    if (targets > 0) scale(g, 1f / targets);
                    float loss = targets == 0 ? Float.NaN : (float) (lossSum / targets);
                    double norm = AdamW.gradNorm(g);
                    float lr = cfg.lrAt(step) * lrScale;
                    boolean skipped = targets == 0 || !Float.isFinite(loss) || !Double.isFinite(norm);
                    if (skipped) {
                        bad++;
                        lrScale *= targets == 0 ? 1f : cfg.badStepLrFactor();
                        listener.message(String.format(Locale.ROOT, "step %d: %s: update skipped (%d/%d in a row)", step + 1,
                                targets == 0 ? "no target tokens in the batch (every token masked)" : "non-finite loss or gradient", bad, cfg.maxBadSteps()));
                        if (bad >= cfg.maxBadSteps()) {
                            throw new Trainer.DivergedException("fine-tuning stopped: " + bad + " bad steps in a row at step " + (step + 1)
                                    + "; lower --lr or check the data (the last checkpoint is " + ckpt + ")");
                        }
                    } else {
                        bad = 0;
                        if (cfg.clip() > 0) AdamW.clip(g, norm, cfg.clip());
                        opt.step(m.trainable(), g, lr, pool);
                        lastLoss = loss;
                    }
                    float[] sl = means(srcSum, srcN);
                    double tps = cfg.tokensPerStep() / ((System.nanoTime() - t0) / 1e9);
                    float val = Float.NaN;
                    float[] vsl = null;
                    if (cfg.evalEvery() > 0 && (step + 1) % cfg.evalEvery() == 0 && rows.validationBatches(B, T) > 0) {
                        vsl = new float[S];
                        val = validate(m, vsl, in, tg, pos, st, src);
                        valLoss = val;
                    }
                    StepReport r = new StepReport(step + 1, cfg.steps(), loss, sl, lr, norm, tps, skipped, val, vsl);
                    history.add(r);
                    log(r, csv, valCsv, tb);
                    listener.step(r);
                    if (cfg.checkpointEvery() > 0 && (step + 1) % cfg.checkpointEvery() == 0 && step + 1 < cfg.steps()) {
                        Checkpoint.save(ckpt, step + 1, lrScale, cfg.render(), m.trainable(), opt);
                    }
                }
                if (!interrupted && rows.validationBatches(B, T) > 0 && (history.isEmpty() || Float.isNaN(history.getLast().valLoss()))) {
                    float[] vsl = new float[S];
                    valLoss = validate(m, vsl, in, tg, pos, st, src);
                    if (valCsv != null) valCsv.row(row(step, valLoss, vsl));
                    if (tb != null) tb.scalar("val/loss", step, valLoss);
                }
                if (!interrupted && !Float.isNaN(valLoss)) listener.message(String.format(Locale.ROOT, "validation loss %.4f after %d steps", valLoss, step));
                Checkpoint.save(ckpt, step, lrScale, cfg.render(), m.trainable(), opt);
                if (interrupted) {
                    listener.message("stopped at step " + step + "; checkpoint saved to " + ckpt + " (continue with --resume)");
                } else if (lora != null) {
                    lora.toAdapter().write(Path.of(cfg.out()), Map.of("general.name", GgufValue.ofString("jllm-lora"),
                            "training.steps", GgufValue.ofUInt32(step),
                            dev.jllm.model.PeftLora.RS_LORA_KEY, GgufValue.ofBool(loraConfig.rsLora()))); // export-peft keeps rsLoRA exact
                    listener.message("wrote the adapter " + cfg.out() + " (run it with --lora; llama.cpp: --lora " + cfg.out() + ")");
                } else {
                    ModelIO.export(model.params(), model.metadata(), "jllm-finetuned", Path.of(cfg.out()));
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

    /** Mean loss over all held-out target tokens, and per source. */
    private float validate(LlamaModel m, float[] perSource, int[] in, int[] tg, int[] pos, int[] st, int[] src) {
        int B = cfg.batch(), T = cfg.seq(), S = perSource.length;
        m.dropoutKey(-1); // evaluation: no dropout
        double sum = 0;
        long n = 0;
        double[] ss = new double[S];
        long[] sn = new long[S];
        for (int i = 0; i < rows.validationBatches(B, T); i++) {
            rows.validationBatch(i, B, T, in, tg, pos, st, src);
            int k = Layers.validCount(tg, B * T);
            sum += (double) m.forward(in, tg, pos, st, B, T) * k;
            n += k;
            perSource(m.rowLosses(), tg, src, ss, sn);
        }
        float[] means = means(ss, sn);
        System.arraycopy(means, 0, perSource, 0, S);
        return n == 0 ? Float.NaN : (float) (sum / n);
    }

    private static void perSource(float[] rowLosses, int[] tg, int[] src, double[] sum, long[] n) {
        for (int i = 0; i < tg.length; i++) {
            if (tg[i] == Layers.IGNORE || src[i] < 0) continue;
            sum[src[i]] += rowLosses[i];
            n[src[i]]++;
        }
    }

    private static float[] means(double[] sum, long[] n) {
        float[] r = new float[sum.length];
        for (int i = 0; i < r.length; i++) r[i] = n[i] == 0 ? Float.NaN : (float) (sum[i] / n[i]);
        return r;
    }

    private static void scale(Tensors g, float f) {
        for (Params.Tensor t : g.tensors()) {
            float[] d = t.data();
            for (int i = 0; i < d.length; i++) d[i] *= f;
        }
    }

    private String row(int step, float loss, float[] perSource) {
        StringBuilder b = new StringBuilder().append(step).append(',').append(String.format(Locale.ROOT, "%.6f", loss));
        for (float x : perSource) b.append(',').append(Float.isNaN(x) ? "" : String.format(Locale.ROOT, "%.6f", x));
        return b.toString();
    }

    private void log(StepReport r, Trainer.CsvLog csv, Trainer.CsvLog valCsv, TensorBoardWriter tb) throws IOException {
        if (csv != null) {
            StringBuilder b = new StringBuilder(String.format(Locale.ROOT, "%d,%.6f,%.6g,%.6f,%.1f", r.step(), r.loss(), r.lr(), r.gradNorm(), r.tokensPerSecond()));
            for (float x : r.sourceLoss()) b.append(',').append(Float.isNaN(x) ? "" : String.format(Locale.ROOT, "%.6f", x));
            csv.row(b.toString());
            if (!Float.isNaN(r.valLoss())) valCsv.row(row(r.step(), r.valLoss(), r.valSourceLoss()));
        }
        if (tb != null) {
            tb.scalar("train/loss", r.step(), r.loss());
            for (int i = 0; i < r.sourceLoss().length; i++) {
                if (!Float.isNaN(r.sourceLoss()[i])) tb.scalar("train/loss/" + rows.sources().get(i), r.step(), r.sourceLoss()[i]);
            }
            tb.scalar("train/lr", r.step(), r.lr());
            tb.scalar("train/grad_norm", r.step(), (float) r.gradNorm());
            if (!Float.isNaN(r.valLoss())) {
                tb.scalar("val/loss", r.step(), r.valLoss());
                for (int i = 0; i < r.valSourceLoss().length; i++) {
                    if (!Float.isNaN(r.valSourceLoss()[i])) tb.scalar("val/loss/" + rows.sources().get(i), r.step(), r.valSourceLoss()[i]);
                }
            }
            tb.flush();
        }
    }
}

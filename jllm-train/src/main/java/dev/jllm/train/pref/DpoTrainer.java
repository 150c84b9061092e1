package dev.jllm.train.pref;

import dev.jllm.tensor.Parallel;
import dev.jllm.train.AdamW;
import dev.jllm.train.LlamaModel;
import dev.jllm.train.Tensors;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Direct preference optimisation: the policy (a {@link LlamaModel} with a LoRA adapter, or full)
 * against a frozen reference — the same model with its adapter switched off (no second copy), or a
 * separate model ({@code --ref}). Reference log-probabilities are computed once per pair and kept.
 * Logs TRL's metrics per step ({@code train.csv}, TensorBoard {@code train/…}) and on the held-out
 * pairs ({@code eval.csv}, {@code eval/…}), before the first step too.
 */
public final class DpoTrainer {
    /** β, the loss and cDPO's label smoothing ε (sigmoid only). */
    public record Settings(double beta, PreferenceLoss.Kind kind, double labelSmoothing) {
        public Settings {
            if (!(beta > 0)) throw new IllegalArgumentException("--beta must be > 0, got " + beta);
            if (!(labelSmoothing >= 0 && labelSmoothing < 0.5)) throw new IllegalArgumentException("--label-smoothing must be in [0, 0.5), got " + labelSmoothing);
            if (labelSmoothing > 0 && kind != PreferenceLoss.Kind.SIGMOID) throw new IllegalArgumentException("--label-smoothing goes with the sigmoid loss");
        }
    }

    /** The logged rows (those before a resume included), the steps done, and whether {@link #requestStop} ended the run early. */
    public record Result(List<MetricsLog.Row> train, List<MetricsLog.Row> eval, int step, boolean interrupted) {}

    private final LlamaModel policy;
    private final LlamaModel reference; // null: the policy with its adapter off
    private final Settings settings;
    private final PrefOptions opt;
    private final Parallel pool;
    private final double[][] refTrain, refVal; // per pair: {chosen, rejected}, null until computed
    private volatile boolean stopRequested;

    public DpoTrainer(LlamaModel policy, LlamaModel reference, Settings settings, PrefOptions opt, Parallel pool, int trainPairs, int valPairs) {
        if (reference == null && policy.lora == null) {
            throw new IllegalArgumentException("full-model DPO needs a separate reference model (--ref), the policy has no adapter to switch off");
        }
        this.policy = policy;
        this.reference = reference;
        this.settings = settings;
        this.opt = opt;
        this.pool = pool;
        this.refTrain = new double[trainPairs][];
        this.refVal = new double[valPairs][];
    }

    /** Stops the run after its current step (Ctrl-C); the checkpoint is saved. */
    public void requestStop() {
        stopRequested = true;
    }

    public Result run(List<PreferencePair> train, List<PreferencePair> val, Path logDir, Consumer<String> progress) throws IOException {
        return run(train, val, logDir, Checkpointing.NONE, progress);
    }

    public Result run(List<PreferencePair> train, List<PreferencePair> val, Path logDir, Checkpointing ck, Consumer<String> progress) throws IOException {
        Tensors params = policy.trainable(), grads = policy.trainableGrads();
        AdamW adam = new AdamW(params, 0.9f, 0.999f, 1e-8f, opt.weightDecay(), false);
        int start = ck.restore(params, adam, progress);
        PrefLoop.Outcome o = PrefLoop.run(opt, params, grads, adam, start, pool, logDir, ck, "jllm dpo " + settings + " " + opt, !val.isEmpty(),
                () -> stopRequested, step -> {
                    int[] idx = opt.batchAt(step, train.size());
                    List<PreferencePair> pairs = new ArrayList<>();
                    for (int i : idx) pairs.add(train.get(i));
                    policy.zeroGrad();
                    return stats(pairs, idx, refTrain, true).metrics();
                }, (step, el) -> evaluate(val, step, el, progress), progress);
        return new Result(o.train(), o.eval(), o.step(), o.interrupted());
    }

    /** TRL's metrics on the held-out pairs, no update. */
    private void evaluate(List<PreferencePair> val, int step, MetricsLog el, Consumer<String> progress) throws IOException {
        int n = val.size(), b = opt.batch();
        double[] sums = null;
        List<String> names = null;
        for (int from = 0; from < n; from += b) {
            int to = Math.min(n, from + b);
            int[] idx = new int[to - from];
            for (int i = 0; i < idx.length; i++) idx[i] = from + i;
            Map<String, Double> m = stats(val.subList(from, to), idx, refVal, false).metrics();
            if (sums == null) {
                names = new ArrayList<>(m.keySet());
                sums = new double[names.size()];
            }
            for (int k = 0; k < names.size(); k++) sums[k] += m.get(names.get(k)) * idx.length;
        }
        Map<String, Double> mean = new LinkedHashMap<>();
        for (int k = 0; k < names.size(); k++) mean.put(names.get(k), sums[k] / n);
        el.row(step, mean);
        if (progress != null) progress.accept(line("held-out after step " + step, mean));
    }

    /** Policy log-probabilities (and the reference's, cached), the loss, and its gradient when {@code train}. */
    Stats stats(List<PreferencePair> pairs, int[] idx, double[][] refCache, boolean train) {
        PairBatch b = PairBatch.of(pairs);
        int n = pairs.size();
        boolean ipo = settings.kind() == PreferenceLoss.Kind.IPO;
        // reference first: with the adapter switched off, the policy's activations are then overwritten by its own pass
        List<Integer> missing = new ArrayList<>();
        for (int i = 0; i < n; i++) if (refCache[idx[i]] == null) missing.add(i);
        if (!missing.isEmpty()) {
            double[] ref = logps(reference == null ? policy : reference, b, reference == null);
            for (int i : missing) refCache[idx[i]] = new double[] {ref[2 * i], ref[2 * i + 1]};
        }
        policy.forward(b.inputs, b.targets, b.B, b.T);
        double[] lp = b.sequenceLogps(policy.rowLosses());
        double[] pc = new double[n], pr = new double[n], rc = new double[n], rr = new double[n];
        for (int i = 0; i < n; i++) {
            double lc = ipo ? b.answerTokens[2 * i] : 1, lrn = ipo ? b.answerTokens[2 * i + 1] : 1; // IPO: mean per-token log-probabilities
            pc[i] = lp[2 * i] / lc;
            pr[i] = lp[2 * i + 1] / lrn;
            rc[i] = refCache[idx[i]][0] / lc;
            rr[i] = refCache[idx[i]][1] / lrn;
        }
        PreferenceLoss.Dpo d = PreferenceLoss.dpo(settings.kind(), settings.beta(), settings.labelSmoothing(), pc, pr, rc, rr);
        if (train) {
            double[] dLogp = new double[2 * n];
            for (int i = 0; i < n; i++) {
                dLogp[2 * i] = d.dChosen()[i] / (ipo ? b.answerTokens[2 * i] : 1);
                dLogp[2 * i + 1] = d.dRejected()[i] / (ipo ? b.answerTokens[2 * i + 1] : 1);
            }
            policy.backward(b.rowScale(dLogp), null);
        }
        return new Stats(d);
    }

    private static double[] logps(LlamaModel m, PairBatch b, boolean adapterOff) {
        if (adapterOff) m.adapterEnabled(false);
        try {
            m.forward(b.inputs, b.targets, b.B, b.T);
            return b.sequenceLogps(m.rowLosses());
        } finally {
            if (adapterOff) m.adapterEnabled(true);
        }
    }

    record Stats(PreferenceLoss.Dpo d) {
        Map<String, Double> metrics() {
            Map<String, Double> m = new LinkedHashMap<>();
            m.put("loss", d.loss());
            m.put("rewards/chosen", d.rewardChosen());
            m.put("rewards/rejected", d.rewardRejected());
            m.put("rewards/accuracies", d.accuracy());
            m.put("rewards/margins", d.margin());
            m.put("logps/chosen", d.logpChosen());
            m.put("logps/rejected", d.logpRejected());
            return m;
        }
    }

    static String line(String head, Map<String, Double> m) {
        StringBuilder s = new StringBuilder(head);
        for (Map.Entry<String, Double> e : m.entrySet()) {
            if (e.getKey().equals("lr")) s.append(String.format(java.util.Locale.ROOT, "  lr %.3g", e.getValue()));
            else s.append(String.format(java.util.Locale.ROOT, "  %s %.4f", e.getKey(), e.getValue()));
        }
        return s.toString();
    }

}

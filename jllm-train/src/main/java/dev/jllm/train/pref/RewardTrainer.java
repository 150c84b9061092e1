package dev.jllm.train.pref;

import dev.jllm.tensor.Parallel;
import dev.jllm.train.AdamW;
import dev.jllm.train.LlamaModel;
import dev.jllm.train.Params;
import dev.jllm.train.Tensors;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Reward-model training: the backbone (LoRA or full) and a {@link ScalarHead} on the last token of
 * prompt + answer, Bradley–Terry loss −log σ(s_c − s_r) over the pairs of each step (TRL's
 * {@code RewardTrainer}, InstructGPT §3.5). Logs loss, accuracy and the mean scores and margin per
 * step (train.csv, TensorBoard {@code train/…}) and on held-out pairs (eval.csv, {@code eval/…}).
 *
 * <p>{@code flipLabels} trains on the pairs with chosen and rejected exchanged at random (seeded): a
 * model that cannot learn anything — the deliberately collapsed reward model the evaluation must flag.
 */
public final class RewardTrainer {
    /** The logged rows (those before a resume included), the steps done, and whether {@link #requestStop} ended the run early. */
    public record Result(List<MetricsLog.Row> train, List<MetricsLog.Row> eval, int step, boolean interrupted) {}

    private final RewardModel rm;
    private final ScalarHead headGrad;
    private final PrefOptions opt;
    private final Parallel pool;
    private final boolean flipLabels;
    private volatile boolean stopRequested;

    public RewardTrainer(LlamaModel model, ScalarHead head, PrefOptions opt, Parallel pool, boolean flipLabels) {
        this.rm = new RewardModel(model, head);
        this.headGrad = new ScalarHead(head.tensors().get(0).name().replace(".weight", ""), head.dim);
        this.opt = opt;
        this.pool = pool;
        this.flipLabels = flipLabels;
    }

    /** Stops the run after its current step (Ctrl-C); the checkpoint is saved. */
    public void requestStop() {
        stopRequested = true;
    }

    public Result run(List<PreferencePair> train, List<PreferencePair> val, Path logDir, Consumer<String> progress) throws IOException {
        return run(train, val, logDir, Checkpointing.NONE, progress);
    }

    public Result run(List<PreferencePair> train, List<PreferencePair> val, Path logDir, Checkpointing ck, Consumer<String> progress) throws IOException {
        Tensors params = concat(rm.model.trainable(), rm.head), grads = concat(rm.model.trainableGrads(), headGrad);
        AdamW adam = new AdamW(params, 0.9f, 0.999f, 1e-8f, opt.weightDecay(), false);
        int start = ck.restore(params, adam, progress);
        java.util.SplittableRandom flip = new java.util.SplittableRandom(opt.seed() ^ 0x5DEECE66DL);
        // a resumed run draws the label flips the uninterrupted one would have drawn: replay those of the steps already done
        if (flipLabels) for (int s = 0; s < start; s++) for (int k = opt.batchAt(s, train.size()).length; k > 0; k--) flip.nextBoolean();
        String what = "jllm rm train " + opt + (flipLabels ? " shuffled labels" : "");
        PrefLoop.Outcome o = PrefLoop.run(opt, params, grads, adam, start, pool, logDir, ck, what, !val.isEmpty(), () -> stopRequested, step -> {
            List<PreferencePair> pairs = new ArrayList<>();
            for (int i : opt.batchAt(step, train.size())) {
                PreferencePair p = train.get(i);
                pairs.add(flipLabels && flip.nextBoolean() ? new PreferencePair(p.rejected(), p.rejectedPrompt(), p.chosen(), p.chosenPrompt(), p.margin()) : p);
            }
            rm.model.zeroGrad();
            headGrad.zero();
            return step(pairs, true);
        }, (step, el) -> evaluate(val, step, el, progress), progress);
        return new Result(o.train(), o.eval(), o.step(), o.interrupted());
    }

    /** Scores, the Bradley–Terry loss and, when {@code train}, its gradient into the backbone and the head. */
    Map<String, Double> step(List<PreferencePair> pairs, boolean train) {
        PairBatch b = PairBatch.of(pairs);
        int n = pairs.size();
        double[] s = rm.score(b);
        double[] sc = new double[n], sr = new double[n];
        for (int i = 0; i < n; i++) {
            sc[i] = s[2 * i];
            sr[i] = s[2 * i + 1];
        }
        PreferenceLoss.Pairwise l = PreferenceLoss.bradleyTerry(sc, sr);
        if (train) {
            float[] h = rm.model.hidden();
            float[] dHidden = new float[b.B * b.T * rm.head.dim];
            for (int i = 0; i < n; i++) {
                rm.head.backward(l.dChosen()[i], h, 2 * i * b.T + b.last[2 * i], dHidden, headGrad);
                rm.head.backward(l.dRejected()[i], h, (2 * i + 1) * b.T + b.last[2 * i + 1], dHidden, headGrad);
            }
            rm.model.backward(null, dHidden);
        }
        double mc = 0, mr = 0;
        for (int i = 0; i < n; i++) {
            mc += sc[i] / n;
            mr += sr[i] / n;
        }
        Map<String, Double> m = new LinkedHashMap<>();
        m.put("loss", l.loss());
        m.put("accuracy", l.accuracy());
        m.put("scores/chosen", mc);
        m.put("scores/rejected", mr);
        m.put("scores/margin", mc - mr);
        return m;
    }

    private void evaluate(List<PreferencePair> val, int step, MetricsLog el, Consumer<String> progress) throws IOException {
        Map<String, Double> sum = new LinkedHashMap<>();
        for (int from = 0; from < val.size(); from += opt.batch()) {
            List<PreferencePair> part = val.subList(from, Math.min(val.size(), from + opt.batch()));
            for (Map.Entry<String, Double> e : step(part, false).entrySet()) sum.merge(e.getKey(), e.getValue() * part.size(), Double::sum);
        }
        sum.replaceAll((k, v) -> v / val.size());
        el.row(step, sum);
        if (progress != null) progress.accept(DpoTrainer.line("held-out after step " + step, sum));
    }

    /** The head's gradient of the last training step (tests). */
    ScalarHead headGrad() {
        return headGrad;
    }

    static Tensors concat(Tensors a, Tensors b) {
        List<Params.Tensor> all = new ArrayList<>(a.tensors());
        all.addAll(b.tensors());
        List<Params.Tensor> fixed = List.copyOf(all);
        return () -> fixed;
    }
}

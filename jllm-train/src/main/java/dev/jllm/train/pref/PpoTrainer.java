package dev.jllm.train.pref;

import dev.jllm.tensor.Parallel;
import dev.jllm.train.AdamW;
import dev.jllm.train.LlamaModel;
import dev.jllm.train.LoraParams;
import dev.jllm.train.TensorBoardWriter;
import dev.jllm.train.Tensors;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Consumer;

/**
 * PPO with a KL penalty (Ziegler et al. 2019, InstructGPT; TRL's {@code PPOTrainer} v0.11): each step
 * samples responses to a batch of prompts from the current policy ({@link Rollouts}: jllm's engine),
 * scores them ({@link RewardFn}), and computes with the training forward pass the policy's and the
 * reference's (the same model with its LoRA adapter off) log-probabilities, a value head's values
 * and the entropy. Per-token reward: −kl_coef·(log π − log π_ref) on every token, plus the score on
 * the last; GAE(γ, λ); whitened advantages; then {@code epochs} passes of shuffled minibatches with
 * the clipped policy loss + vf_coef · the clipped value loss. The KL coefficient is fixed, or adapted
 * toward {@code targetKl} (Ziegler's controller). The policy and the value head share the backbone
 * (TRL's AutoModelForCausalLMWithValueHead).
 */
public final class PpoTrainer {
    /** Samples one response (token ids, an end-of-generation token included when one ended it) per prompt from the policy. */
    public interface Rollouts {
        List<int[]> sample(List<int[]> prompts, LoraParams policy, long seed);
    }

    /** A scalar reward per (prompt, response). */
    public interface RewardFn {
        double[] score(List<int[]> prompts, List<int[]> responses);
    }

    public record Settings(int steps, int batch, int epochs, int minibatch, double gamma, double lambda, double clip, double vfClip, double vfCoef,
                           double klCoef, double targetKl, double horizon, float lr, float maxGradNorm, long seed) {
        public Settings {
            if (steps <= 0 || batch <= 0 || epochs <= 0 || minibatch <= 0) throw new IllegalArgumentException("--steps, --batch, --ppo-epochs, --minibatch must be > 0");
            if (minibatch > batch) throw new IllegalArgumentException("--minibatch " + minibatch + " is larger than --batch " + batch);
            if (!(gamma >= 0 && gamma <= 1 && lambda >= 0 && lambda <= 1)) throw new IllegalArgumentException("--gamma and --lam must be in [0, 1]");
            if (!(clip > 0 && vfClip > 0 && vfCoef >= 0 && klCoef >= 0)) throw new IllegalArgumentException("--cliprange, --cliprange-value > 0; --vf-coef, --kl-coef >= 0");
            if (!Double.isNaN(targetKl) && !(targetKl > 0 && horizon > 0)) throw new IllegalArgumentException("--target-kl and --kl-horizon must be > 0");
        }

        public boolean adaptive() {
            return !Double.isNaN(targetKl);
        }
    }

    public record Result(List<MetricsLog.Row> steps) {}

    private final LlamaModel policy;
    private final ScalarHead valueHead, valueGrad;
    private final Settings s;
    private final Parallel pool;

    public PpoTrainer(LlamaModel policy, Settings settings, Parallel pool) {
        if (policy.lora == null) throw new IllegalArgumentException("jllm ppo trains a LoRA adapter: the reference is the base with the adapter off");
        this.policy = policy;
        this.valueHead = ScalarHead.init("v_head", policy.config.dim(), settings.seed() + 7);
        this.valueGrad = new ScalarHead("v_head", policy.config.dim());
        this.s = settings;
        this.pool = pool;
    }

    public Result run(List<int[]> prompts, Rollouts rollouts, RewardFn reward, Path logDir, Consumer<String> progress) throws IOException {
        TensorBoardWriter tb = logDir == null ? null : new TensorBoardWriter(logDir);
        try (MetricsLog log = new MetricsLog(logDir == null ? null : logDir.resolve("ppo.csv"), "ppo", tb)) {
            Tensors params = RewardTrainer.concat(policy.trainable(), valueHead), grads = RewardTrainer.concat(policy.trainableGrads(), valueGrad);
            AdamW adam = new AdamW(params, 0.9f, 0.999f, 1e-8f, 0f, false);
            PrefOptions order = new PrefOptions(s.steps(), s.batch(), s.lr(), 0, 1, 0, 0, s.seed(), 0);
            double klCoef = s.klCoef();
            for (int step = 0; step < s.steps(); step++) {
                List<int[]> ps = new ArrayList<>();
                for (int i : order.batchAt(step, prompts.size())) ps.add(prompts.get(i));
                List<int[]> responses = rollouts.sample(ps, policy.lora, s.seed() * 1_000_003L + step);
                double[] scores = reward.score(ps, responses);
                Map<String, Double> m = update(ps, responses, scores, klCoef, adam, params, grads, step);
                double kl = m.get("objective/kl");
                m.put("objective/kl_coef", klCoef);
                if (s.adaptive()) klCoef = Ppo.adaptiveKl(klCoef, kl, s.targetKl(), ps.size(), s.horizon());
                log.row(step + 1, m);
                if (progress != null) progress.accept(DpoTrainer.line("step " + (step + 1) + "/" + s.steps(), m));
            }
            return new Result(log.rows());
        } finally {
            if (tb != null) tb.close();
        }
    }

    /** One PPO step on a batch of rollouts; returns its metrics. */
    Map<String, Double> update(List<int[]> prompts, List<int[]> responses, double[] scores, double klCoef, AdamW adam, Tensors params, Tensors grads, int step) {
        int n = prompts.size();
        List<int[]> seqs = new ArrayList<>();
        int[] P = new int[n];
        for (int i = 0; i < n; i++) {
            int[] p = prompts.get(i), r = responses.get(i);
            int[] q = java.util.Arrays.copyOf(p, p.length + r.length);
            System.arraycopy(r, 0, q, p.length, r.length);
            seqs.add(q);
            P[i] = p.length;
        }
        // rollout statistics with the training forward pass: old log-probs, values, entropy; then the reference's log-probs
        PairBatch b = PairBatch.rows(seqs, P);
        double[][] old = new double[n][], val = new double[n][], ref = new double[n][];
        double entropy = 0;
        int tokens = 0;
        policy.forward(b.inputs, b.targets, b.B, b.T);
        float[] probs = policy.probabilities();
        int V = policy.config.vocabSize();
        for (int i = 0; i < n; i++) {
            int L = responses.get(i).length;
            old[i] = new double[L];
            val[i] = new double[L];
            for (int j = 0; j < L; j++) {
                int pos = i * b.T + P[i] - 1 + j;
                old[i][j] = -policy.rowLosses()[pos];
                val[i][j] = valueHead.forward(policy.hidden(), pos);
                double h = 0;
                for (int v = 0; v < V; v++) {
                    float p = probs[pos * V + v];
                    if (p > 0) h -= p * Math.log(p);
                }
                entropy += h;
                tokens++;
            }
        }
        policy.adapterEnabled(false);
        try {
            policy.forward(b.inputs, b.targets, b.B, b.T);
        } finally {
            policy.adapterEnabled(true);
        }
        double klSum = 0;
        double[][] adv = new double[n][], ret = new double[n][];
        double[] flat = new double[tokens];
        int k = 0;
        for (int i = 0; i < n; i++) {
            int L = old[i].length;
            ref[i] = new double[L];
            double[] rw = new double[L];
            for (int j = 0; j < L; j++) {
                ref[i][j] = -policy.rowLosses()[i * b.T + P[i] - 1 + j];
                double kl = old[i][j] - ref[i][j];
                klSum += kl;
                rw[j] = -klCoef * kl;
            }
            rw[L - 1] += scores[i];
            adv[i] = new double[L];
            ret[i] = new double[L];
            Ppo.gae(rw, val[i], s.gamma(), s.lambda(), adv[i], ret[i]);
            for (int j = 0; j < L; j++) flat[k++] = adv[i][j];
        }
        double[] raw = stats(flat);
        Ppo.whiten(flat, tokens);
        k = 0;
        for (int i = 0; i < n; i++) for (int j = 0; j < adv[i].length; j++) adv[i][j] = flat[k++];

        // several epochs of shuffled minibatches
        double[] pg = new double[2], vf = new double[2];
        int updates = 0;
        SplittableRandom rnd = new SplittableRandom(s.seed() * 31 + step);
        for (int e = 0; e < s.epochs(); e++) {
            int[] perm = PrefOptions.permutation(n, rnd.nextLong());
            for (int from = 0; from < n; from += s.minibatch()) {
                int to = Math.min(n, from + s.minibatch());
                List<int[]> mbSeqs = new ArrayList<>();
                int[] mbP = new int[to - from];
                int mbTokens = 0;
                for (int q = from; q < to; q++) {
                    mbSeqs.add(seqs.get(perm[q]));
                    mbP[q - from] = P[perm[q]];
                    mbTokens += old[perm[q]].length;
                }
                PairBatch mb = PairBatch.rows(mbSeqs, mbP);
                policy.zeroGrad();
                valueGrad.zero();
                policy.forward(mb.inputs, mb.targets, mb.B, mb.T);
                float[] rowScale = new float[mb.B * mb.T];
                float[] dHidden = new float[mb.B * mb.T * policy.config.dim()];
                double[] pgs = new double[2], vfs = new double[2];
                for (int q = 0; q < mb.B; q++) {
                    int i = perm[from + q];
                    for (int j = 0; j < old[i].length; j++) {
                        int pos = q * mb.T + mbP[q] - 1 + j;
                        double lp = -policy.rowLosses()[pos];
                        double dlp = Ppo.policyTerm(lp, old[i][j], adv[i][j], s.clip(), mbTokens, pgs);
                        rowScale[pos] = (float) -dlp; // a row loss is −log π
                        double v = valueHead.forward(policy.hidden(), pos);
                        double dv = Ppo.valueTerm(v, val[i][j], ret[i][j], s.vfClip(), mbTokens, vfs);
                        valueHead.backward(s.vfCoef() * dv, policy.hidden(), pos, dHidden, valueGrad);
                    }
                }
                policy.backward(rowScale, dHidden);
                double norm = AdamW.gradNorm(grads);
                if (s.maxGradNorm() > 0) AdamW.clip(grads, norm, s.maxGradNorm());
                adam.step(params, grads, s.lr(), pool);
                for (int c = 0; c < 2; c++) {
                    pg[c] += pgs[c];
                    vf[c] += vfs[c];
                }
                updates++;
            }
        }
        double rMean = 0, rSq = 0, len = 0;
        for (int i = 0; i < n; i++) {
            rMean += scores[i] / n;
            len += (double) responses.get(i).length / n;
        }
        for (int i = 0; i < n; i++) rSq += (scores[i] - rMean) * (scores[i] - rMean) / n;
        double vMean = 0, retMean = 0;
        for (int i = 0; i < n; i++) for (int j = 0; j < val[i].length; j++) {
            vMean += val[i][j] / tokens;
            retMean += ret[i][j] / tokens;
        }
        Map<String, Double> m = new LinkedHashMap<>();
        m.put("env/reward_mean", rMean);
        m.put("env/reward_std", Math.sqrt(rSq));
        m.put("objective/kl", klSum / n);
        m.put("objective/entropy", entropy / n);
        m.put("response_length", len);
        m.put("policy/loss", pg[0] / updates);
        m.put("policy/clipfrac", pg[1] / updates);
        m.put("value/loss", vf[0] / updates);
        m.put("value/clipfrac", vf[1] / updates);
        m.put("advantages/mean", raw[0]);
        m.put("advantages/std", raw[1]);
        m.put("advantages/min", raw[2]);
        m.put("advantages/max", raw[3]);
        m.put("returns/mean", retMean);
        m.put("values/mean", vMean);
        return m;
    }

    /** mean, std, min, max. */
    private static double[] stats(double[] x) {
        double m = 0, v = 0, lo = Double.POSITIVE_INFINITY, hi = Double.NEGATIVE_INFINITY;
        for (double d : x) {
            m += d / x.length;
            lo = Math.min(lo, d);
            hi = Math.max(hi, d);
        }
        for (double d : x) v += (d - m) * (d - m) / x.length;
        return new double[] {m, Math.sqrt(v), lo, hi};
    }
}

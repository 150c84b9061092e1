package dev.jllm.train.pref;

/**
 * PPO's per-token arithmetic, as TRL's {@code PPOTrainer} (v0.11, after Ziegler et al. 2019 and
 * InstructGPT), each with its gradient: generalized advantage estimation, the clipped policy loss,
 * the clipped value loss, and the adaptive KL coefficient. Arrays hold one response's tokens; the
 * losses are means over all tokens of a minibatch (TRL's {@code masked_mean}), so callers pass the
 * minibatch's token count {@code n}.
 */
public final class Ppo {
    private Ppo() {}

    /**
     * GAE (Schulman et al. 2016): δ_t = r_t + γ·V_{t+1} − V_t (V after the last token = 0),
     * A_t = δ_t + γλ·A_{t+1}; returns R_t = A_t + V_t.
     */
    public static void gae(double[] rewards, double[] values, double gamma, double lambda, double[] advantages, double[] returns) {
        double last = 0;
        for (int t = rewards.length - 1; t >= 0; t--) {
            double next = t + 1 < rewards.length ? values[t + 1] : 0;
            double delta = rewards[t] + gamma * next - values[t];
            last = delta + gamma * lambda * last;
            advantages[t] = last;
            returns[t] = last + values[t];
        }
    }

    /** Token terms of the clipped surrogate: adds loss/n to {@code sums[0]}, a clipped token to sums[1]; returns dLoss/d logπ_new. */
    public static double policyTerm(double logpNew, double logpOld, double advantage, double clip, int n, double[] sums) {
        double ratio = Math.exp(logpNew - logpOld);
        double l1 = -advantage * ratio;
        double clamped = Math.max(1 - clip, Math.min(1 + clip, ratio));
        double l2 = -advantage * clamped;
        boolean first = l1 >= l2;
        sums[0] += Math.max(l1, l2) / n;
        if (!first) sums[1] += 1.0 / n; // TRL's pg_clipfrac: the clipped term was the larger one
        // d/dlogp of max(l1, l2): l1 → −A·ratio; l2 → −A·ratio inside the clip range, 0 outside it
        boolean inside = ratio >= 1 - clip && ratio <= 1 + clip;
        return (first || inside ? -advantage * ratio : 0) / n;
    }

    /**
     * Token terms of the clipped value loss 0.5·max((v − R)², (clip(v, v_old ± ε) − R)²): adds loss/n to
     * {@code sums[0]}, a clipped token to sums[1]; returns dLoss/dv.
     */
    public static double valueTerm(double v, double vOld, double ret, double clip, int n, double[] sums) {
        double vc = Math.max(vOld - clip, Math.min(vOld + clip, v));
        double l1 = (v - ret) * (v - ret), l2 = (vc - ret) * (vc - ret);
        sums[0] += 0.5 * Math.max(l1, l2) / n;
        if (l2 > l1) sums[1] += 1.0 / n;
        boolean inside = v >= vOld - clip && v <= vOld + clip;
        if (l1 >= l2) return (v - ret) / n;
        return inside ? (vc - ret) / n : 0;
    }

    /**
     * Ziegler et al.'s adaptive KL controller (TRL's {@code AdaptiveKLController}): the coefficient
     * grows when the measured KL is above the target, shrinks below it, by at most 20 % per horizon.
     */
    public static double adaptiveKl(double coef, double kl, double target, int steps, double horizon) {
        double err = Math.max(-0.2, Math.min(0.2, kl / target - 1));
        return coef * (1 + err * steps / horizon);
    }

    /** Whitens {@code x} in place over the first {@code n} entries (mean 0, std 1, unbiased variance, as TRL's whiten). */
    public static void whiten(double[] x, int n) {
        double m = 0, v = 0;
        for (int i = 0; i < n; i++) m += x[i] / n;
        for (int i = 0; i < n; i++) v += (x[i] - m) * (x[i] - m);
        v /= Math.max(1, n - 1);
        double s = 1 / Math.sqrt(v + 1e-8);
        for (int i = 0; i < n; i++) x[i] = (x[i] - m) * s;
    }
}

package dev.jllm.eval.metrics;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * What {@code jllm rm eval} says about a reward model from its scores of the chosen and rejected
 * answers of held-out pairs: pairwise accuracy (a tie counts half) with a bootstrap CI, the scores'
 * mean and standard deviation, Spearman's ρ between the score differences and the data's
 * margin/rank column, and the <b>collapse verdict</b> (the seed's Q13: a model that scores every
 * answer 0.8 has learned nothing). Collapsed when
 * <ul>
 * <li>the scores barely vary: std &lt; {@value #MIN_RELATIVE_SPREAD} · max(|mean|, 1) over all scored
 *     answers (a constant model, whatever its constant), or</li>
 * <li>the accuracy's CI contains 0.5 (no better than a coin on these pairs).</li>
 * </ul>
 * ρ below {@value #MIN_RHO} (the seed's bar) is a warning: a model can order pairs and still not
 * follow the strength of the preference.
 */
public record RewardReport(int pairs, Interval accuracy, double mean, double std, double rho, int rhoPairs, boolean collapsed, List<String> reasons,
                           List<String> warnings) {
    public static final double MIN_RELATIVE_SPREAD = 0.01, MIN_RHO = 0.3;

    /** @param margins the strength column per pair (NaN where absent; ρ uses the pairs that have one) */
    public static RewardReport of(double[] chosen, double[] rejected, double[] margins, Bootstrap.Config bootstrap) {
        int n = chosen.length;
        if (n == 0) throw new IllegalArgumentException("no pairs to evaluate");
        double[] correct = new double[n];
        for (int i = 0; i < n; i++) correct[i] = chosen[i] > rejected[i] ? 1 : chosen[i] == rejected[i] ? 0.5 : 0;
        Interval acc = new Bootstrap(bootstrap).mean(correct).interval();
        double sum = 0, sq = 0;
        for (int i = 0; i < n; i++) sum += chosen[i] + rejected[i];
        double mean = sum / (2 * n);
        for (int i = 0; i < n; i++) sq += (chosen[i] - mean) * (chosen[i] - mean) + (rejected[i] - mean) * (rejected[i] - mean);
        double std = Math.sqrt(sq / (2 * n));
        List<Double> d = new ArrayList<>(), m = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            if (margins != null && !Double.isNaN(margins[i])) {
                d.add(chosen[i] - rejected[i]);
                m.add(margins[i]);
            }
        }
        double rho = d.size() < 2 ? Double.NaN : Spearman.rho(d.stream().mapToDouble(x -> x).toArray(), m.stream().mapToDouble(x -> x).toArray());
        List<String> reasons = new ArrayList<>(), warnings = new ArrayList<>();
        if (std < MIN_RELATIVE_SPREAD * Math.max(Math.abs(mean), 1)) {
            reasons.add(String.format(Locale.ROOT, "the scores barely vary: std %.3g against a scale of %.3g (every answer gets about %.3g)", std,
                    Math.max(Math.abs(mean), 1), mean));
        }
        if (acc.lo() <= 0.5 && acc.hi() >= 0.5) {
            reasons.add(String.format(Locale.ROOT, "the accuracy's %.0f%% CI %s contains 0.5: no better than a coin on these pairs", 100 * acc.confidence(), acc.format(3)));
        }
        if (!Double.isNaN(rho) && rho < MIN_RHO) warnings.add(String.format(Locale.ROOT, "Spearman ρ %.3f < %.1f: the score differences do not follow the preference strength", rho, MIN_RHO));
        return new RewardReport(n, acc, mean, std, rho, d.size(), !reasons.isEmpty(), reasons, warnings);
    }
}

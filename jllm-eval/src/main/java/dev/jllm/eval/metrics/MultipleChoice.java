package dev.jllm.eval.metrics;

import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * lm-evaluation-harness's multiple-choice scoring (lm_eval/api/task.py, ConfigurableTask.process_results
 * for output_type multiple_choice): each choice's summed log-likelihood as a continuation of the
 * prompt (the harness prepends target_delimiter " " to the continuation it scores, but normalizes by
 * the choice text without it). acc: argmax of log-likelihoods; acc_norm: argmax of log-likelihood
 * divided by the choice's length in characters (Python {@code len}, i.e. code points); acc_bytes: by
 * its UTF-8 length; acc_mutual_info: argmax of conditional minus unconditional log-likelihood.
 * argmax is numpy's: the first maximum, and the first NaN if there is one.
 */
public final class MultipleChoice {
    private MultipleChoice() {}

    /** One document's outcome: the predicted indices and the 0/1 scores. */
    public record Result(int pred, int predNorm, int predBytes, double acc, double accNorm, double accBytes) {}

    public static Result score(double[] logLikelihoods, List<String> choices, int gold) {
        int n = choices.size();
        if (n == 0 || logLikelihoods.length != n) {
            throw new IllegalArgumentException(n + " choices but " + logLikelihoods.length + " log-likelihoods");
        }
        if (gold < 0 || gold >= n) throw new IllegalArgumentException("gold index " + gold + " outside 0.." + (n - 1));
        double[] norm = new double[n], bytes = new double[n];
        for (int i = 0; i < n; i++) {
            String c = choices.get(i);
            norm[i] = logLikelihoods[i] / (double) c.codePointCount(0, c.length());
            bytes[i] = logLikelihoods[i] / (double) c.getBytes(StandardCharsets.UTF_8).length;
        }
        int pred = argmax(logLikelihoods), predNorm = argmax(norm), predBytes = argmax(bytes);
        return new Result(pred, predNorm, predBytes, pred == gold ? 1 : 0, predNorm == gold ? 1 : 0, predBytes == gold ? 1 : 0);
    }

    /** acc_mutual_info: argmax of ll(choice | context) − ll(choice | empty context). */
    public static double accMutualInfo(double[] conditional, double[] unconditional, int gold) {
        if (conditional.length != unconditional.length || conditional.length == 0) {
            throw new IllegalArgumentException(conditional.length + " conditional but " + unconditional.length + " unconditional log-likelihoods");
        }
        double[] mi = new double[conditional.length];
        for (int i = 0; i < mi.length; i++) mi[i] = conditional[i] - unconditional[i];
        return argmax(mi) == gold ? 1 : 0;
    }

    /** numpy.argmax: first maximum; NaN counts as the maximum (first NaN). */
    static int argmax(double[] x) {
        int best = 0;
        for (int i = 0; i < x.length; i++) {
            if (Double.isNaN(x[i])) return i;
            if (x[i] > x[best]) best = i;
        }
        return best;
    }
}

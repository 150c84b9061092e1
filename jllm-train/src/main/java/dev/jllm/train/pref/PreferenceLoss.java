package dev.jllm.train.pref;

/**
 * The pairwise objectives, on per-pair numbers, with their gradients side by side.
 *
 * <p><b>DPO</b> (Rafailov et al. 2023; TRL's {@code DPOTrainer.dpo_loss}): with policy and reference
 * log-probabilities of the chosen (c) and rejected (r) answers, h = (π_c − ref_c) − (π_r − ref_r);
 * sigmoid: L = −(1−ε)·log σ(β·h) − ε·log σ(−β·h) (ε = label smoothing, cDPO); IPO (Azar et al.
 * 2023): L = (h − 1/(2β))², on length-normalised log-probabilities (TRL divides them by the answer
 * length for IPO; the caller does). Implicit rewards β·(π − ref) are TRL's logged rewards/*.
 *
 * <p><b>Bradley–Terry</b> (the reward model, InstructGPT / TRL's {@code RewardTrainer}):
 * L = −log σ(s_c − s_r) for scalar scores s.
 *
 * <p>Every loss is the mean over the n pairs; the gradients are of that mean.
 */
public final class PreferenceLoss {
    private PreferenceLoss() {}

    public enum Kind { SIGMOID, IPO }

    /** dL/dπ_c and dL/dπ_r per pair, the mean loss and TRL's metrics (means over the pairs). */
    public record Dpo(double loss, double[] dChosen, double[] dRejected, double rewardChosen, double rewardRejected, double accuracy,
                      double margin, double logpChosen, double logpRejected) {}

    public static Dpo dpo(Kind kind, double beta, double labelSmoothing, double[] pc, double[] pr, double[] refC, double[] refR) {
        int n = pc.length;
        double loss = 0, rc = 0, rr = 0, acc = 0, lc = 0, lr = 0;
        double[] dc = new double[n], dr = new double[n];
        for (int i = 0; i < n; i++) {
            double h = (pc[i] - refC[i]) - (pr[i] - refR[i]);
            double dh;
            if (kind == Kind.SIGMOID) {
                double z = beta * h;
                loss += -(1 - labelSmoothing) * logSigmoid(z) - labelSmoothing * logSigmoid(-z);
                dh = beta * (-(1 - labelSmoothing) * sigmoid(-z) + labelSmoothing * sigmoid(z));
            } else {
                double e = h - 1 / (2 * beta);
                loss += e * e;
                dh = 2 * e;
            }
            dc[i] = dh / n;
            dr[i] = -dh / n;
            double wc = beta * (pc[i] - refC[i]), wr = beta * (pr[i] - refR[i]);
            rc += wc;
            rr += wr;
            acc += wc > wr ? 1 : 0;
            lc += pc[i];
            lr += pr[i];
        }
        return new Dpo(loss / n, dc, dr, rc / n, rr / n, acc / n, (rc - rr) / n, lc / n, lr / n);
    }

    /** The Bradley–Terry loss and dL/ds per score. */
    public record Pairwise(double loss, double[] dChosen, double[] dRejected, double accuracy) {}

    public static Pairwise bradleyTerry(double[] sc, double[] sr) {
        int n = sc.length;
        double loss = 0, acc = 0;
        double[] dc = new double[n], dr = new double[n];
        for (int i = 0; i < n; i++) {
            double d = sc[i] - sr[i];
            loss -= logSigmoid(d);
            double g = -sigmoid(-d) / n;
            dc[i] = g;
            dr[i] = -g;
            acc += d > 0 ? 1 : d == 0 ? 0.5 : 0;
        }
        return new Pairwise(loss / n, dc, dr, acc / n);
    }

    /** log σ(x) without overflow: −log(1 + e^−x). */
    static double logSigmoid(double x) {
        return x >= 0 ? -Math.log1p(Math.exp(-x)) : x - Math.log1p(Math.exp(x));
    }

    static double sigmoid(double x) {
        return x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x));
    }
}

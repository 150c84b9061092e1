package dev.jllm.model;

import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * llama-perplexity's {@code kl_divergence_result} and its report: sums over scored tokens of the
 * model's NLL, the base's NLL, their product, KLD(base ‖ model) and Δp = p(model) − p(base) of the
 * observed token, the top-1 agreement, plus every KLD and Δp for the percentiles. Uncertainties
 * are llama.cpp's: standard error of the mean (sqrt(var/(n−1)), zero under 11 samples), the
 * covariance between the two log-perplexities for the ratio and the difference, the binomial
 * error for "same top p".
 */
public final class KlStats {
    double sumNll, sumNll2, sumNllBase, sumNllBase2, sumNllNllBase, sumKld, sumKld2, sumPDiff, sumPDiff2, sumPDiff4;
    float maxPDiff;
    long sameTop, count;
    private final float[] kld, pDiff;

    KlStats(int capacity) {
        kld = new float[capacity];
        pDiff = new float[capacity];
    }

    public long count() { return count; }

    /** perplexity.cpp's log_softmax(n_vocab, logits, base_log_prob, tok, kld) for one position; {@code row} is positioned at its start. */
    void add(float[] logits, int nVocab, ByteBuffer row, int tok) {
        float max = logits[0];
        int imax = 0;
        for (int i = 1; i < nVocab; i++) {
            if (logits[i] > max) {
                max = logits[i];
                imax = i;
            }
        }
        double sumExp = 0;
        for (int i = 0; i < nVocab; i++) sumExp += (float) Math.exp(logits[i] - max);
        float logSumExp = (float) Math.log(sumExp);
        float scale = row.getFloat(0), minLogProb = row.getFloat(4);
        float nll = max + logSumExp - logits[tok];
        sumNll += nll;
        sumNll2 += nll * nll;
        float nllBase = -(scale * (row.getShort(8 + 2 * tok) & 0xffff) + minLogProb);
        sumNllBase += nllBase;
        sumNllBase2 += nllBase * nllBase;
        sumNllNllBase += nll * nllBase;
        max += logSumExp;
        double sum = 0;
        int imaxBase = -1;
        float pLogBaseMax = 0;
        for (int i = 0; i < nVocab; i++) {
            float pLogBase = scale * (row.getShort(8 + 2 * i) & 0xffff) + minLogProb;
            if (i == 0 || pLogBase > pLogBaseMax) {
                pLogBaseMax = pLogBase;
                imaxBase = i;
            }
            if (pLogBase > -16f) {
                float pBase = (float) Math.exp(pLogBase);
                sum += pBase * (pLogBase - logits[i] + max);
            }
        }
        sumKld += sum;
        sumKld2 += sum * sum;
        if (imax == imaxBase) sameTop++;
        float pBase = (float) Math.exp(-nllBase), p = (float) Math.exp(-nll), pd = p - pBase;
        sumPDiff += pd;
        double pd2 = (double) pd * pd;
        sumPDiff2 += pd2;
        sumPDiff4 += pd2 * pd2;
        maxPDiff = Math.max(maxPDiff, Math.abs(pd));
        kld[(int) count] = (float) sum;
        pDiff[(int) count] = pd;
        count++;
    }

    /** {mean, uncertainty} as llama.cpp's mean_and_uncertainty. */
    static double[] meanAndUnc(double sum, double sum2, long n) {
        if (n < 1) return new double[] {0, 0};
        double f = sum / n, df = sum2 / n - f * f;
        df = df > 0 && n > 10 ? Math.sqrt(df / (n - 1)) : 0;
        return new double[] {f, df};
    }

    static double covariance(double a, double b, double ab, long n) {
        if (n < 10) return 0;
        return (ab / n - (a / n) * (b / n)) / (n - 1);
    }

    /** The running line llama-perplexity prints after each chunk. */
    String chunkLine(int chunk) {
        double[] lp = meanAndUnc(sumNll, sumNll2, count), lb = meanAndUnc(sumNllBase, sumNllBase2, count);
        double cov = covariance(sumNll, sumNllBase, sumNllNllBase, count);
        double[] kl = meanAndUnc(sumKld, sumKld2, count), mse = meanAndUnc(sumPDiff2, sumPDiff4, count);
        double rms = Math.sqrt(mse[0]), top = 1.0 * sameTop / count;
        return KlDivergence.fmt("%4d    %9.4f ± %9.4f    %10.5f ± %10.5f    %10.5f ± %10.5f    %6.3f ± %6.3f %%    %6.3f ± %6.3f %%", chunk,
                Math.exp(lp[0]), Math.exp(lp[0]) * lp[1], lp[0] - lb[0], Math.sqrt(lp[1] * lp[1] + lb[1] * lb[1] - 2 * cov), kl[0], kl[1],
                100 * rms, 100 * 0.5 / rms * mse[1], 100 * top, 100 * Math.sqrt(top * (1 - top) / (count - 1)));
    }

    public static final String CHUNK_HEADER_TEXT = "chunk             PPL               ln(PPL(Q)/PPL(base))          KL Divergence              Δp RMS            Same top p";

    /** llama.cpp's percentile: linear interpolation in float. */
    static float percentile(float[] sorted, float fraction) {
        if (fraction <= 0) return sorted[0];
        if (fraction >= 1) return sorted[sorted.length - 1];
        float p = fraction * (sorted.length - 1);
        int ip = (int) p;
        p -= ip;
        return (1 - p) * sorted[ip] + p * sorted[Math.min(ip + 1, sorted.length - 1)];
    }

    private static float median(float[] v) {
        return v.length % 2 == 0 ? 0.5f * (v[v.length / 2] + v[v.length / 2 - 1]) : v[v.length / 2];
    }

    /** The final statistics block, line for line as llama-perplexity prints it (empty under 100 tokens, as there). */
    public String report() {
        if (count < 100) return "";
        float[] k = Arrays.copyOf(kld, (int) count), d = Arrays.copyOf(pDiff, (int) count);
        Arrays.sort(k);
        Arrays.sort(d);
        StringBuilder b = new StringBuilder("====== Perplexity statistics ======\n");
        double[] lp = meanAndUnc(sumNll, sumNll2, count), lb = meanAndUnc(sumNllBase, sumNllBase2, count);
        double ppl = Math.exp(lp[0]), pplUnc = ppl * lp[1], base = Math.exp(lb[0]), baseUnc = base * lb[1];
        b.append(KlDivergence.fmt("Mean PPL(Q)                   : %10.6f ± %10.6f%n", ppl, pplUnc));
        b.append(KlDivergence.fmt("Mean PPL(base)                : %10.6f ± %10.6f%n", base, baseUnc));
        double cov = covariance(sumNll, sumNllBase, sumNllNllBase, count);
        b.append(KlDivergence.fmt("Cor(ln(PPL(Q)), ln(PPL(base))): %6.2f%%%n", 100.0 * cov / (lp[1] * lb[1])));
        double ratio = lp[0] - lb[0], ratioUnc = Math.sqrt(lp[1] * lp[1] + lb[1] * lb[1] - 2 * cov);
        b.append(KlDivergence.fmt("Mean ln(PPL(Q)/PPL(base))     : %10.6f ± %10.6f%n", ratio, ratioUnc));
        b.append(KlDivergence.fmt("Mean PPL(Q)/PPL(base)         : %10.6f ± %10.6f%n", Math.exp(ratio), Math.exp(ratio) * ratioUnc));
        double pplCov = ppl * base * cov;
        b.append(KlDivergence.fmt("Mean PPL(Q)-PPL(base)         : %10.6f ± %10.6f%n", ppl - base,
                Math.sqrt(pplUnc * pplUnc + baseUnc * baseUnc - 2 * pplCov)));
        b.append("\n====== KL divergence statistics ======\n");
        double[] kl = meanAndUnc(sumKld, sumKld2, count);
        b.append(KlDivergence.fmt("Mean    KLD: %10.6f ± %10.6f%n", kl[0], kl[1]));
        b.append(KlDivergence.fmt("Maximum KLD: %10.6f%n", k[k.length - 1]));
        for (float f : new float[] {0.999f, 0.990f, 0.950f, 0.900f}) b.append(KlDivergence.fmt("%4.1f%%   KLD: %10.6f%n", 100 * f, percentile(k, f)));
        b.append(KlDivergence.fmt("Median  KLD: %10.6f%n", median(k)));
        for (float f : new float[] {0.100f, 0.050f, 0.010f, 0.001f}) b.append(KlDivergence.fmt("%4.1f%%   KLD: %10.6f%n", 100 * f, percentile(k, f)));
        b.append(KlDivergence.fmt("Minimum KLD: %10.6f%n", k[0]));
        b.append("\n====== Token probability statistics ======\n");
        double[] pd = meanAndUnc(sumPDiff, sumPDiff2, count);
        b.append(KlDivergence.fmt("Mean    Δp: %6.3f ± %5.3f %%%n", 100 * pd[0], 100 * pd[1]));
        b.append(KlDivergence.fmt("Maximum Δp: %6.3f%%%n", 100.0 * d[d.length - 1]));
        for (float f : new float[] {0.999f, 0.990f, 0.950f, 0.900f, 0.750f}) b.append(KlDivergence.fmt("%4.1f%%   Δp: %6.3f%%%n", 100 * f, 100.0 * percentile(d, f)));
        b.append(KlDivergence.fmt("Median  Δp: %6.3f%%%n", 100.0 * median(d)));
        for (float f : new float[] {0.250f, 0.100f, 0.050f, 0.010f, 0.001f}) b.append(KlDivergence.fmt("%4.1f%%   Δp: %6.3f%%%n", 100 * f, 100.0 * percentile(d, f)));
        b.append(KlDivergence.fmt("Minimum Δp: %6.3f%%%n", 100.0 * d[0]));
        double[] mse = meanAndUnc(sumPDiff2, sumPDiff4, count);
        double rms = Math.sqrt(mse[0]);
        b.append(KlDivergence.fmt("RMS Δp    : %6.3f ± %5.3f %%%n", 100 * rms, 100 * 0.5 / rms * mse[1]));
        double top = 1.0 * sameTop / count;
        b.append(KlDivergence.fmt("Same top p: %6.3f ± %5.3f %%%n", 100 * top, 100 * Math.sqrt(top * (1 - top) / (count - 1))));
        return b.toString();
    }

    /** Named numbers for tests and reports. */
    public double meanKld() { return sumKld / count; }
    public double sameTopP() { return 1.0 * sameTop / count; }
    public double pplQ() { return Math.exp(sumNll / count); }
    public double pplBase() { return Math.exp(sumNllBase / count); }
}

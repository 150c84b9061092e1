package dev.jllm.train.pref;

import java.util.Arrays;
import java.util.List;

/**
 * Pairs as padded rows for {@code LlamaModel.forward}: row 2i is pair i's chosen sequence, row 2i+1
 * its rejected one, each padded at the end (causal attention: padding after a sequence changes
 * nothing before it). The target at position t is token t+1 when that token belongs to the answer,
 * ignored otherwise, so a row's summed per-token losses are −log π(answer | prompt).
 *
 * <p>Legend: n pairs, B = 2n rows, T = the longest sequence of the batch.
 */
public final class PairBatch {
    static final int IGNORE = -100;

    public final int B, T;
    public final int[] inputs, targets; // (B, T)
    public final int[] last;            // (B) index in the row of each sequence's last token (where a reward head reads)
    public final int[] answerTokens;    // (B) answer tokens carrying a target

    private PairBatch(int B, int T) {
        this.B = B;
        this.T = T;
        this.inputs = new int[B * T];
        this.targets = new int[B * T];
        this.last = new int[B];
        this.answerTokens = new int[B];
        Arrays.fill(targets, IGNORE);
    }

    /** Rows for {@code pairs}; T = the longest sequence. */
    public static PairBatch of(List<PreferencePair> pairs) {
        int T = 2;
        for (PreferencePair p : pairs) T = Math.max(T, Math.max(p.chosen().length, p.rejected().length));
        PairBatch b = new PairBatch(2 * pairs.size(), T);
        for (int i = 0; i < pairs.size(); i++) {
            PreferencePair p = pairs.get(i);
            b.fill(2 * i, p.chosen(), p.chosenPrompt());
            b.fill(2 * i + 1, p.rejected(), p.rejectedPrompt());
        }
        return b;
    }

    /** One sequence per row (prompt length {@code prompts[i]}): scoring, PPO. */
    public static PairBatch rows(List<int[]> sequences, int[] prompts) {
        int T = 2;
        for (int[] s : sequences) T = Math.max(T, s.length);
        PairBatch b = new PairBatch(sequences.size(), T);
        for (int i = 0; i < sequences.size(); i++) b.fill(i, sequences.get(i), prompts[i]);
        return b;
    }

    private void fill(int row, int[] seq, int prompt) {
        int o = row * T;
        System.arraycopy(seq, 0, inputs, o, seq.length);
        for (int t = prompt - 1; t < seq.length - 1; t++) targets[o + t] = seq[t + 1];
        last[row] = seq.length - 1;
        answerTokens[row] = seq.length - prompt;
    }

    /** Σ over each row's targets of log π(target) = −Σ row losses (B). */
    public double[] sequenceLogps(float[] rowLosses) {
        double[] out = new double[B];
        for (int r = 0; r < B; r++) {
            double s = 0;
            for (int t = 0; t < T; t++) if (targets[r * T + t] != IGNORE) s -= rowLosses[r * T + t];
            out[r] = s;
        }
        return out;
    }

    /**
     * Per-token weights for {@code LlamaModel.backward(rowScale, ...)} from dJ/d log π(row): every
     * answer target of row r gets −dLogp[r] (a row loss is −log π of its target).
     */
    public float[] rowScale(double[] dLogp) {
        float[] w = new float[B * T];
        for (int r = 0; r < B; r++) {
            for (int t = 0; t < T; t++) if (targets[r * T + t] != IGNORE) w[r * T + t] = (float) -dLogp[r];
        }
        return w;
    }
}

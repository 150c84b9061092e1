package dev.jllm.train.pref;

/**
 * The loop settings shared by {@code jllm dpo} and {@code jllm rm train}; validated here.
 *
 * @param batch       pairs per step (2·batch rows per forward pass)
 * @param evalEvery   held-out metrics every N steps (0: before and after only)
 * @param maxGradNorm global gradient-norm clip (0 = off)
 */
public record PrefOptions(int steps, int batch, float lr, int warmup, float minLrRatio, float weightDecay, float maxGradNorm, long seed,
                          int evalEvery) {
    public PrefOptions {
        if (steps <= 0) throw new IllegalArgumentException("--steps must be > 0, got " + steps);
        if (batch <= 0) throw new IllegalArgumentException("--batch must be > 0, got " + batch);
        if (!(lr > 0)) throw new IllegalArgumentException("--lr must be > 0, got " + lr);
        if (warmup < 0 || !(minLrRatio >= 0 && minLrRatio <= 1)) throw new IllegalArgumentException("--warmup >= 0 and --min-lr-ratio in [0, 1]");
        if (weightDecay < 0 || maxGradNorm < 0 || evalEvery < 0) throw new IllegalArgumentException("--weight-decay, --clip, --eval-every must be >= 0");
    }

    /** The batch of step {@code step}: indices into {@code n} pairs, reshuffled every epoch by (seed, epoch). */
    public int[] batchAt(int step, int n) {
        int[] out = new int[Math.min(batch, n)];
        int[] perm = null;
        int permEpoch = -1;
        for (int k = 0; k < out.length; k++) {
            long flat = (long) step * out.length + k;
            int epoch = (int) (flat / n), at = (int) (flat % n);
            if (epoch != permEpoch) {
                perm = permutation(n, seed * 31 + epoch);
                permEpoch = epoch;
            }
            out[k] = perm[at];
        }
        return out;
    }

    static int[] permutation(int n, long key) {
        int[] p = new int[n];
        for (int i = 0; i < n; i++) p[i] = i;
        java.util.SplittableRandom r = new java.util.SplittableRandom(key);
        for (int i = n - 1; i > 0; i--) {
            int j = r.nextInt(i + 1), t = p[i];
            p[i] = p[j];
            p[j] = t;
        }
        return p;
    }
}

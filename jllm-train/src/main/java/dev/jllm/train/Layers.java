package dev.jllm.train;

import dev.jllm.tensor.Parallel;
import dev.jllm.tensor.VectorMath;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The layers of the LLaMA decoder as forward/backward pairs, written as llm.c's train_gpt2.c:
 * each {@code xxxBackward} sits under its {@code xxxForward}, accumulates (+=) into its input
 * gradients and cites the math it differentiates.
 *
 * <p>Dimension legend: B batch, T sequence length, BT = B·T rows, C model width (dim), V vocab,
 * NH query heads, NKV key/value heads, HD head width, QD = NH·HD, KVD = NKV·HD, H FFN width,
 * OC output columns of a linear layer. Activations are row-major: row b·T + t is token t of
 * sequence b. Weights are (out, in), as in PyTorch and GGUF.
 *
 * <p>Every loop that writes a shared array (a weight gradient) is split so that each element is
 * summed by one thread in a fixed order: results are reproducible for any thread count.
 */
public final class Layers {
    private Layers() {}

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    // ---------------------------------------------------------------------------------------------
    // encoder: out[bt] = E[tok[bt]]                                         E (V, C) → out (BT, C)

    static void encoderForward(float[] out, int[] tokens, float[] wte, int BT, int C) {
        for (int i = 0; i < BT; i++) System.arraycopy(wte, tokens[i] * C, out, i * C, C);
    }

    /** dE[tok[bt]] += dout[bt]; parallel over columns of E so repeated tokens never race. */
    static void encoderBackward(float[] dwte, float[] dout, int[] tokens, int BT, int C, Parallel pool) {
        forRange(pool, C, (long) BT, (c0, c1) -> {
            for (int i = 0; i < BT; i++) {
                int e = tokens[i] * C, o = i * C;
                for (int c = c0; c < c1; c++) dwte[e + c] += dout[o + c];
            }
        });
    }

    // ---------------------------------------------------------------------------------------------
    // RMSNorm (Zhang & Sennrich 2019): y = x · r · w,  r = 1/√(mean(x²) + eps)      (BT, C) → (BT, C)

    static void rmsnormForward(float[] out, float[] rstd, float[] inp, float[] w, int BT, int C, float eps, Parallel pool) {
        forRange(pool, BT, C, (t0, t1) -> {
            for (int t = t0; t < t1; t++) {
                double ss = 0;
                for (int i = 0; i < C; i++) ss += (double) inp[t * C + i] * inp[t * C + i];
                float r = (float) (1.0 / Math.sqrt(ss / C + eps));
                rstd[t] = r;
                for (int i = 0; i < C; i++) out[t * C + i] = inp[t * C + i] * r * w[i];
            }
        });
    }

    /**
     * dw_i += Σ_t dy_i·x_i·r;  dx_i += r·w_i·dy_i − x_i·r³/C · Σ_j w_j·dy_j·x_j
     * (∂r/∂x_i = −r³·x_i/C). Rows in parallel for dx, then columns in parallel for dw.
     */
    static void rmsnormBackward(float[] dinp, float[] dw, float[] dout, float[] inp, float[] w, float[] rstd, int BT, int C,
                                Parallel pool) {
        forRange(pool, BT, C, (t0, t1) -> {
            for (int t = t0; t < t1; t++) {
                int o = t * C;
                float r = rstd[t];
                double dot = 0;
                for (int i = 0; i < C; i++) dot += (double) w[i] * dout[o + i] * inp[o + i];
                float k = (float) (dot * r * r * r / C);
                for (int i = 0; i < C; i++) dinp[o + i] += r * w[i] * dout[o + i] - inp[o + i] * k;
            }
        });
        forRange(pool, C, BT, (c0, c1) -> {
            for (int t = 0; t < BT; t++) {
                int o = t * C;
                float r = rstd[t];
                for (int i = c0; i < c1; i++) dw[i] += dout[o + i] * inp[o + i] * r;
            }
        });
    }

    // ---------------------------------------------------------------------------------------------
    // matmul (linear layer without bias): out = inp · Wᵀ                      (BT, C) → (BT, OC)

    /** {@code wT} is scratch of at least OC·C floats (W transposed so the kernel streams rows of it). */
    static void matmulForward(float[] out, float[] inp, float[] w, float[] wT, int BT, int C, int OC, Parallel pool) {
        Gemm.transpose(w, OC, C, wT);
        Gemm.gemm(pool, inp, 0, C, 1, wT, 0, out, 0, BT, OC, C, false);
    }

    /** dinp += dout · W  (BT, C) only: the backward of a frozen W (LoRA's base), half the work. */
    static void matmulBackwardInput(float[] dinp, float[] dout, float[] w, int BT, int C, int OC, Parallel pool) {
        Gemm.gemm(pool, dout, 0, OC, 1, w, 0, dinp, 0, BT, C, OC, true);
    }

    /** dinp += dout · W  (BT, C);   dW += doutᵀ · inp  (OC, C). */
    static void matmulBackward(float[] dinp, float[] dw, float[] dout, float[] inp, float[] w, int BT, int C, int OC, Parallel pool) {
        Gemm.gemm(pool, dout, 0, OC, 1, w, 0, dinp, 0, BT, C, OC, true);
        Gemm.gemm(pool, dout, 0, 1, OC, inp, 0, dw, 0, OC, C, BT, true);
    }

    // ---------------------------------------------------------------------------------------------
    // RoPE (Su et al. 2021), llama pairs (2i, 2i+1) of every head, rotated by angle pos·θ_i:
    //   y0 = x0·cos − x1·sin,  y1 = x0·sin + x1·cos                      in place on (BT, n·HD)
    // cos/sin: (T, HD/2) tables for positions 0..T-1. pos (BT): each row's position, or null for
    // r mod T (every sequence starts at position 0); packed samples restart at 0 at their first token.

    static void ropeForward(float[] x, float[] cos, float[] sin, int[] pos, int BT, int T, int nHeads, int HD) {
        int half = HD / 2, width = nHeads * HD;
        for (int r = 0; r < BT; r++) {
            int p = (pos == null ? r % T : pos[r]) * half;
            for (int h = 0; h < nHeads; h++) {
                int o = r * width + h * HD;
                for (int i = 0; i < half; i++) {
                    float c = cos[p + i], s = sin[p + i], x0 = x[o + 2 * i], x1 = x[o + 2 * i + 1];
                    x[o + 2 * i] = x0 * c - x1 * s;
                    x[o + 2 * i + 1] = x0 * s + x1 * c;
                }
            }
        }
    }

    /** The rotation is orthogonal: dx = Rᵀ·dy, i.e. rotate by −angle (in place on the gradient). */
    static void ropeBackward(float[] dx, float[] cos, float[] sin, int[] pos, int BT, int T, int nHeads, int HD) {
        int half = HD / 2, width = nHeads * HD;
        for (int r = 0; r < BT; r++) {
            int p = (pos == null ? r % T : pos[r]) * half;
            for (int h = 0; h < nHeads; h++) {
                int o = r * width + h * HD;
                for (int i = 0; i < half; i++) {
                    float c = cos[p + i], s = sin[p + i], d0 = dx[o + 2 * i], d1 = dx[o + 2 * i + 1];
                    dx[o + 2 * i] = d0 * c + d1 * s;
                    dx[o + 2 * i + 1] = -d0 * s + d1 * c;
                }
            }
        }
    }

    /** RoPE tables as the engine computes them (Transformer.rope): θ_i = base^(−2i/HD) in float, angle = pos·θ_i. */
    static void ropeTables(float[] cos, float[] sin, int T, int HD, float base) {
        int half = HD / 2;
        for (int i = 0; i < half; i++) {
            float invFreq = (float) Math.pow(base, -2.0 * i / HD);
            for (int p = 0; p < T; p++) {
                double theta = (float) p * invFreq;
                cos[p * half + i] = (float) Math.cos(theta);
                sin[p * half + i] = (float) Math.sin(theta);
            }
        }
    }

    // ---------------------------------------------------------------------------------------------
    // causal grouped-query attention (Vaswani et al. 2017; GQA: Ainslie et al. 2023):
    //   att[b,h,t,s] = softmax_s≤t(q_t · k_s / √HD),  out_t = Σ_s att[b,h,t,s] · v_s
    // q (BT, QD), k, v (BT, KVD) → out (BT, QD), att (B, NH, T, T) kept for the backward pass.
    // Query head h reads KV head h / (NH/NKV). Parallel over (b, kv head): a task owns its dk, dv.
    // Packed rows: start (BT) gives, for each token, the first index (within its row) of its sample,
    // so token t attends to keys [start_t, t] only (attention kept inside each sample, as FlashAttention's
    // varlen kernels); null = the whole causal prefix [0, t].

    static void attentionForward(float[] out, float[] att, float[] q, float[] k, float[] v, int[] start, int B, int T, int NH, int NKV,
                                 int HD, Parallel pool) {
        int QD = NH * HD, KVD = NKV * HD, group = NH / NKV;
        float scale = (float) (1.0 / Math.sqrt(HD));
        forRange(pool, B * NKV, (long) group * T * T * HD, (w0, w1) -> {
            float[] kT = new float[HD * T]; // (HD, T) this KV head's keys, transposed for the kernel
            for (int w = w0; w < w1; w++) {
                int b = w / NKV, kvh = w % NKV, kv0 = b * T * KVD + kvh * HD;
                Gemm.transpose(k, kv0, KVD, T, HD, kT, 0, T);
                for (int h = kvh * group; h < (kvh + 1) * group; h++) {
                    int q0 = b * T * QD + h * HD, a0 = (b * NH + h) * T * T;
                    // row blocks of queries: block [r0, r1) only sees keys [0, r1) (causal)
                    for (int r0 = 0; r0 < T; r0 += ATT_ROWS) {
                        int r1 = Math.min(T, r0 + ATT_ROWS);
                        // z = q · kᵀ   (r1−r0, r1)
                        Gemm.gemmSerial(q, q0 + r0 * QD, QD, 1, kT, 0, T, att, a0 + r0 * T, T, r1 - r0, r1, HD, false);
                        for (int t = r0; t < r1; t++) {
                            int ao = a0 + t * T, s0 = start == null ? 0 : start[b * T + t];
                            softmax(att, ao + s0, t + 1 - s0, scale);
                            java.util.Arrays.fill(att, ao, ao + s0, 0f);
                            java.util.Arrays.fill(att, ao + t + 1, ao + T, 0f);
                        }
                        // out = att · v   (r1−r0, HD)
                        Gemm.gemmSerial(att, a0 + r0 * T, T, 1, v, kv0, KVD, out, q0 + r0 * QD, QD, r1 - r0, HD, r1, false);
                    }
                }
            }
        });
    }

    /** Query rows per block of the attention products (the causal mask skips keys past the block). */
    private static final int ATT_ROWS = 64;

    /**
     * dv_s += Σ_t a_ts·dout_t;  da_ts = dout_t·v_s;  dz_ts = a_ts·(da_ts − Σ_s' a_ts'·da_ts')  (softmax);
     * dq_t += Σ_s dz_ts·k_s/√HD;  dk_s += Σ_t dz_ts·q_t/√HD. As matrix products per head and row block:
     * dA = dO·Vᵀ, dV += Aᵀ·dO, dZ = softmax'(dA), dQ += dZ·K, dK += dZᵀ·Q.
     */
    static void attentionBackward(float[] dq, float[] dk, float[] dv, float[] dout, float[] att, float[] q, float[] k, float[] v,
                                  int[] start, int B, int T, int NH, int NKV, int HD, Parallel pool) {
        int QD = NH * HD, KVD = NKV * HD, group = NH / NKV;
        float scale = (float) (1.0 / Math.sqrt(HD));
        forRange(pool, B * NKV, (long) group * T * T * HD * 2, (w0, w1) -> {
            float[] vT = new float[HD * T];        // (HD, T)
            float[] dz = new float[ATT_ROWS * T];  // (rows, T) dA, then dZ
            for (int w = w0; w < w1; w++) {
                int b = w / NKV, kvh = w % NKV, kv0 = b * T * KVD + kvh * HD;
                Gemm.transpose(v, kv0, KVD, T, HD, vT, 0, T);
                for (int h = kvh * group; h < (kvh + 1) * group; h++) {
                    int q0 = b * T * QD + h * HD, a0 = (b * NH + h) * T * T;
                    for (int r0 = 0; r0 < T; r0 += ATT_ROWS) {
                        int r1 = Math.min(T, r0 + ATT_ROWS), rb = r1 - r0;
                        // dA = dO · vᵀ   (rb, r1)
                        Gemm.gemmSerial(dout, q0 + r0 * QD, QD, 1, vT, 0, T, dz, 0, T, rb, r1, HD, false);
                        // dV += Aᵀ · dO   (r1, HD): A read transposed
                        Gemm.gemmSerial(att, a0 + r0 * T, 1, T, dout, q0 + r0 * QD, QD, dv, kv0, KVD, r1, HD, rb, true);
                        // dZ = A ⊙ (dA − Σ A⊙dA) / √HD, zero outside the keys [start_t, t] the token saw
                        for (int t = r0; t < r1; t++) {
                            int ao = a0 + t * T, zo = (t - r0) * T, s0 = start == null ? 0 : start[b * T + t];
                            double sum = 0;
                            for (int s = s0; s <= t; s++) sum += (double) att[ao + s] * dz[zo + s];
                            float fs = (float) sum;
                            for (int s = s0; s <= t; s++) dz[zo + s] = att[ao + s] * (dz[zo + s] - fs) * scale;
                            java.util.Arrays.fill(dz, zo, zo + s0, 0f);
                            java.util.Arrays.fill(dz, zo + t + 1, zo + r1, 0f);
                        }
                        // dQ += dZ · K   (rb, HD);  dK += dZᵀ · Q   (r1, HD)
                        Gemm.gemmSerial(dz, 0, T, 1, k, kv0, KVD, dq, q0 + r0 * QD, QD, rb, HD, r1, true);
                        Gemm.gemmSerial(dz, 0, 1, T, q, q0 + r0 * QD, QD, dk, kv0, KVD, r1, HD, rb, true);
                    }
                }
            }
        });
    }

    // ---------------------------------------------------------------------------------------------
    // SwiGLU (Shazeer 2020): out = silu(g) ⊙ u,  silu(g) = g·σ(g)                     (BT, H) each

    static void swigluForward(float[] out, float[] g, float[] u, int n, Parallel pool) {
        forRange(pool, n, 8, (i0, i1) -> {
            int i = i0;
            for (; i + S.length() <= i1; i += S.length()) {
                FloatVector z = FloatVector.fromArray(S, g, i);
                FloatVector sig = FloatVector.broadcast(S, 1f).div(VectorMath.exp(z.neg()).add(1f));
                z.mul(sig).mul(FloatVector.fromArray(S, u, i)).intoArray(out, i);
            }
            for (; i < i1; i++) {
                float z = g[i];
                out[i] = z / (1f + (float) Math.exp(-z)) * u[i];
            }
        });
    }

    /** du += dout·silu(g);  dg += dout·u·σ(g)·(1 + g·(1 − σ(g))). */
    static void swigluBackward(float[] dg, float[] du, float[] dout, float[] g, float[] u, int n, Parallel pool) {
        forRange(pool, n, 8, (i0, i1) -> {
            int i = i0;
            FloatVector one = FloatVector.broadcast(S, 1f);
            for (; i + S.length() <= i1; i += S.length()) {
                FloatVector z = FloatVector.fromArray(S, g, i), d = FloatVector.fromArray(S, dout, i);
                FloatVector sig = one.div(VectorMath.exp(z.neg()).add(one));
                FloatVector.fromArray(S, du, i).add(d.mul(z).mul(sig)).intoArray(du, i);
                FloatVector dsilu = sig.mul(one.add(z.mul(one.sub(sig))));
                FloatVector.fromArray(S, dg, i).add(d.mul(FloatVector.fromArray(S, u, i)).mul(dsilu)).intoArray(dg, i);
            }
            for (; i < i1; i++) {
                float z = g[i], sig = 1f / (1f + (float) Math.exp(-z));
                du[i] += dout[i] * z * sig;
                dg[i] += dout[i] * u[i] * sig * (1f + z * (1f - sig));
            }
        });
    }

    // ---------------------------------------------------------------------------------------------
    // softmax cross-entropy, mean over the rows whose target is not IGNORE (-100, PyTorch's
    // ignore_index):  loss_t = logsumexp(z_t) − z_t[y_t]                            (BT, V) → scalar

    /** PyTorch's ignore_index: rows with this target contribute neither loss nor gradient. */
    public static final int IGNORE = -100;

    /** Turns logits into probabilities in place, writes per-row losses (0 for ignored rows); returns the mean. */
    static float crossEntropyForward(float[] probs, float[] losses, int[] targets, int BT, int V, Parallel pool) {
        forRange(pool, BT, V * 4L, (t0, t1) -> {
            for (int t = t0; t < t1; t++) {
                int o = t * V, y = targets[t];
                if (y != IGNORE && (y < 0 || y >= V)) throw new IllegalArgumentException("target " + y + " is outside 0.." + (V - 1));
                float zy = y == IGNORE ? 0f : probs[o + y];
                float max = max(probs, o, V);
                double sum = softmax(probs, o, V, 1f);
                // log-sum-exp form: finite even when the target's probability underflows
                losses[t] = y == IGNORE ? 0f : (float) (max + Math.log(sum) - zy);
            }
        });
        int n = validCount(targets, BT);
        double sum = 0;
        for (int t = 0; t < BT; t++) sum += losses[t];
        return n == 0 ? 0f : (float) (sum / n);
    }

    /** dz_t = (softmax(z_t) − onehot(y_t)) · scale / n, 0 for ignored rows; in place on the probabilities. */
    static void crossEntropyBackward(float[] probs, int[] targets, int BT, int V, float scale, Parallel pool) {
        int n = validCount(targets, BT);
        float f = n == 0 ? 0f : scale / n;
        forRange(pool, BT, V, (t0, t1) -> {
            for (int t = t0; t < t1; t++) {
                int y = targets[t], o = t * V;
                if (y == IGNORE) {
                    java.util.Arrays.fill(probs, o, o + V, 0f);
                    continue;
                }
                for (int i = 0; i < V; i++) probs[o + i] *= f;
                probs[o + y] -= f;
            }
        });
    }

    /** dz_t = (softmax(z_t) − onehot(y_t)) · w_t (w_t = dJ/d loss_t), 0 for ignored rows; in place on the probabilities. */
    static void crossEntropyBackwardRows(float[] probs, int[] targets, float[] w, int BT, int V, Parallel pool) {
        forRange(pool, BT, V, (t0, t1) -> {
            for (int t = t0; t < t1; t++) {
                int y = targets[t], o = t * V;
                float f = w[t];
                if (y == IGNORE || f == 0f) {
                    java.util.Arrays.fill(probs, o, o + V, 0f);
                    continue;
                }
                for (int i = 0; i < V; i++) probs[o + i] *= f;
                probs[o + y] -= f;
            }
        });
    }

    static int validCount(int[] targets, int BT) {
        int n = 0;
        for (int t = 0; t < BT; t++) if (targets[t] != IGNORE) n++;
        return n;
    }

    // ---------------------------------------------------------------------------------------------

    /** max of x[off..off+n). */
    static float max(float[] x, int off, int n) {
        int i = 0;
        FloatVector m = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
        for (; i + S.length() <= n; i += S.length()) m = m.max(FloatVector.fromArray(S, x, off + i));
        float r = m.reduceLanes(VectorOperators.MAX);
        for (; i < n; i++) r = Math.max(r, x[off + i]);
        return r;
    }

    /**
     * In place x ← softmax(scale·x) over x[off..off+n); returns Σ exp(scale·x − max) (for
     * log-sum-exp). Vector exp ({@link VectorMath#exp}, ≤ 2 ulp, the same in every JIT tier): exp
     * is most of the non-matmul time of a step (attention, the V-wide classifier softmax).
     */
    static double softmax(float[] x, int off, int n, float scale) {
        float max = max(x, off, n) * scale; // scale > 0
        FloatVector sv = FloatVector.broadcast(S, scale), mv = FloatVector.broadcast(S, max), acc = FloatVector.zero(S);
        int i = 0;
        for (; i + S.length() <= n; i += S.length()) {
            FloatVector e = FloatVector.fromArray(S, x, off + i).mul(sv).sub(mv);
            e = VectorMath.exp(e);
            e.intoArray(x, off + i);
            acc = acc.add(e);
        }
        double sum = VectorMath.sum(acc);
        for (; i < n; i++) {
            float e = (float) Math.exp(x[off + i] * scale - max);
            x[off + i] = e;
            sum += e;
        }
        FloatVector inv = FloatVector.broadcast(S, (float) (1.0 / sum));
        i = 0;
        for (; i + S.length() <= n; i += S.length()) FloatVector.fromArray(S, x, off + i).mul(inv).intoArray(x, off + i);
        for (; i < n; i++) x[off + i] *= (float) (1.0 / sum);
        return sum;
    }

    /** Runs on the pool when the work (n · cost) pays for waking workers, else inline. */
    static void forRange(Parallel pool, int n, long costPerItem, Parallel.IntRangeBody body) {
        if (pool == null || pool.threads() == 1 || (long) n * costPerItem < (1 << 15) || n < 2) body.run(0, n);
        else pool.forRange(n, body);
    }
}

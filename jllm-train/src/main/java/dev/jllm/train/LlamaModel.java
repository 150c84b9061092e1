package dev.jllm.train;

import dev.jllm.model.ModelConfig;
import dev.jllm.tensor.Parallel;
import java.util.Arrays;

/**
 * The LLaMA decoder for training: the engine's architecture ({@code dev.jllm.model.Transformer}) with
 * every activation kept for an explicit backward pass, as llm.c's {@code gpt2_forward} /
 * {@code gpt2_backward}. fp32 throughout; gradients accumulate into {@link #grads} until
 * {@link #zeroGrad()}.
 *
 * <p>Legend (see {@link Layers}): B, T, BT = B·T, C dim, NH/NKV heads, HD head width, QD = NH·HD,
 * KVD = NKV·HD, H FFN width, V vocab, L layers.
 */
public final class LlamaModel {
    public final ModelConfig config;
    public final Params params;
    public final Params grads;
    private final Parallel pool;
    private final float[] wT; // scratch: the largest weight matrix, transposed

    // activations of the last forward pass, for (B, T)
    private int B, T;
    private int[] inputs, targets;  // (BT)
    private float[][] resid;        // (L+1, BT, C) residual stream entering each block; [L] leaves the last
    private float[][] xn1, xn2;     // (L, BT, C) attention / FFN RMSNorm outputs
    private float[][] rstd1, rstd2; // (L, BT)
    private float[][] q;            // (L, BT, QD) after RoPE
    private float[][] k, v;         // (L, BT, KVD) k after RoPE
    private float[][] att;          // (L, B, NH, T, T) attention probabilities
    private float[][] atty;         // (L, BT, QD) attention output before Wo
    private float[][] mid;          // (L, BT, C) residual after the attention sub-layer
    private float[][] gate, up, sw; // (L, BT, H) W1·x, W3·x, silu(W1·x) ⊙ W3·x
    private float[] xnf, rstdf;     // (BT, C), (BT) final RMSNorm
    private float[] probs;          // (BT, V) logits, then probabilities, then their gradient
    private float[] losses;         // (BT)
    private float[] cos, sin;       // (T, HD/2) RoPE tables
    private float[] tmp;            // (BT, C)
    // gradient scratch, reused by every layer
    private float[] dresid, dxn, dq, dk, dv, datty, dsw, dgate, dup;
    private boolean haveLoss;

    public LlamaModel(Params params, Parallel pool) {
        this.config = params.config;
        this.params = params;
        this.grads = new Params(params.config);
        this.pool = pool;
        ModelConfig c = config;
        int maxMatrix = Math.max(Math.max(c.qDim(), c.hiddenDim()) * c.dim(), c.vocabSize() * c.dim());
        this.wT = new float[maxMatrix];
    }

    private void allocate(int B, int T) {
        if (this.B == B && this.T == T) return;
        ModelConfig c = config;
        int L = c.nLayers(), BT = B * T, C = c.dim(), H = c.hiddenDim();
        this.B = B;
        this.T = T;
        resid = new float[L + 1][BT * C];
        xn1 = new float[L][BT * C];
        xn2 = new float[L][BT * C];
        rstd1 = new float[L][BT];
        rstd2 = new float[L][BT];
        q = new float[L][BT * c.qDim()];
        k = new float[L][BT * c.kvDim()];
        v = new float[L][BT * c.kvDim()];
        att = new float[L][B * c.nHeads() * T * T];
        atty = new float[L][BT * c.qDim()];
        mid = new float[L][BT * C];
        gate = new float[L][BT * H];
        up = new float[L][BT * H];
        sw = new float[L][BT * H];
        xnf = new float[BT * C];
        rstdf = new float[BT];
        probs = new float[BT * c.vocabSize()];
        losses = new float[BT];
        tmp = new float[BT * C];
        cos = new float[T * c.headDim() / 2];
        sin = new float[T * c.headDim() / 2];
        Layers.ropeTables(cos, sin, T, c.headDim(), c.ropeTheta());
        dresid = new float[BT * C];
        dxn = new float[BT * C];
        dq = new float[BT * c.qDim()];
        dk = new float[BT * c.kvDim()];
        dv = new float[BT * c.kvDim()];
        datty = new float[BT * c.qDim()];
        dsw = new float[BT * H];
        dgate = new float[BT * H];
        dup = new float[BT * H];
    }

    /**
     * Runs the model on B sequences of T tokens ({@code inputs} row-major (B, T)) and returns the mean
     * cross-entropy against {@code targets} (same shape; {@link Layers#IGNORE} rows are masked out).
     */
    public float forward(int[] inputs, int[] targets, int B, int T) {
        ModelConfig c = config;
        if (inputs.length != B * T || targets.length != B * T) {
            throw new IllegalArgumentException("inputs/targets must have B·T = " + B * T + " entries, got " + inputs.length + "/" + targets.length);
        }
        if (T > c.contextLength()) throw new IllegalArgumentException("sequence length " + T + " exceeds the model's context " + c.contextLength());
        for (int id : inputs) if (id < 0 || id >= c.vocabSize()) throw new IllegalArgumentException("token id " + id + " is outside the vocabulary 0.." + (c.vocabSize() - 1));
        allocate(B, T);
        this.inputs = inputs;
        this.targets = targets;
        final int BT = B * T, C = c.dim(), NH = c.nHeads(), NKV = c.nKvHeads(), HD = c.headDim();
        final int QD = c.qDim(), KVD = c.kvDim(), H = c.hiddenDim(), V = c.vocabSize();
        final float eps = c.rmsEps();

        Layers.encoderForward(resid[0], inputs, params.tokenEmbd, BT, C);
        for (int l = 0; l < c.nLayers(); l++) {
            Params.Layer w = params.layers[l];
            // attention sub-layer: mid = x + Wo · attention(RoPE(Wq·n(x)), RoPE(Wk·n(x)), Wv·n(x))
            Layers.rmsnormForward(xn1[l], rstd1[l], resid[l], w.attnNorm(), BT, C, eps, pool);
            Layers.matmulForward(q[l], xn1[l], w.wq(), wT, BT, C, QD, pool);
            Layers.matmulForward(k[l], xn1[l], w.wk(), wT, BT, C, KVD, pool);
            Layers.matmulForward(v[l], xn1[l], w.wv(), wT, BT, C, KVD, pool);
            Layers.ropeForward(q[l], cos, sin, BT, T, NH, HD);
            Layers.ropeForward(k[l], cos, sin, BT, T, NKV, HD);
            Layers.attentionForward(atty[l], att[l], q[l], k[l], v[l], B, T, NH, NKV, HD, pool);
            Layers.matmulForward(tmp, atty[l], w.wo(), wT, BT, QD, C, pool);
            add(mid[l], resid[l], tmp);
            // FFN sub-layer: x' = mid + W2 · (silu(W1·n(mid)) ⊙ W3·n(mid))
            Layers.rmsnormForward(xn2[l], rstd2[l], mid[l], w.ffnNorm(), BT, C, eps, pool);
            Layers.matmulForward(gate[l], xn2[l], w.gate(), wT, BT, C, H, pool);
            Layers.matmulForward(up[l], xn2[l], w.up(), wT, BT, C, H, pool);
            Layers.swigluForward(sw[l], gate[l], up[l], BT * H, pool);
            Layers.matmulForward(tmp, sw[l], w.down(), wT, BT, H, C, pool);
            add(resid[l + 1], mid[l], tmp);
        }
        Layers.rmsnormForward(xnf, rstdf, resid[c.nLayers()], params.outputNorm, BT, C, eps, pool);
        Layers.matmulForward(probs, xnf, params.output, wT, BT, C, V, pool);
        haveLoss = true;
        return Layers.crossEntropyForward(probs, losses, targets, BT, V, pool);
    }

    /** Per-row losses of the last forward pass (0 on ignored rows), (BT). */
    public float[] rowLosses() { return losses; }

    /**
     * Adds d(scale · loss)/dθ of the last forward pass to {@link #grads} (scale = 1/accumulation
     * steps when micro-batches are summed). Consumes the forward's probabilities.
     */
    public void backward(float scale) {
        if (!haveLoss) throw new IllegalStateException("backward() needs a forward() with targets first");
        haveLoss = false;
        ModelConfig c = config;
        final int BT = B * T, C = c.dim(), NH = c.nHeads(), NKV = c.nKvHeads(), HD = c.headDim();
        final int QD = c.qDim(), KVD = c.kvDim(), H = c.hiddenDim(), V = c.vocabSize();
        Params g = grads;

        Layers.crossEntropyBackward(probs, targets, BT, V, scale, pool);
        Arrays.fill(dxn, 0f);
        Layers.matmulBackward(dxn, g.output, probs, xnf, params.output, BT, C, V, pool);
        Arrays.fill(dresid, 0f);
        Layers.rmsnormBackward(dresid, g.outputNorm, dxn, resid[c.nLayers()], params.outputNorm, rstdf, BT, C, pool);
        for (int l = c.nLayers() - 1; l >= 0; l--) {
            Params.Layer w = params.layers[l], dw = g.layers[l];
            // FFN: dresid is d x'; the residual passes it to d mid unchanged, the branch adds to it
            Arrays.fill(dsw, 0f);
            Layers.matmulBackward(dsw, dw.down(), dresid, sw[l], w.down(), BT, H, C, pool);
            Arrays.fill(dgate, 0f);
            Arrays.fill(dup, 0f);
            Layers.swigluBackward(dgate, dup, dsw, gate[l], up[l], BT * H, pool);
            Arrays.fill(dxn, 0f);
            Layers.matmulBackward(dxn, dw.gate(), dgate, xn2[l], w.gate(), BT, C, H, pool);
            Layers.matmulBackward(dxn, dw.up(), dup, xn2[l], w.up(), BT, C, H, pool);
            Layers.rmsnormBackward(dresid, dw.ffnNorm(), dxn, mid[l], w.ffnNorm(), rstd2[l], BT, C, pool);
            // attention: dresid is now d mid
            Arrays.fill(datty, 0f);
            Layers.matmulBackward(datty, dw.wo(), dresid, atty[l], w.wo(), BT, QD, C, pool);
            Arrays.fill(dq, 0f);
            Arrays.fill(dk, 0f);
            Arrays.fill(dv, 0f);
            Layers.attentionBackward(dq, dk, dv, datty, att[l], q[l], k[l], v[l], B, T, NH, NKV, HD, pool);
            Layers.ropeBackward(dq, cos, sin, BT, T, NH, HD);
            Layers.ropeBackward(dk, cos, sin, BT, T, NKV, HD);
            Arrays.fill(dxn, 0f);
            Layers.matmulBackward(dxn, dw.wq(), dq, xn1[l], w.wq(), BT, C, QD, pool);
            Layers.matmulBackward(dxn, dw.wk(), dk, xn1[l], w.wk(), BT, C, KVD, pool);
            Layers.matmulBackward(dxn, dw.wv(), dv, xn1[l], w.wv(), BT, C, KVD, pool);
            Layers.rmsnormBackward(dresid, dw.attnNorm(), dxn, resid[l], w.attnNorm(), rstd1[l], BT, C, pool);
        }
        Layers.encoderBackward(g.tokenEmbd, dresid, inputs, BT, C, pool);
    }

    public void zeroGrad() {
        grads.zero();
    }

    /** Bytes of activations and gradient scratch for (B, T) — for memory reports. */
    public static long activationBytes(ModelConfig c, int B, int T) {
        long BT = (long) B * T, C = c.dim(), H = c.hiddenDim(), L = c.nLayers();
        long perLayer = BT * (4 * C + 2 + 2L * c.qDim() + 2L * c.kvDim() + 3 * H) + (long) B * c.nHeads() * T * T;
        long scratch = BT * (4 * C + 2L * c.qDim() + 2L * c.kvDim() + 3 * H + c.vocabSize() + 2); // xnf, tmp, dresid, dxn, ...
        return 4 * (L * perLayer + BT * C + scratch);
    }

    private static void add(float[] out, float[] a, float[] b) {
        for (int i = 0; i < out.length; i++) out[i] = a[i] + b[i];
    }
}

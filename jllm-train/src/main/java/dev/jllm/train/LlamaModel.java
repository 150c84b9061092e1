package dev.jllm.train;

import dev.jllm.model.ModelConfig;
import dev.jllm.tensor.Parallel;
import dev.jllm.train.LoraConfig.Target;
import java.util.Arrays;

/**
 * The LLaMA decoder for training: the engine's architecture ({@code dev.jllm.model.Transformer}) with
 * every activation kept for an explicit backward pass, as llm.c's {@code gpt2_forward} /
 * {@code gpt2_backward}. fp32 throughout; gradients accumulate into {@link #grads} until
 * {@link #zeroGrad()}.
 *
 * <p>With a {@link LoraParams} adapter the base is frozen: every targeted linear layer adds
 * s·(x·Aᵀ)·Bᵀ, gradients go to A and B only ({@link #trainableGrads}), and the backward pass skips
 * every weight gradient of the base (half the matrix work of full training).
 *
 * <p>Packed rows: {@code positions} (BT) restart RoPE at each sample, {@code starts} (BT) keep
 * attention inside each sample (see {@link Layers#attentionForward}).
 *
 * <p>Legend (see {@link Layers}): B, T, BT = B·T, C dim, NH/NKV heads, HD head width, QD = NH·HD,
 * KVD = NKV·HD, H FFN width, V vocab, L layers, r LoRA rank.
 */
public final class LlamaModel {
    public final ModelConfig config;
    public final Params params;
    /** Gradients of the base weights (full training); null with a LoRA adapter (the base is frozen). */
    public final Params grads;
    /** The adapter being trained, or null (full training). */
    public final LoraParams lora;
    private final LoraParams loraGrads;
    private final QuantizedBase quantized; // the frozen base's matrices, kept in their GGUF type (QLoRA), or null
    private final float[] deq;             // one dequantized matrix at a time when {@code quantized} is set
    private final Parallel pool;
    private final float[] wT; // scratch: the largest weight matrix, transposed
    /** Rows of a quantized classifier dequantized at a time (a multiple of Gemm's k block, so sums keep their order). */
    public static final int CLASSIFIER_CHUNK = 4 * Gemm.KC;

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
    private int[] positions, starts; // (BT) or null: packed samples
    private float[][][] xa;         // (L, targets, BT·r) x·Aᵀ of each adapter, for its backward
    private float[] loraOut, loraDy, dxa; // (BT, max out), (BT, max out), (BT, r) LoRA scratch
    private float loraDropout;       // PEFT's lora_dropout on the adapter's input, training passes only
    private long dropoutKey = -1;    // this pass's dropout stream (−1: no dropout, e.g. validation)
    private float[] dropMask, dropX, dropDx; // (BT, max in) scale mask, dropped input, dx of the branch
    private final float[] normGradSink; // frozen norms: their weight gradient is computed and dropped
    // gradient scratch, reused by every layer
    private float[] dresid, dxn, dq, dk, dv, datty, dsw, dgate, dup;
    private boolean haveLoss;
    private boolean adapterOn = true; // false: the forward pass is the frozen base (the reference model of DPO/PPO)

    /** Full training: every weight gets a gradient. */
    public LlamaModel(Params params, Parallel pool) {
        this(params, null, pool);
    }

    /** LoRA training when {@code lora} is not null: the base is frozen, A and B are trained. */
    public LlamaModel(Params params, LoraParams lora, Parallel pool) {
        this(params, lora, pool, null);
    }

    /**
     * @param quantized the frozen base's matrices in their GGUF type (QLoRA): each is dequantized
     *                  into one shared scratch only while a product needs it; {@code params} then
     *                  holds only the norm gains. Needs {@code lora}.
     */
    public LlamaModel(Params params, LoraParams lora, Parallel pool, QuantizedBase quantized) {
        this(params, lora, pool, quantized, false);
    }

    /** A model that only runs forward passes (a frozen reference model): no gradient storage. */
    public static LlamaModel forInference(Params params, Parallel pool) {
        return new LlamaModel(params, null, pool, null, true);
    }

    private LlamaModel(Params params, LoraParams lora, Parallel pool, QuantizedBase quantized, boolean inferenceOnly) {
        if (quantized != null && lora == null) throw new IllegalArgumentException("a quantized base can only be trained with a LoRA adapter");
        this.quantized = quantized;
        this.config = params.config;
        this.params = params;
        this.lora = lora;
        if (lora != null && !lora.model.equals(params.config)) throw new IllegalArgumentException("the adapter was made for another model shape");
        this.grads = lora == null && !inferenceOnly ? new Params(params.config) : null;
        this.loraGrads = lora == null ? null : new LoraParams(params.config, lora.config);
        this.pool = pool;
        ModelConfig c = config;
        int layerMatrix = Math.max(c.qDim(), c.hiddenDim()) * c.dim();
        // a quantized base's classifier runs in chunks of rows: no vocabulary-sized fp32 buffer
        int maxMatrix = quantized == null ? Math.max(layerMatrix, c.vocabSize() * c.dim()) : Math.max(layerMatrix, CLASSIFIER_CHUNK * c.dim());
        this.wT = new float[maxMatrix];
        this.deq = quantized == null ? null : new float[maxMatrix];
        this.normGradSink = new float[c.dim()];
    }

    /**
     * PEFT's {@code lora_dropout}: during a training pass the adapter sees dropout(x) (elements zeroed
     * with probability p, the rest scaled by 1/(1−p)); the base sees x. Masks are a pure function of
     * the key given to {@link #dropoutKey} and the (layer, target), so a resumed run drops the same
     * elements, and the backward pass regenerates them instead of storing them.
     */
    public void setLoraDropout(float p) {
        if (!(p >= 0 && p < 1)) throw new IllegalArgumentException("--lora-dropout must be in [0, 1), got " + p);
        if (p > 0 && lora == null) throw new IllegalArgumentException("--lora-dropout needs a LoRA adapter");
        this.loraDropout = p;
    }

    /** The dropout stream of the next forward/backward pair (e.g. hash of seed, step, micro-batch); −1 = none (validation). */
    public void dropoutKey(long key) {
        this.dropoutKey = key;
    }

    /**
     * Switches the adapter off (false) or on: with it off the forward pass is exactly the frozen base,
     * which is the reference model of DPO and PPO without a second copy of the weights in memory.
     */
    public void adapterEnabled(boolean on) {
        this.adapterOn = on;
    }

    /** What the optimizer updates: the adapter, or every weight. */
    public Tensors trainable() {
        return lora != null ? lora : params;
    }

    /** Their gradients, same order. */
    public Tensors trainableGrads() {
        return lora != null ? loraGrads : grads;
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
        if (lora != null) {
            int r = lora.config.rank(), maxOut = Math.max(Math.max(c.qDim(), c.hiddenDim()), C);
            xa = new float[L][Target.values().length][];
            for (int l = 0; l < L; l++) for (Target t : lora.config.targets()) xa[l][t.ordinal()] = new float[BT * r];
            loraOut = new float[BT * maxOut];
            loraDy = new float[BT * maxOut];
            dxa = new float[BT * r];
        }
    }

    /**
     * Runs the model on B sequences of T tokens ({@code inputs} row-major (B, T)) and returns the mean
     * cross-entropy against {@code targets} (same shape; {@link Layers#IGNORE} rows are masked out).
     */
    public float forward(int[] inputs, int[] targets, int B, int T) {
        return forward(inputs, targets, null, null, B, T);
    }

    /**
     * As {@link #forward(int[], int[], int, int)} for packed rows: {@code positions} (BT) is each
     * token's position within its sample (RoPE), {@code starts} (BT) the row index where its sample
     * begins (attention sees keys [start, t] only); both null for one sequence per row.
     */
    public float forward(int[] inputs, int[] targets, int[] positions, int[] starts, int B, int T) {
        ModelConfig c = config;
        if ((positions == null) != (starts == null)) throw new IllegalArgumentException("positions and starts go together");
        if (positions != null) checkPacking(positions, starts, B, T);
        if (inputs.length != B * T || targets.length != B * T) {
            throw new IllegalArgumentException("inputs/targets must have B·T = " + B * T + " entries, got " + inputs.length + "/" + targets.length);
        }
        if (T > c.contextLength()) throw new IllegalArgumentException("sequence length " + T + " exceeds the model's context " + c.contextLength());
        for (int id : inputs) if (id < 0 || id >= c.vocabSize()) throw new IllegalArgumentException("token id " + id + " is outside the vocabulary 0.." + (c.vocabSize() - 1));
        allocate(B, T);
        this.inputs = inputs;
        this.targets = targets;
        this.positions = positions;
        this.starts = starts;
        final int BT = B * T, C = c.dim(), NH = c.nHeads(), NKV = c.nKvHeads(), HD = c.headDim();
        final int QD = c.qDim(), KVD = c.kvDim(), H = c.hiddenDim(), V = c.vocabSize();
        final float eps = c.rmsEps();

        if (quantized == null) Layers.encoderForward(resid[0], inputs, params.tokenEmbd, BT, C);
        else for (int i = 0; i < BT; i++) quantized.row("token_embd.weight", inputs[i], resid[0], i * C);
        for (int l = 0; l < c.nLayers(); l++) {
            Params.Layer w = params.layers[l];
            // attention sub-layer: mid = x + Wo · attention(RoPE(Wq·n(x)), RoPE(Wk·n(x)), Wv·n(x))
            Layers.rmsnormForward(xn1[l], rstd1[l], resid[l], w.attnNorm(), BT, C, eps, pool);
            linear(q[l], xn1[l], W(w.wq(), l, "attn_q"), l, Target.Q, BT, C, QD);
            linear(k[l], xn1[l], W(w.wk(), l, "attn_k"), l, Target.K, BT, C, KVD);
            linear(v[l], xn1[l], W(w.wv(), l, "attn_v"), l, Target.V, BT, C, KVD);
            Layers.ropeForward(q[l], cos, sin, positions, BT, T, NH, HD);
            Layers.ropeForward(k[l], cos, sin, positions, BT, T, NKV, HD);
            Layers.attentionForward(atty[l], att[l], q[l], k[l], v[l], starts, B, T, NH, NKV, HD, pool);
            linear(tmp, atty[l], W(w.wo(), l, "attn_output"), l, Target.O, BT, QD, C);
            add(mid[l], resid[l], tmp);
            // FFN sub-layer: x' = mid + W2 · (silu(W1·n(mid)) ⊙ W3·n(mid))
            Layers.rmsnormForward(xn2[l], rstd2[l], mid[l], w.ffnNorm(), BT, C, eps, pool);
            linear(gate[l], xn2[l], W(w.gate(), l, "ffn_gate"), l, Target.GATE, BT, C, H);
            linear(up[l], xn2[l], W(w.up(), l, "ffn_up"), l, Target.UP, BT, C, H);
            Layers.swigluForward(sw[l], gate[l], up[l], BT * H, pool);
            linear(tmp, sw[l], W(w.down(), l, "ffn_down"), l, Target.DOWN, BT, H, C);
            add(resid[l + 1], mid[l], tmp);
        }
        Layers.rmsnormForward(xnf, rstdf, resid[c.nLayers()], params.outputNorm, BT, C, eps, pool);
        if (quantized == null) Layers.matmulForward(probs, xnf, params.output, wT, BT, C, V, pool);
        else classifierForward(BT, C, V);
        haveLoss = true;
        return Layers.crossEntropyForward(probs, losses, targets, BT, V, pool);
    }

    /** Per-row losses of the last forward pass (0 on ignored rows), (BT): −log p(target) where a target is set. */
    public float[] rowLosses() { return losses; }

    /** The final hidden states of the last forward pass, after the output RMSNorm (BT, C): what scalar heads read. */
    public float[] hidden() { return xnf; }

    /** The next-token probabilities of the last forward pass (BT, V); valid until {@link #backward} consumes them. */
    public float[] probabilities() {
        if (!haveLoss) throw new IllegalStateException("the probabilities were consumed by backward()");
        return probs;
    }

    /**
     * Adds d(scale · loss)/dθ of the last forward pass to {@link #grads} (scale = 1/accumulation
     * steps when micro-batches are summed). Consumes the forward's probabilities.
     */
    public void backward(float scale) {
        if (!haveLoss) throw new IllegalStateException("backward() needs a forward() with targets first");
        Layers.crossEntropyBackward(probs, targets, B * T, config.vocabSize(), scale, pool);
        backwardFromLogits(true, null);
    }

    /**
     * The backward pass of an objective built from the last forward pass's per-row losses and final
     * hidden states (preference tuning): {@code rowScale[t]} = dJ/d(rowLoss t), i.e. −dJ/d log p(target t)
     * (null: J does not depend on them), {@code dHidden} (BT, C) = dJ/d{@link #hidden()} (null: none;
     * a scalar head's gradient). Adds dJ/dθ to the gradients.
     */
    public void backward(float[] rowScale, float[] dHidden) {
        if (!haveLoss) throw new IllegalStateException("backward() needs a forward() first");
        if (rowScale != null) Layers.crossEntropyBackwardRows(probs, targets, rowScale, B * T, config.vocabSize(), pool);
        backwardFromLogits(rowScale != null, dHidden);
    }

    /** From d logits (in {@link #probs}, when {@code logits}) and/or d hidden down to every trainable weight. */
    private void backwardFromLogits(boolean logits, float[] dHidden) {
        if (adapterOn == false && lora != null) throw new IllegalStateException("backward() with the adapter switched off");
        haveLoss = false;
        ModelConfig c = config;
        final int BT = B * T, C = c.dim(), NH = c.nHeads(), NKV = c.nKvHeads(), HD = c.headDim();
        final int QD = c.qDim(), KVD = c.kvDim(), H = c.hiddenDim(), V = c.vocabSize();
        Params g = grads;

        Arrays.fill(dxn, 0f);
        if (logits) {
            if (quantized == null) linearBackward(dxn, g == null ? null : g.output, probs, xnf, params.output, -1, null, BT, C, V);
            else classifierBackwardInput(BT, C, V);
        }
        if (dHidden != null) for (int i = 0; i < BT * C; i++) dxn[i] += dHidden[i];
        Arrays.fill(dresid, 0f);
        Layers.rmsnormBackward(dresid, g == null ? normGradSink : g.outputNorm, dxn, resid[c.nLayers()], params.outputNorm, rstdf, BT, C, pool);
        for (int l = c.nLayers() - 1; l >= 0; l--) {
            Params.Layer w = params.layers[l], dw = g == null ? null : g.layers[l];
            // FFN: dresid is d x'; the residual passes it to d mid unchanged, the branch adds to it
            Arrays.fill(dsw, 0f);
            linearBackward(dsw, dw == null ? null : dw.down(), dresid, sw[l], W(w.down(), l, "ffn_down"), l, Target.DOWN, BT, H, C);
            Arrays.fill(dgate, 0f);
            Arrays.fill(dup, 0f);
            Layers.swigluBackward(dgate, dup, dsw, gate[l], up[l], BT * H, pool);
            Arrays.fill(dxn, 0f);
            linearBackward(dxn, dw == null ? null : dw.gate(), dgate, xn2[l], W(w.gate(), l, "ffn_gate"), l, Target.GATE, BT, C, H);
            linearBackward(dxn, dw == null ? null : dw.up(), dup, xn2[l], W(w.up(), l, "ffn_up"), l, Target.UP, BT, C, H);
            Layers.rmsnormBackward(dresid, dw == null ? normGradSink : dw.ffnNorm(), dxn, mid[l], w.ffnNorm(), rstd2[l], BT, C, pool);
            // attention: dresid is now d mid
            Arrays.fill(datty, 0f);
            linearBackward(datty, dw == null ? null : dw.wo(), dresid, atty[l], W(w.wo(), l, "attn_output"), l, Target.O, BT, QD, C);
            Arrays.fill(dq, 0f);
            Arrays.fill(dk, 0f);
            Arrays.fill(dv, 0f);
            Layers.attentionBackward(dq, dk, dv, datty, att[l], q[l], k[l], v[l], starts, B, T, NH, NKV, HD, pool);
            Layers.ropeBackward(dq, cos, sin, positions, BT, T, NH, HD);
            Layers.ropeBackward(dk, cos, sin, positions, BT, T, NKV, HD);
            Arrays.fill(dxn, 0f);
            linearBackward(dxn, dw == null ? null : dw.wq(), dq, xn1[l], W(w.wq(), l, "attn_q"), l, Target.Q, BT, C, QD);
            linearBackward(dxn, dw == null ? null : dw.wk(), dk, xn1[l], W(w.wk(), l, "attn_k"), l, Target.K, BT, C, KVD);
            linearBackward(dxn, dw == null ? null : dw.wv(), dv, xn1[l], W(w.wv(), l, "attn_v"), l, Target.V, BT, C, KVD);
            Layers.rmsnormBackward(dresid, dw == null ? normGradSink : dw.attnNorm(), dxn, resid[l], w.attnNorm(), rstd1[l], BT, C, pool);
        }
        if (g != null) Layers.encoderBackward(g.tokenEmbd, dresid, inputs, BT, C, pool);
    }

    /**
     * out = x·Wᵀ, plus s·(x·Aᵀ)·Bᵀ when block {@code l}'s {@code target} has an adapter
     * (x (BT, in), W (out, in), A (r, in), B (out, r); x·Aᵀ is kept for the backward pass).
     */
    private void linear(float[] out, float[] x, float[] w, int l, Target target, int BT, int in, int outDim) {
        Layers.matmulForward(out, x, w, wT, BT, in, outDim, pool);
        LoraParams.Pair p = lora == null || !adapterOn ? null : lora.pair(l, target);
        if (p == null) return;
        int r = lora.config.rank();
        float s = lora.config.scale();
        float[] t = xa[l][target.ordinal()];
        float[] xin = dropout(x, l, target, BT * in) ? dropX : x;
        Layers.matmulForward(t, xin, p.a(), wT, BT, in, r, pool);          // (BT, r)
        Layers.matmulForward(loraOut, t, p.b(), wT, BT, r, outDim, pool); // (BT, out)
        for (int i = 0, n = BT * outDim; i < n; i++) out[i] += s * loraOut[i];
    }

    /**
     * The backward of {@link #linear}: dx += dy·W, dW += dyᵀ·x unless the base is frozen ({@code dw}
     * null); with an adapter, for u = x̃·Aᵀ (x̃ = dropout(x)): dB += s·dyᵀ·u, du = s·dy·B,
     * dA += duᵀ·x̃, dx += (du·A) ⊙ mask. {@code l} = −1 is the classifier (never adapted).
     */
    private void linearBackward(float[] dx, float[] dw, float[] dy, float[] x, float[] w, int l, Target target, int BT, int in, int outDim) {
        if (dw != null) Layers.matmulBackward(dx, dw, dy, x, w, BT, in, outDim, pool);
        else Layers.matmulBackwardInput(dx, dy, w, BT, in, outDim, pool);
        LoraParams.Pair p = lora == null || l < 0 ? null : lora.pair(l, target);
        if (p == null) return;
        LoraParams.Pair gp = loraGrads.pair(l, target);
        int r = lora.config.rank();
        float s = lora.config.scale();
        for (int i = 0, n = BT * outDim; i < n; i++) loraDy[i] = s * dy[i];
        Arrays.fill(dxa, 0, BT * r, 0f);
        Layers.matmulBackward(dxa, gp.b(), loraDy, xa[l][target.ordinal()], p.b(), BT, r, outDim, pool); // du, dB
        if (!dropout(x, l, target, BT * in)) {
            Layers.matmulBackward(dx, gp.a(), dxa, x, p.a(), BT, in, r, pool);                           // dx, dA
            return;
        }
        Arrays.fill(dropDx, 0, BT * in, 0f);
        Layers.matmulBackward(dropDx, gp.a(), dxa, dropX, p.a(), BT, in, r, pool);                       // d x̃, dA
        for (int i = 0, n = BT * in; i < n; i++) dx[i] += dropDx[i] * dropMask[i];
    }

    /**
     * Fills {@link #dropMask} (0 or 1/(1−p)) and {@link #dropX} = x ⊙ mask for block l's target when
     * dropout is on for this pass; false (nothing done) otherwise. The same key, layer and target
     * always give the same mask, so the backward pass regenerates the forward's.
     */
    private boolean dropout(float[] x, int l, Target target, int n) {
        if (loraDropout == 0 || dropoutKey < 0) return false;
        if (dropMask == null || dropMask.length < n) {
            int maxIn = Math.max(Math.max(config.qDim(), config.hiddenDim()), config.dim());
            int size = B * T * maxIn;
            dropMask = new float[size];
            dropX = new float[size];
            dropDx = new float[size];
        }
        java.util.SplittableRandom rnd = new java.util.SplittableRandom(dropoutKey * 0x9E3779B97F4A7C15L + l * 31L + target.ordinal());
        float keep = 1f / (1f - loraDropout);
        for (int i = 0; i < n; i++) {
            float m = rnd.nextFloat() < loraDropout ? 0f : keep;
            dropMask[i] = m;
            dropX[i] = x[i] * m;
        }
        return true;
    }

    /** logits (BT, V) = xnf · Wᵀ for a quantized base, {@link #CLASSIFIER_CHUNK} rows of W (vocabulary entries) at a time. */
    private void classifierForward(int BT, int C, int V) {
        String name = config.tiedEmbeddings() ? "token_embd.weight" : "output.weight";
        for (int r0 = 0; r0 < V; r0 += CLASSIFIER_CHUNK) {
            int n = Math.min(CLASSIFIER_CHUNK, V - r0);
            quantized.rows(name, r0, n, deq, pool);                                        // (n, C)
            Gemm.transpose(deq, n, C, wT);                                                 // (C, n)
            Gemm.gemm(pool, xnf, 0, C, 1, wT, 0, n, probs, r0, V, BT, n, C, false);       // logits[:, r0..r0+n)
        }
    }

    /** dxn (BT, C) += dlogits (BT, V) · W (V, C) for a quantized base, chunk by chunk of W's rows. */
    private void classifierBackwardInput(int BT, int C, int V) {
        String name = config.tiedEmbeddings() ? "token_embd.weight" : "output.weight";
        for (int r0 = 0; r0 < V; r0 += CLASSIFIER_CHUNK) {
            int n = Math.min(CLASSIFIER_CHUNK, V - r0);
            quantized.rows(name, r0, n, deq, pool);
            Gemm.gemm(pool, probs, r0, V, 1, deq, 0, C, dxn, 0, C, BT, C, n, true);
        }
    }

    /**
     * Matrix {@code name} of block {@code l} (l = −1: the classifier) as fp32: the array itself, or,
     * with a quantized base, its dequantized copy in the shared scratch (valid until the next call).
     */
    private float[] W(float[] fp32, int l, String name) {
        if (quantized == null) return fp32;
        String t = l >= 0 ? "blk." + l + "." + name + ".weight" : config.tiedEmbeddings() ? "token_embd.weight" : "output.weight";
        quantized.matrix(t, deq, pool);
        return deq;
    }

    /** Positions count up by one inside a sample and restart at 0 where a new one starts. */
    private static void checkPacking(int[] positions, int[] starts, int B, int T) {
        if (positions.length != B * T || starts.length != B * T) throw new IllegalArgumentException("positions/starts must have B·T entries");
        for (int b = 0; b < B; b++) {
            for (int t = 0; t < T; t++) {
                int i = b * T + t, st = starts[i];
                if (st < 0 || st > t || positions[i] != t - st) {
                    throw new IllegalArgumentException("row " + b + ", token " + t + ": position " + positions[i] + " with sample start " + st
                            + " (positions must count from 0 at the sample's start)");
                }
            }
        }
    }

    public void zeroGrad() {
        trainableGrads().zero();
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

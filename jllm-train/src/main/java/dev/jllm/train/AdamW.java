package dev.jllm.train;

import dev.jllm.tensor.Parallel;

/**
 * AdamW (Loshchilov & Hutter 2019), as {@code torch.optim.AdamW}: decoupled weight decay
 * θ ← θ·(1 − lr·λ), then θ ← θ − lr/(1−β1ᵗ) · m / (√v/√(1−β2ᵗ) + ε) with m, v the running first and
 * second moments of the gradient. λ applies to matrices only: norm gains never decay, and the token
 * embedding decays only if {@code decayEmbeddings} (GPT-2/LLaMA practice: decay pulls rare tokens'
 * rows to zero). Plus the global-norm gradient clipping of {@code clip_grad_norm_}.
 */
public final class AdamW {
    public final float beta1, beta2, eps, weightDecay;
    public final boolean decayEmbeddings;
    final Tensors m, v; // first and second moments (checkpointed)
    long t;            // steps taken (checkpointed)


    public AdamW(dev.jllm.model.ModelConfig config, float beta1, float beta2, float eps, float weightDecay, boolean decayEmbeddings) {
        this(new Params(config), beta1, beta2, eps, weightDecay, decayEmbeddings);
    }

    /** Moments shaped as {@code trained} (the whole model, or a LoRA adapter). */
    public AdamW(Tensors trained, float beta1, float beta2, float eps, float weightDecay, boolean decayEmbeddings) {
        if (!(beta1 >= 0 && beta1 < 1) || !(beta2 >= 0 && beta2 < 1)) throw new IllegalArgumentException("AdamW betas must be in [0, 1), got " + beta1 + ", " + beta2);
        if (!(eps > 0)) throw new IllegalArgumentException("AdamW eps must be > 0, got " + eps);
        if (!(weightDecay >= 0)) throw new IllegalArgumentException("weight decay must be >= 0, got " + weightDecay);
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.eps = eps;
        this.weightDecay = weightDecay;
        this.decayEmbeddings = decayEmbeddings;
        this.m = trained.zerosLike();
        this.v = trained.zerosLike();
    }

    /** Steps taken so far. */
    public long steps() { return t; }

    /** One update of every parameter from its gradient, at learning rate {@code lr}. */
    public void step(Tensors params, Tensors grads, float lr, Parallel pool) {
        t++;
        double bc1 = 1 - Math.pow(beta1, t), bc2 = 1 - Math.pow(beta2, t);
        float stepSize = (float) (lr / bc1), sqrtBc2 = (float) Math.sqrt(bc2);
        for (int i = 0; i < params.tensors().size(); i++) {
            Params.Tensor pt = params.tensors().get(i);
            float[] p = pt.data(), g = grads.tensors().get(i).data(), mm = m.tensors().get(i).data(), vv = v.tensors().get(i).data();
            boolean decay = !pt.isNorm() && (decayEmbeddings || !pt.isEmbedding());
            float keep = decay ? 1f - lr * weightDecay : 1f;
            Layers.forRange(pool, p.length, 8, (i0, i1) -> {
                for (int j = i0; j < i1; j++) {
                    float gj = g[j];
                    float mj = beta1 * mm[j] + (1 - beta1) * gj;
                    float vj = beta2 * vv[j] + (1 - beta2) * gj * gj;
                    mm[j] = mj;
                    vv[j] = vj;
                    p[j] = p[j] * keep - stepSize * mj / ((float) Math.sqrt(vj) / sqrtBc2 + eps);
                }
            });
        }
    }

    /** √Σ g² over every gradient (accumulated in double, in a fixed order). */
    public static double gradNorm(Tensors grads) {
        double s = 0;
        for (Params.Tensor t : grads.tensors()) {
            float[] g = t.data();
            double ts = 0;
            for (float x : g) ts += (double) x * x;
            s += ts;
        }
        return Math.sqrt(s);
    }

    /** Scales the gradients so their global norm is at most {@code maxNorm} (as torch: coef = max/(norm+1e-6) ≤ 1). */
    public static void clip(Tensors grads, double norm, float maxNorm) {
        double coef = maxNorm / (norm + 1e-6);
        if (coef >= 1) return;
        float f = (float) coef;
        for (Params.Tensor t : grads.tensors()) {
            float[] g = t.data();
            for (int i = 0; i < g.length; i++) g[i] *= f;
        }
    }
}

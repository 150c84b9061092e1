package dev.jllm.train;

import dev.jllm.model.ModelConfig;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The trainable tensors of a LoRA adapter — A (r, in) and B (out, r) for every targeted matrix of
 * every block — named as llama.cpp's GGUF adapters ({@code blk.N.attn_q.weight.lora_a} / {@code lora_b})
 * and ordered by block, then q,k,v,o,gate,up,down, A before B. The same shape serves the weights,
 * their gradients and the AdamW moments.
 */
public final class LoraParams implements Tensors {
    /** One adapted matrix: W (out, in) + s·B·A. */
    public record Pair(LoraConfig.Target target, int in, int out, float[] a, float[] b) {}

    public final ModelConfig model;
    public final LoraConfig config;
    private final Pair[][] pairs; // [layer][Target.ordinal()], null where not targeted
    private final List<Params.Tensor> tensors;

    /** All-zero tensors. */
    public LoraParams(ModelConfig model, LoraConfig config) {
        this.model = model;
        this.config = config;
        int r = config.rank();
        this.pairs = new Pair[model.nLayers()][LoraConfig.Target.values().length];
        List<Params.Tensor> t = new ArrayList<>();
        for (int l = 0; l < model.nLayers(); l++) {
            for (LoraConfig.Target target : config.orderedTargets()) {
                int[] io = inOut(model, target);
                Pair p = new Pair(target, io[0], io[1], new float[r * io[0]], new float[io[1] * r]);
                pairs[l][target.ordinal()] = p;
                String name = target.model().ggufWeight(l);
                t.add(new Params.Tensor(name + ".lora_a", new long[] {io[0], r}, p.a()));
                t.add(new Params.Tensor(name + ".lora_b", new long[] {r, io[1]}, p.b()));
            }
        }
        this.tensors = Collections.unmodifiableList(t);
    }

    /** (in, out) of a targeted matrix of a llama block. */
    static int[] inOut(ModelConfig c, LoraConfig.Target t) {
        return t.model().inOut(c);
    }

    /**
     * PEFT's initialisation: A ~ kaiming_uniform(a=√5), i.e. uniform(±1/√in), B = 0 — so the adapted
     * model starts exactly as the base. Seeded: the same seed gives the same adapter.
     */
    public static LoraParams init(ModelConfig model, LoraConfig config, long seed) {
        LoraParams p = new LoraParams(model, config);
        SplittableRandom rnd = new SplittableRandom(seed);
        for (Params.Tensor t : p.tensors) {
            if (!t.name().endsWith(".lora_a")) continue;
            float bound = (float) (1.0 / Math.sqrt(t.dims()[0]));
            float[] a = t.data();
            for (int i = 0; i < a.length; i++) a[i] = (float) ((rnd.nextDouble() * 2 - 1) * bound);
        }
        return p;
    }

    /** The adapter of {@code target} in block {@code layer}, or null. */
    public Pair pair(int layer, LoraConfig.Target target) {
        return pairs[layer][target.ordinal()];
    }

    @Override
    public List<Params.Tensor> tensors() {
        return tensors;
    }

    /** Trainable parameters: r·(in + out) per adapted matrix (PEFT's count). */
    public long count() {
        long n = 0;
        for (Params.Tensor t : tensors) n += t.size();
        return n;
    }

    /**
     * As a GGUF LoRA adapter (llama.cpp's layout). llama.cpp scales by alpha/r; an rsLoRA adapter
     * (scale α/√r) is written with alpha = scale·r so that it runs at its trained scale there too.
     */
    public dev.jllm.model.LoraAdapter toAdapter() {
        List<dev.jllm.model.LoraAdapter.Pair> out = new ArrayList<>();
        int r = config.rank();
        for (int l = 0; l < model.nLayers(); l++) {
            for (LoraConfig.Target t : config.orderedTargets()) {
                Pair p = pairs[l][t.ordinal()];
                out.add(new dev.jllm.model.LoraAdapter.Pair(t.model().ggufWeight(l), p.in(), p.out(), r, p.a(), p.b()));
            }
        }
        return new dev.jllm.model.LoraAdapter(model.architecture(), config.scale() * r, out);
    }

    /** The trainable parameter count without allocating: r·(in + out) summed over targets and blocks. */
    public static long count(ModelConfig model, LoraConfig config) {
        long n = 0;
        for (LoraConfig.Target t : config.targets()) {
            int[] io = inOut(model, t);
            n += (long) config.rank() * (io[0] + io[1]);
        }
        return n * model.nLayers();
    }
}

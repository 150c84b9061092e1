package dev.jllm.train;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * A LoRA adapter's shape (Hu et al. 2021, as PEFT defines it): every targeted linear layer
 * y = x·Wᵀ becomes y = x·Wᵀ + s·(x·Aᵀ)·Bᵀ with A (r, in), B (out, r) trainable and W frozen;
 * s = α/r, or α/√r with rsLoRA (Kalajdzievski 2023).
 *
 * @param rank    r, ≥ 1
 * @param alpha   α (PEFT's lora_alpha)
 * @param targets which linear layers of every block get an adapter
 * @param rsLora  scale by α/√r instead of α/r
 */
public record LoraConfig(int rank, float alpha, Set<Target> targets, boolean rsLora) {

    /**
     * The adaptable linear layers of a llama block, by the names PEFT users write (q_proj → q): the
     * training side's view of the model's {@link dev.jllm.model.LoraTarget} (same order, same names).
     */
    public enum Target {
        Q, K, V, O, GATE, UP, DOWN;

        /** The model's description of this matrix: GGUF name, PEFT module, shape. */
        public dev.jllm.model.LoraTarget model() {
            return dev.jllm.model.LoraTarget.valueOf(name());
        }

        /** The GGUF tensor name inside a block ({@code blk.N.<gguf>.weight}). */
        public String gguf() {
            return model().gguf;
        }

        /** PEFT's module name (q_proj, ..., down_proj) for adapter_config.json's target_modules. */
        public String peftModule() {
            return model().peft;
        }
    }

    public LoraConfig {
        if (rank < 1) throw new IllegalArgumentException("--lora-rank must be >= 1, got " + rank);
        if (!(alpha > 0) || !Float.isFinite(alpha)) throw new IllegalArgumentException("--lora-alpha must be > 0, got " + alpha);
        if (targets == null || targets.isEmpty()) throw new IllegalArgumentException("--lora-targets must name at least one of q,k,v,o,gate,up,down");
        targets = Set.copyOf(EnumSet.copyOf(targets));
    }

    /** s: what the adapter's product is multiplied by. */
    public float scale() {
        return (float) (rsLora ? alpha / Math.sqrt(rank) : alpha / rank);
    }

    /** Targets in the fixed order q,k,v,o,gate,up,down (the order of the adapter's tensors in a block). */
    public List<Target> orderedTargets() {
        List<Target> t = new ArrayList<>();
        for (Target x : Target.values()) if (targets.contains(x)) t.add(x);
        return t;
    }

    /**
     * Parses {@code q,v} or {@code all}; PEFT's names (q_proj, ..., down_proj) and llama.cpp's
     * (attn_q, ..., ffn_down) are accepted too.
     */
    public static Set<Target> parseTargets(String s) {
        if (s == null || s.isBlank()) throw new IllegalArgumentException("--lora-targets is empty; use e.g. q,v or all");
        if (s.strip().equalsIgnoreCase("all")) return EnumSet.allOf(Target.class);
        Set<Target> out = EnumSet.noneOf(Target.class);
        for (String part : s.split(",")) {
            String p = part.strip().toLowerCase(Locale.ROOT);
            Target hit = null;
            for (Target t : Target.values()) {
                if (p.equals(t.name().toLowerCase(Locale.ROOT)) || p.equals(t.peftModule()) || p.equals(t.gguf())) hit = t;
            }
            if (hit == null) {
                throw new IllegalArgumentException("--lora-targets: unknown target '" + part.strip() + "'; use q,k,v,o,gate,up,down (or all)");
            }
            out.add(hit);
        }
        return out;
    }
}

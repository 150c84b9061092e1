package dev.jllm.model;

/**
 * A LoRA adapter bound to a model for serving without merging: for each block and adaptable matrix
 * the pair (A, B) or null, and the scale — what {@link Transformer} adds per token,
 * y += s·B·(A·x), for the tokens of the batch entries that name this adapter (the per-row adapter
 * idea of Punica / S-LoRA: sequences with different adapters, or none, share one step and one
 * pass over the base weights). Validated against the model once, at load.
 */
public final class LoraWeights {
    /** A name for logs and errors (the serving name, e.g. "support"). */
    public final String name;
    public final float scale;
    public final int rank;
    private final LoraAdapter.Pair[][] pairs; // [layer][slot]

    /**
     * @param strength multiplies the adapter's own alpha/r (llama.cpp's --lora-scaled)
     */
    public LoraWeights(String name, LoraAdapter adapter, ModelConfig c, float strength) {
        if (!adapter.architecture.equals(c.architecture())) {
            throw new IllegalArgumentException("adapter '" + name + "' is for architecture '" + adapter.architecture + "', the model is '"
                    + c.architecture() + "'");
        }
        this.name = name;
        this.scale = adapter.scale() * strength;
        this.rank = adapter.rank();
        this.pairs = new LoraAdapter.Pair[c.nLayers()][LoraTarget.values().length];
        int found = 0;
        for (int l = 0; l < c.nLayers(); l++) {
            for (LoraTarget s : LoraTarget.values()) {
                String w = s.ggufWeight(l);
                LoraAdapter.Pair p = adapter.pairs.get(w);
                if (p == null) continue;
                int[] io = s.inOut(c);
                if (p.in() != io[0] || p.out() != io[1]) {
                    throw new IllegalArgumentException("adapter '" + name + "': " + w + " is for a (" + p.out() + ", " + p.in() + ") matrix, the model's is ("
                            + io[1] + ", " + io[0] + ")");
                }
                pairs[l][s.ordinal()] = p;
                found++;
            }
        }
        if (found != adapter.pairs.size()) {
            throw new IllegalArgumentException("adapter '" + name + "' adapts matrices this model does not have or jllm cannot adapt"
                    + " (only the q,k,v,o,gate,up,down matrices of blocks 0.." + (c.nLayers() - 1) + ")");
        }
    }

    /** The pair of block {@code layer}'s {@code slot}, or null. */
    LoraAdapter.Pair pair(int layer, LoraTarget slot) {
        return pairs[layer][slot.ordinal()];
    }

    /**
     * out[outOff..+out) += s·B·(A·x[xOff..+in)) for one token; {@code u} is scratch of at least r floats.
     * Dot products in the pair's fixed order: the same token gives the same numbers in any batch.
     */
    static void addDelta(LoraAdapter.Pair p, float s, float[] x, int xOff, float[] out, int outOff, float[] u) {
        int r = p.rank(), in = p.in(), outDim = p.out();
        float[] a = p.a(), b = p.b();
        for (int k = 0; k < r; k++) u[k] = s * dev.jllm.tensor.FloatOps.dot(a, k * in, x, xOff, in);
        for (int o = 0; o < outDim; o++) out[outOff + o] += dev.jllm.tensor.FloatOps.dot(b, o * r, u, 0, r);
    }
}

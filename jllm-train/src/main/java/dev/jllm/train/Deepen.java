package dev.jllm.train;

import dev.jllm.model.ModelConfig;

/**
 * Depth growth of a trained model (progressive stacking, Gong et al. 2019; "Stacking your transformers", Du et al.
 * 2024), in the function-preserving form: every block is followed by {@code factor - 1} copies of itself whose two
 * output projections ({@code attn_output}, {@code ffn_down}) are zero. A block adds its outputs to the residual
 * stream, so a copy with zero outputs adds nothing: the grown model computes exactly what the source did (same
 * logits), and training starts from the source's quality with twice (or k times) the depth to spend.
 *
 * <p>Why copies and not fresh random blocks: a copy's queries, keys and gates already read the features its
 * original reads, so the first steps refine a working circuit (here: the induction heads that copy a conversation's
 * facts) instead of searching from noise; why zero outputs: a plain copy would apply each block twice and start
 * training from a broken model.
 */
public final class Deepen {
    private Deepen() {}

    /** The grown parameters: {@code layers} blocks, a multiple of the source's; the source is not changed. */
    public static Params deepen(Params src, int layers) {
        ModelConfig c = src.config;
        int n = c.nLayers();
        if (layers <= n || layers % n != 0) {
            throw new IllegalArgumentException("--layers must be a multiple of the model's " + n + " layers and larger (e.g. " + 2 * n + "), got " + layers);
        }
        int factor = layers / n;
        ModelConfig g = new ModelConfig(c.architecture(), c.dim(), c.hiddenDim(), layers, c.nHeads(), c.nKvHeads(), c.headDim(), c.vocabSize(),
                c.contextLength(), c.rmsEps(), c.ropeTheta(), c.tiedEmbeddings(), c.rope());
        Params p = new Params(g);
        copy(src.tokenEmbd, p.tokenEmbd);
        copy(src.outputNorm, p.outputNorm);
        if (!c.tiedEmbeddings()) copy(src.output, p.output);
        for (int l = 0; l < layers; l++) {
            Params.Layer from = src.layers[l / factor], to = p.layers[l];
            boolean original = l % factor == 0;
            copy(from.attnNorm(), to.attnNorm());
            copy(from.wq(), to.wq());
            copy(from.wk(), to.wk());
            copy(from.wv(), to.wv());
            copy(from.ffnNorm(), to.ffnNorm());
            copy(from.gate(), to.gate());
            copy(from.up(), to.up());
            if (original) { // a copy keeps Params' zeros here: it adds nothing to the residual stream until trained
                copy(from.wo(), to.wo());
                copy(from.down(), to.down());
            }
        }
        return p;
    }

    private static void copy(float[] a, float[] b) {
        System.arraycopy(a, 0, b, 0, a.length);
    }
}

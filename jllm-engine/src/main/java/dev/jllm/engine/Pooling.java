package dev.jllm.engine;

/**
 * How an embedding is made from a sequence's final hidden states (after the output norm), as
 * llama-server's {@code --pooling}: MEAN averages every token's state, LAST takes the last token's
 * (for models trained to put the summary there, e.g. Qwen3-Embedding). Either way the result is
 * L2-normalised, so a dot product is the cosine similarity.
 */
public enum Pooling {
    MEAN, LAST;

    /** Pools {@code rows} (one per token, each {@code dim} floats) and L2-normalises the result, in double. */
    public float[] pool(float[][] rows) {
        if (rows.length == 0) throw new IllegalArgumentException("nothing to pool: no tokens");
        int d = rows[0].length;
        double[] acc = new double[d];
        if (this == LAST) {
            for (int j = 0; j < d; j++) acc[j] = rows[rows.length - 1][j];
        } else {
            for (float[] r : rows) for (int j = 0; j < d; j++) acc[j] += r[j];
            for (int j = 0; j < d; j++) acc[j] /= rows.length;
        }
        double norm = 0;
        for (double v : acc) norm += v * v;
        norm = Math.sqrt(norm);
        float[] out = new float[d];
        for (int j = 0; j < d; j++) out[j] = (float) (norm > 0 ? acc[j] / norm : 0);
        return out;
    }
}

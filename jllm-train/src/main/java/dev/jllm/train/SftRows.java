package dev.jllm.train;

import java.util.List;

/**
 * Where fine-tuning rows come from (the SFT data module renders chat data into them). Every method
 * is a pure function of its arguments, so a resumed run sees exactly the rows the uninterrupted run
 * would have.
 */
public interface SftRows {
    /** Names of the data sources (e.g. code, math, general), indexed by {@code sourceOfToken}. */
    List<String> sources();

    /**
     * Fills micro-batch {@code micro} of step {@code step}: B rows of T tokens, row-major.
     *
     * @param targets       next-token targets, {@link Layers#IGNORE} where no loss is wanted
     * @param positions     each token's position within its sample (0 at a sample's first token)
     * @param starts        the row index where each token's sample starts (padding: the token itself)
     * @param sourceOfToken the source index of each token's sample, −1 for padding
     */
    void trainBatch(long seed, int step, int micro, int B, int T, int[] inputs, int[] targets, int[] positions, int[] starts,
                    int[] sourceOfToken);

    /** Held-out batches available (0 = no validation). */
    int validationBatches(int B, int T);

    /** Held-out batch {@code i} (fixed content, same layout as {@link #trainBatch}). */
    void validationBatch(int i, int B, int T, int[] inputs, int[] targets, int[] positions, int[] starts, int[] sourceOfToken);
}

package dev.jllm.sft;

import java.util.List;

/**
 * One micro-batch for the trainer: {@code rows} × {@code seqLen} positions, row-major (position
 * {@code r * seqLen + t}).
 *
 * <ul>
 * <li>{@code inputs}: token ids; padding holds the vocabulary's EOS (or 0), which nothing attends to.
 * <li>{@code targets}: the next token of the same sample where that token carries loss, else
 *     {@link #IGNORE}; the last position of every sample and all padding are {@link #IGNORE}.
 * <li>{@code positions}: the position within its own sample (0 at each sample's start), for RoPE.
 * <li>{@code segments}: the sample's index within its row (0, 1, ...), -1 for padding. Attention of
 *     a query may only see keys of the same segment (and, causally, earlier positions) — packing
 *     without that mask would let a sample attend to unrelated ones.
 * <li>{@code sourceOfToken}: the mix source (index into {@link SftData#sourceNames()}) of the
 *     sample at each position, -1 for padding: the loss at position p is a loss of that source.
 * </ul>
 *
 * @param samples where each sample sits, and which source sample (and epoch of that source) it is
 */
public record SftBatch(int rows, int seqLen, int[] inputs, int[] targets, int[] positions, int[] segments,
                       int[] sourceOfToken, List<Placement> samples) {

    /** No loss at this position: the same value as jllm-train's {@code Layers.IGNORE} (PyTorch's ignore_index). */
    public static final int IGNORE = -100;

    /**
     * @param row     row in the batch
     * @param segment index within the row (its value in {@code segments})
     * @param offset  first position within the row
     * @param length  tokens of the sample
     * @param source  mix source index
     * @param sample  index into that source's sample list ({@link SftData#trainSample}/{@link SftData#validationSample})
     * @param epoch   the source's epoch the draw belongs to (0 for validation)
     */
    public record Placement(int row, int segment, int offset, int length, int source, int sample, int epoch) {}

    public SftBatch {
        samples = List.copyOf(samples);
    }

    /** Positions whose target is not {@link #IGNORE}. */
    public int targetCount() {
        int n = 0;
        for (int t : targets) if (t != IGNORE) n++;
        return n;
    }

    /** Positions with a target that belong to {@code source}. */
    public int targetCount(int source) {
        int n = 0;
        for (int p = 0; p < targets.length; p++) if (targets[p] != IGNORE && sourceOfToken[p] == source) n++;
        return n;
    }

    /** Fraction of positions holding sample tokens rather than padding. */
    public double fill() {
        int n = 0;
        for (int s : segments) if (s >= 0) n++;
        return (double) n / segments.length;
    }
}

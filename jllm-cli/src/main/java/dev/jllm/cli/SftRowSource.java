package dev.jllm.cli;

import dev.jllm.sft.SftBatch;
import dev.jllm.sft.SftData;
import dev.jllm.train.SftRows;
import java.util.List;

/**
 * The SFT data module's batches as the fine-tuner's rows: segments (sample index within a row, −1
 * padding) become the row index where each token's sample starts, which is what the training
 * attention needs. The data's own seed (set from the run's) decides the draws.
 */
final class SftRowSource implements SftRows {
    private final SftData data;
    private final int accum;
    private List<SftBatch> validation;

    static {
        // two modules, one convention: a masked target is PyTorch's ignore_index in both
        if (SftBatch.IGNORE != dev.jllm.train.Layers.IGNORE) throw new AssertionError("SftBatch.IGNORE != Layers.IGNORE");
    }

    SftRowSource(SftData data, int accum) {
        this.data = data;
        this.accum = accum;
    }

    @Override
    public List<String> sources() {
        return data.sourceNames();
    }

    @Override
    public void trainBatch(long seed, int step, int micro, int B, int T, int[] inputs, int[] targets, int[] positions, int[] starts, int[] sourceOfToken) {
        if (seed != data.config().seed()) throw new IllegalStateException("the data was prepared with seed " + data.config().seed() + ", the run uses " + seed);
        copy(data.batch(step, micro, accum), B, T, inputs, targets, positions, starts, sourceOfToken);
    }

    @Override
    public int validationBatches(int B, int T) {
        return validation().size();
    }

    @Override
    public void validationBatch(int i, int B, int T, int[] inputs, int[] targets, int[] positions, int[] starts, int[] sourceOfToken) {
        copy(validation().get(i), B, T, inputs, targets, positions, starts, sourceOfToken);
    }

    private List<SftBatch> validation() {
        if (validation == null) validation = data.validationBatches();
        return validation;
    }

    private static void copy(SftBatch b, int B, int T, int[] inputs, int[] targets, int[] positions, int[] starts, int[] sourceOfToken) {
        if (b.rows() != B || b.seqLen() != T) throw new IllegalStateException("batch of " + b.rows() + "×" + b.seqLen() + ", expected " + B + "×" + T);
        System.arraycopy(b.inputs(), 0, inputs, 0, B * T);
        System.arraycopy(b.targets(), 0, targets, 0, B * T);
        System.arraycopy(b.positions(), 0, positions, 0, B * T);
        System.arraycopy(b.sourceOfToken(), 0, sourceOfToken, 0, B * T);
        int[] seg = b.segments();
        for (int r = 0; r < B; r++) {
            for (int t = 0; t < T; t++) {
                int i = r * T + t;
                starts[i] = seg[i] < 0 ? t : (t > 0 && seg[i - 1] == seg[i] ? starts[i - 1] : t);
            }
        }
    }
}

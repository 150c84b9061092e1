package dev.jllm.train.pref;

import dev.jllm.train.Params;
import dev.jllm.train.Tensors;
import java.util.List;

/**
 * A linear map from the final hidden state (after the output RMSNorm) to one number: the reward
 * model's score head (TRL's {@code score}, a Linear(C, 1)) and PPO's value head ({@code v_head}).
 * s_t = w·h_t + b. Forward and backward side by side.
 */
public final class ScalarHead implements Tensors {
    public final int dim;
    public final float[] w; // (C)
    public final float[] b; // (1)
    private final List<Params.Tensor> tensors;

    public ScalarHead(String name, int dim) {
        this.dim = dim;
        this.w = new float[dim];
        this.b = new float[1];
        this.tensors = List.of(new Params.Tensor(name + ".weight", new long[] {dim, 1}, w), new Params.Tensor(name + ".bias", new long[] {1}, b));
    }

    /** A head with w ~ N(0, 1/C)-ish (seeded, uniform ±1/√C as PyTorch's Linear), b = 0. */
    public static ScalarHead init(String name, int dim, long seed) {
        ScalarHead h = new ScalarHead(name, dim);
        java.util.SplittableRandom rnd = new java.util.SplittableRandom(seed);
        float bound = (float) (1 / Math.sqrt(dim));
        for (int i = 0; i < dim; i++) h.w[i] = (float) ((rnd.nextDouble() * 2 - 1) * bound);
        return h;
    }

    @Override
    public List<Params.Tensor> tensors() {
        return tensors;
    }

    /** s = w·hidden[row·C ..) + b for one position. */
    public double forward(float[] hidden, int position) {
        double s = b[0];
        int o = position * dim;
        for (int i = 0; i < dim; i++) s += (double) w[i] * hidden[o + i];
        return s;
    }

    /** For ds = dJ/ds at {@code position}: dHidden[position] += ds·w, grad.w += ds·h, grad.b += ds. */
    public void backward(double ds, float[] hidden, int position, float[] dHidden, ScalarHead grad) {
        int o = position * dim;
        for (int i = 0; i < dim; i++) {
            dHidden[o + i] += (float) (ds * w[i]);
            grad.w[i] += (float) (ds * hidden[o + i]);
        }
        grad.b[0] += (float) ds;
    }
}

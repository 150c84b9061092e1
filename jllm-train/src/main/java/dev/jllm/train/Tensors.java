package dev.jllm.train;

import java.util.ArrayList;
import java.util.List;

/**
 * A fixed list of named fp32 tensors — the full model ({@link Params}) or a LoRA adapter
 * ({@link LoraParams}) — so the optimizer, clipping and checkpoints treat "what is trained" alike.
 */
public interface Tensors {
    List<Params.Tensor> tensors();

    /** Total number of values. */
    default long size() {
        long n = 0;
        for (Params.Tensor t : tensors()) n += t.size();
        return n;
    }

    default void zero() {
        for (Params.Tensor t : tensors()) java.util.Arrays.fill(t.data(), 0f);
    }

    /** Zero tensors of the same names and shapes (gradients, optimizer moments). */
    default Tensors zerosLike() {
        List<Params.Tensor> out = new ArrayList<>();
        for (Params.Tensor t : tensors()) out.add(new Params.Tensor(t.name(), t.dims(), new float[t.size()]));
        List<Params.Tensor> fixed = List.copyOf(out);
        return () -> fixed;
    }
}

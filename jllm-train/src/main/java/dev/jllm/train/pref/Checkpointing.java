package dev.jllm.train.pref;

import dev.jllm.train.AdamW;
import dev.jllm.train.Checkpoint;
import dev.jllm.train.Tensors;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Consumer;

/**
 * Checkpoints of {@code jllm dpo} and {@code jllm rm train}, as {@code jllm finetune} keeps them
 * ({@link Checkpoint}: the trained tensors — adapter or model, and the reward head — with AdamW's
 * moments and step count). A resumed run repeats the uninterrupted one exactly: the batches and the
 * learning rate are functions of (seed, step), DPO's reference log-probabilities are recomputed
 * (the base does not train), and the logs keep their rows up to the checkpoint.
 *
 * @param file   the checkpoint, or null: none
 * @param every  also save after every N steps (0: only when the run ends or is stopped)
 * @param resume continue from {@code file} if it exists
 */
public record Checkpointing(Path file, int every, boolean resume) {
    public static final Checkpointing NONE = new Checkpointing(null, 0, false);

    public Checkpointing {
        if (every < 0) throw new IllegalArgumentException("--checkpoint-every must be >= 0, got " + every);
        if (file == null && (every > 0 || resume)) throw new IllegalArgumentException("checkpointing needs a checkpoint file");
    }

    /** Loads the checkpoint into {@code params} and {@code adam} when resuming and it exists; returns the step to continue from (0: a fresh run). */
    int restore(Tensors params, AdamW adam, Consumer<String> progress) throws IOException {
        if (!resume || !Files.exists(file)) {
            if (resume && progress != null) progress.accept("no checkpoint at " + file + ": starting from step 0");
            return 0;
        }
        int step = Checkpoint.load(file, params, adam).step();
        if (progress != null) progress.accept("resumed from " + file + " at step " + step);
        return step;
    }

    /** Saves after {@code done} steps when it is a multiple of {@code every} before the last step. */
    void maybeSave(int done, int steps, String what, Tensors params, AdamW adam) throws IOException {
        if (file != null && every > 0 && done % every == 0 && done < steps) Checkpoint.save(file, done, 1f, what, params, adam);
    }

    /** Saves at the end of a run (finished or stopped). */
    void save(int done, String what, Tensors params, AdamW adam) throws IOException {
        if (file != null) Checkpoint.save(file, done, 1f, what, params, adam);
    }
}

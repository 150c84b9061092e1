package dev.jllm.sft.synth;

import java.util.Locale;

/**
 * Which side of the train / held-out line a dialogue is on. Every piece a fact is assembled from
 * (syllables, characters, code alphabets, number lengths, word lists) and every statement/question
 * phrasing belongs to exactly one side, so a held-out dialogue asks the model to copy material it
 * never saw in training.
 */
public enum Split {
    TRAIN, HELDOUT;

    public static Split parse(String s) {
        return switch (s.strip().toLowerCase(Locale.ROOT)) {
            case "train" -> TRAIN;
            case "heldout", "held-out", "test" -> HELDOUT;
            default -> throw new IllegalArgumentException("split must be train or heldout, got '" + s + "'");
        };
    }

    public String id() {
        return this == TRAIN ? "train" : "heldout";
    }
}

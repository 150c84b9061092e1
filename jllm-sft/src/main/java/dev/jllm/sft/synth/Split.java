package dev.jllm.sft.synth;

import java.util.Locale;

/**
 * Which side of the train / held-out line a dialogue is on. Every piece a fact is assembled from
 * (syllables, characters, code alphabets, number lengths, word lists) and every statement/question
 * phrasing belongs to exactly one side, so a held-out dialogue asks the model to copy material it
 * never saw in training.
 */
public enum Split {
    TRAIN, HELDOUT,
    /**
     * Training-side wordings with values drawn at random over whole alphabets (any Latin letters, Cyrillic, Greek, Arabic,
     * kana, Hangul, thousands of Han characters, numbers of any length): a copy drill with nothing to memorise, so the only
     * way to the answer is to copy it. Its values may share pieces with held-out ones by chance, never by design; it is
     * training material, kept in its own file.
     */
    WILD;

    public static Split parse(String s) {
        return switch (s.strip().toLowerCase(Locale.ROOT)) {
            case "train" -> TRAIN;
            case "heldout", "held-out", "test" -> HELDOUT;
            case "wild" -> WILD;
            default -> throw new IllegalArgumentException("split must be train, heldout or wild, got '" + s + "'");
        };
    }

    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }
}

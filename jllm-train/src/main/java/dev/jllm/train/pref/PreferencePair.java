package dev.jllm.train.pref;

/**
 * One comparison as token ids: the same prompt answered twice. {@code chosen[0..chosenPrompt)} is
 * context, the rest the answer (its log-probability is what DPO compares; its last token is where a
 * reward model reads its score); likewise for {@code rejected}.
 *
 * @param margin how strongly the chosen answer is preferred (a margin or human-rank column of the
 *               data), NaN when the data has none; never used by the losses, only by evaluation
 */
public record PreferencePair(int[] chosen, int chosenPrompt, int[] rejected, int rejectedPrompt, double margin) {
    public PreferencePair {
        check(chosen, chosenPrompt, "chosen");
        check(rejected, rejectedPrompt, "rejected");
    }

    private static void check(int[] tokens, int prompt, String what) {
        if (prompt < 1) throw new IllegalArgumentException(what + ": the prompt must hold at least one token (BOS or the template's)");
        if (tokens.length <= prompt) throw new IllegalArgumentException(what + ": the answer is empty (" + tokens.length + " tokens, prompt " + prompt + ")");
    }
}

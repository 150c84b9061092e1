package dev.jllm.sft;

import java.util.List;

/**
 * A {@link PreferenceRecord} → token ids with the model's chat template, as {@link SftRenderer}
 * renders a conversation whose last answer is learned: the prompt is what the model sees before it
 * answers, the answer runs through its end-of-turn token (a reward model reads its score at that last
 * token). Text the template writes after the end-of-turn token is dropped.
 *
 * <p>Too long for {@code maxTokens}: the answer keeps at most max(maxTokens − prompt, maxTokens/2)
 * tokens (cut at its end), then the prompt keeps its first token (BOS or the template's start) and
 * its last tokens — the turn being answered — and loses the middle. Such pairs are counted.
 */
public final class PreferenceEncoder {
    /** Token ids of one answer in context: {@code tokens[0..prompt)} is context. */
    public record Encoded(int[] tokens, int prompt, boolean truncated) {}

    private final SftRenderer renderer;
    private final int maxTokens;

    public PreferenceEncoder(SftRenderer renderer, int maxTokens) {
        if (maxTokens < 4) throw new IllegalArgumentException("--seq must be at least 4, got " + maxTokens);
        this.renderer = renderer;
        this.maxTokens = maxTokens;
    }

    /** The chosen [0] and rejected [1] sequences. */
    public Encoded[] encode(PreferenceRecord r) {
        return new Encoded[] {encode(r.chosen()), encode(r.rejected())};
    }

    public Encoded encode(Conversation c) {
        Conversation last = new Conversation(c.messages(), List.of(c.messages().size() - 1), c.tools(), c.file(), c.line(), c.index());
        SftRenderer.Encoded e = renderer.encode(last).getLast();
        int first = -1, end = -1;
        for (int i = 0; i < e.loss().length; i++) {
            if (!e.loss()[i]) continue;
            if (first < 0) first = i;
            end = i + 1;
        }
        if (first < 1) throw new SftException(c.file(), c.line(), "record " + (c.index() + 1) + ": the answer renders to no tokens after the prompt");
        int prompt = first, answer = end - first;
        int[] t = e.tokens();
        if (end <= maxTokens) return new Encoded(java.util.Arrays.copyOf(t, end), prompt, false);
        int keepAnswer = Math.min(answer, Math.max(maxTokens - prompt, maxTokens / 2));
        int keepPrompt = Math.min(prompt, maxTokens - keepAnswer);
        int[] out = new int[keepPrompt + keepAnswer];
        out[0] = t[0];
        System.arraycopy(t, prompt - (keepPrompt - 1), out, 1, keepPrompt - 1);
        System.arraycopy(t, prompt, out, keepPrompt, keepAnswer);
        return new Encoded(out, keepPrompt, true);
    }
}

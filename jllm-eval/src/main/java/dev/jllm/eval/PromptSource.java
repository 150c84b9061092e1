package dev.jllm.eval;

import java.io.IOException;
import java.util.SplittableRandom;

/**
 * Synthetic user messages of about N tokens: random common English words, different for every
 * (seed, conversation, turn) — so no two requests share a prefix the server could cache — and the
 * same across runs with the same seed, so two scenarios see identical prompts. The words-per-token
 * ratio is measured once on the server's own tokenizer ({@link #calibrate}).
 */
public final class PromptSource {
    private static final String[] WORDS = ("the of and to in is was for on that with as it by at from his her they this be are have an "
            + "or had not but what all were when we there can been one do will their if more no out so said up about into than them "
            + "time only new some could these two may first then other like after over also back people little long most made well way "
            + "down man just world day life good year now house city water story night place every small family under great school "
            + "light found old still around going country something right hand white need work home road name garden river morning "
            + "friend letter music window market summer winter table mountain evening paper village forest bridge island kitchen "
            + "teacher doctor animal flower number answer reason picture question").split(" ");

    private final long seed;
    private final double tokensPerWord;

    public PromptSource(long seed, double tokensPerWord) {
        if (!(tokensPerWord > 0)) throw new IllegalArgumentException("tokens per word must be > 0, got " + tokensPerWord);
        this.seed = seed;
        this.tokensPerWord = tokensPerWord;
    }

    /**
     * Measures tokens per word as the difference between two prompts' token counts, which cancels
     * the chat template's fixed overhead. The longer probe stays short (24 words) so that tiny
     * models with a 128-token context can be measured too.
     */
    public static PromptSource calibrate(OpenAiTarget target, String model, long seed) throws IOException {
        SplittableRandom r = new SplittableRandom(seed ^ 0x5DEECE66DL);
        int shortWords = 4, longWords = 24;
        int a = target.promptTokens(model, words(r, shortWords));
        int b = target.promptTokens(model, words(r, longWords));
        double perWord = (double) (b - a) / (longWords - shortWords);
        return new PromptSource(seed, perWord > 0 ? perWord : 1.0);
    }

    public double tokensPerWord() {
        return tokensPerWord;
    }

    public int wordsFor(int tokens) {
        return Math.max(1, (int) Math.round(tokens / tokensPerWord));
    }

    /** The user message of one turn of one conversation: about {@code tokens} tokens. */
    public String message(int conversation, int turn, int tokens) {
        long mixed = seed * 0x9E3779B97F4A7C15L + conversation * 0xBF58476D1CE4E5B9L + turn * 0x94D049BB133111EBL;
        return words(new SplittableRandom(mixed), wordsFor(tokens));
    }

    private static String words(SplittableRandom r, int n) {
        StringBuilder b = new StringBuilder(n * 7);
        for (int i = 0; i < n; i++) {
            if (i > 0) b.append(' ');
            b.append(WORDS[r.nextInt(WORDS.length)]);
        }
        return b.toString();
    }
}

package dev.jllm.engine;

import dev.jllm.tokenizer.Tokenizer;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.WeakHashMap;

/**
 * A length budget for an answer in Unicode code points (jllm's {@code max_output_chars}): the
 * answer never exceeds it, ends at the last sentence boundary that fits when it would, and the
 * model is steered toward ending before that happens.
 *
 * <p>Two parts, both in the {@link Slot} (so the server, {@code jllm generate} and every API get the
 * same behaviour):
 * <ul>
 *   <li><b>Steering</b> (a per-request logits processor): in the last {@link #STEER_FROM} part of the
 *       budget, end-of-generation tokens and tokens that end a sentence get a bonus that grows
 *       linearly to {@link #SENTENCE_BONUS} / {@link #EOG_BONUS} at the budget; right after a
 *       sentence boundary the end-of-generation bonus is the larger one, so the model prefers to
 *       stop cleanly over starting a sentence it cannot finish. Applied to the logits before the
 *       token mask and the sampler (a mask's bans stay bans; {@code logprobs} report the raw model).</li>
 *   <li><b>The cut</b>: with a budget, streamed text is released only up to the last sentence
 *       boundary (text after it may still have to go); when the text would pass the budget the
 *       answer ends at the last boundary within it (finish reason {@code length}, {@code cut}). With
 *       no boundary within the budget it ends at the last whitespace, else at exactly the budget.</li>
 * </ul>
 *
 * <p>A sentence boundary is the position after one of 。！？.!? followed by whitespace, the end of
 * the text, or any character for the CJK marks; and after a newline.
 *
 * @param maxChars the most code points the answer may have, at least 1
 */
public record CharBudget(int maxChars) {
    /** Steering starts when this fraction of the budget is used. */
    static final double STEER_FROM = 0.7;
    static final float SENTENCE_BONUS = 6f;
    static final float EOG_BONUS = 10f;

    public CharBudget {
        if (maxChars < 1) throw new IllegalArgumentException("the character budget must be >= 1, got " + maxChars);
    }

    /** What happened to a budgeted answer: its length in code points and whether the budget cut it. */
    public record Outcome(int budgetChars, int outputChars, boolean cut) {}

    private static final String CJK_ENDS = "。！？";
    private static final String ENDS = ".!?";

    /** Whether the text has a sentence boundary right before char index {@code i} (0 < i ≤ length). */
    static boolean boundaryBefore(CharSequence s, int i) {
        char c = s.charAt(i - 1);
        if (c == '\n' || CJK_ENDS.indexOf(c) >= 0) return true;
        return ENDS.indexOf(c) >= 0 && (i == s.length() || Character.isWhitespace(s.charAt(i)));
    }

    /** The char index after the last boundary in {@code s[0, limit)}, or 0. */
    static int lastBoundary(CharSequence s, int limit) {
        for (int i = Math.min(limit, s.length()); i > 0; i--) if (boundaryBefore(s, i)) return i;
        return 0;
    }

    /**
     * Where an answer that passed the budget ends: the char index after the last boundary within the
     * first {@code maxChars} code points (a boundary at the budget's edge counts even if more text follows),
     * else the last whitespace, else exactly the budget.
     */
    int cutAt(String s) {
        int limit = s.offsetByCodePoints(0, Math.min(maxChars, s.codePointCount(0, s.length())));
        for (int i = limit; i > 0; i--) {
            char c = s.charAt(i - 1);
            if (i == limit && (c == '\n' || CJK_ENDS.indexOf(c) >= 0 || ENDS.indexOf(c) >= 0)) return i;
            if (boundaryBefore(s, i)) return i;
        }
        for (int i = limit; i > 1; i--) if (Character.isWhitespace(s.charAt(i - 1))) return i - 1;
        return limit;
    }

    /** Adds the steering bonuses to the logits, given the code points used so far and whether the text ends at a boundary. */
    void steer(float[] logits, Tokenizer tok, int used, boolean atBoundary) {
        double from = STEER_FROM * maxChars;
        if (used < from) return;
        float r = (float) Math.min(1.0, (used - from) / Math.max(1.0, maxChars - from));
        float eog = (atBoundary ? EOG_BONUS : SENTENCE_BONUS / 2) * r, sentence = SENTENCE_BONUS * r;
        Ids ids = ids(tok);
        for (int id : ids.eog) if (id < logits.length) logits[id] += eog;
        for (int id : ids.sentenceEnds) if (id < logits.length) logits[id] += sentence;
    }

    /** The vocabulary's end-of-generation tokens and tokens whose text ends a sentence; computed once per tokenizer. */
    private record Ids(int[] eog, int[] sentenceEnds) {}

    private static final Map<Tokenizer, Ids> IDS = new WeakHashMap<>();

    private static Ids ids(Tokenizer tok) {
        synchronized (IDS) {
            return IDS.computeIfAbsent(tok, CharBudget::scan);
        }
    }

    private static Ids scan(Tokenizer tok) {
        var eog = new java.util.ArrayList<Integer>();
        var ends = new java.util.ArrayList<Integer>();
        for (int id = 0; id < tok.vocabSize(); id++) {
            if (tok.isEog(id)) {
                eog.add(id);
                continue;
            }
            if (tok.tokenType(id).isSpecial()) continue;
            String s = new String(tok.tokenBytes(id), StandardCharsets.UTF_8).stripTrailing();
            if (s.isEmpty()) {
                if (new String(tok.tokenBytes(id), StandardCharsets.UTF_8).indexOf('\n') >= 0) ends.add(id);
                continue;
            }
            char c = s.charAt(s.length() - 1);
            if (CJK_ENDS.indexOf(c) >= 0 || ENDS.indexOf(c) >= 0) ends.add(id);
        }
        return new Ids(eog.stream().mapToInt(Integer::intValue).toArray(), ends.stream().mapToInt(Integer::intValue).toArray());
    }
}

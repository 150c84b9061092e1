package dev.jllm.engine;

import dev.jllm.model.Sampler;
import dev.jllm.model.SamplingParams;
import dev.jllm.tokenizer.StreamingDecoder;
import dev.jllm.tokenizer.Tokenizer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * One sequence being decoded — the engine's one decode loop body. Whoever owns the forward pass
 * (the {@link Scheduler} for many sequences per step, the {@link Generator} for one) feeds each
 * step's logits to {@link #next}; the slot applies the request's {@link TokenMask}, samples, checks
 * for an end-of-generation token, decodes the token to text (UTF-8 sequences split across tokens are
 * completed first), holds back text that may still turn into a stop string, and decides the
 * {@link FinishReason}. It never touches the model or the KV cache.
 *
 * <pre>
 *   tokens: [ prompt (promptLength) | generated ... ]   position() = index of the token to feed next
 * </pre>
 */
public final class Slot {
    private final Tokenizer tok;
    private final SamplingParams params;
    private final TokenMask mask;
    private final Sampler sampler;
    private final StreamingDecoder decoder;
    private final StopMatcher stop;
    private final int promptLength;
    private final int maxNew;
    private final int[] tokens; // prompt, then every generated token except a final end-of-generation token
    private int generated;      // tokens sampled, an end-of-generation token included
    private FinishReason finish;
    private int eogToken = -1;
    private final Logprobs.Request logprobs; // null: none
    private final List<Logprobs.Token> tokenLogprobs = new ArrayList<>();
    private int logprobsTaken;
    private final CharBudget budget;          // null: none
    private boolean budgetCut;

    /**
     * @param prompt        token ids, at least one, fewer than {@code contextLength}
     * @param contextLength tokens the sequence may hold at most: the reply gets
     *                      {@code min(maxTokens, contextLength - prompt.length)}
     * @param mask          a constraint on the next token, or null
     */
    public Slot(Tokenizer tok, int[] prompt, SamplingParams params, int contextLength, TokenMask mask) {
        this(tok, prompt, params, contextLength, mask, null, null);
    }

    /**
     * @param logprobs the log-probabilities of each generated token to keep ({@link #takeLogprobs}), or null
     * @param budget   a length budget in characters, or null
     */
    public Slot(Tokenizer tok, int[] prompt, SamplingParams params, int contextLength, TokenMask mask, Logprobs.Request logprobs,
                CharBudget budget) {
        this.logprobs = logprobs;
        this.budget = budget;
        this.tok = Objects.requireNonNull(tok, "tokenizer");
        this.params = Objects.requireNonNull(params, "params");
        if (prompt.length == 0) throw new IllegalArgumentException("empty prompt: nothing to continue (the tokenizer produced no tokens)");
        if (prompt.length >= contextLength) {
            throw new IllegalArgumentException("the prompt has " + prompt.length + " tokens; the model's context is " + contextLength + " tokens");
        }
        this.mask = mask;
        this.promptLength = prompt.length;
        this.maxNew = Math.min(params.maxTokens(), contextLength - prompt.length);
        this.tokens = Arrays.copyOf(prompt, prompt.length + maxNew);
        this.sampler = new Sampler(params);
        for (int t : prompt) sampler.accept(t); // repetition penalties see the prompt, as llama.cpp's
        this.decoder = new StreamingDecoder(tok);
        this.stop = new StopMatcher(params.stop(), budget != null);
    }

    /**
     * Samples the next token from the logits of the sequence's last position and returns the text that
     * became final (often "", never part of a stop string). When the slot finishes here the returned
     * text includes everything that was held back.
     */
    public String next(float[] logits) {
        if (finish != null) throw new IllegalStateException("the slot already finished (" + finish + ")");
        float[] raw = logprobs != null ? logits.clone() : null; // the model's own distribution, before anything below changes it
        if (budget != null) budget.steer(logits, tok, stop.codePoints(), stop.atBoundary());
        if (mask != null) mask.apply(logits);
        int t = sampler.sample(logits);
        sampler.accept(t);
        if (mask != null) mask.accept(t);
        generated++;
        if (!params.ignoreEos() && tok.isEog(t)) {
            eogToken = t;
            return end(FinishReason.EOG);
        }
        if (raw != null) tokenLogprobs.add(Logprobs.of(raw, t, logprobs.top()));
        tokens[promptLength + generated - 1] = t;
        if (stop.append(decoder.accept(t))) return end(FinishReason.STOP_STRING);
        if (overBudget()) return end(FinishReason.LENGTH);
        if (generated == maxNew) return end(FinishReason.LENGTH);
        return stop.drain(false);
    }

    /** Ends the slot: completes a pending UTF-8 sequence (which may still form a stop string or pass the budget) and releases all held text. */
    private String end(FinishReason reason) {
        if (!stop.stopped() && !budgetCut && stop.append(decoder.flush())) reason = FinishReason.STOP_STRING;
        if (!budgetCut && overBudget()) reason = FinishReason.LENGTH;
        finish = reason;
        return stop.drain(true);
    }

    /** If the text passed the budget: cuts it back to the last sentence boundary that fits and returns true. */
    private boolean overBudget() {
        if (budget == null || budgetCut || stop.codePoints() <= budget.maxChars()) return false;
        stop.truncate(budget.cutAt(stop.text()));
        budgetCut = true;
        return true;
    }

    /** The length budget's outcome (code points of the final text, whether it was cut), or null without a budget. */
    public CharBudget.Outcome budgetOutcome() {
        return budget == null ? null : new CharBudget.Outcome(budget.maxChars(), stop.codePoints(), budgetCut);
    }

    /** Log-probabilities of the generated tokens not yet taken (in order; none for a final end-of-generation token), or an empty list. */
    public List<Logprobs.Token> takeLogprobs() {
        if (logprobsTaken == tokenLogprobs.size()) return List.of();
        List<Logprobs.Token> l = List.copyOf(tokenLogprobs.subList(logprobsTaken, tokenLogprobs.size()));
        logprobsTaken = tokenLogprobs.size();
        return l;
    }

    /** Log-probabilities of every generated token but a final end-of-generation token, or null when not requested. */
    public List<Logprobs.Token> logprobs() {
        return logprobs == null ? null : List.copyOf(tokenLogprobs);
    }

    public boolean finished() {
        return finish != null;
    }

    /** Why it ended, or null while running. */
    public FinishReason finishReason() {
        return finish;
    }

    /** Position of the token to feed at the next step (the last one sampled). */
    public int position() {
        return promptLength + generated - 1;
    }

    /** The token to feed at the next step. */
    public int lastToken() {
        return tokens[position()];
    }

    /** Token {@code i} of the sequence (prompt, then generated). */
    int token(int i) {
        return tokens[i];
    }

    public int promptLength() {
        return promptLength;
    }

    /** The most tokens this slot may generate. */
    public int maxNew() {
        return maxNew;
    }

    /** Tokens sampled so far, a final end-of-generation token included (OpenAI's completion_tokens). */
    public int generated() {
        return generated;
    }

    /** The text so far, cut before a stop string. */
    public String text() {
        return stop.text();
    }

    /**
     * What the model saw and said: the prompt and every generated token except a final
     * end-of-generation token, so a next turn can start from the same ids.
     */
    public int[] sequence() {
        int n = promptLength + generated - (finish == FinishReason.EOG ? 1 : 0);
        return Arrays.copyOf(tokens, n);
    }

    /** The end-of-generation token that ended this slot (finish reason EOG), else -1. */
    public int endToken() {
        return finish == FinishReason.EOG ? eogToken : -1;
    }

    /** The generated tokens (an end-of-generation token included, as sampled). */
    public int[] generatedTokens() {
        int[] g = Arrays.copyOfRange(tokens, promptLength, promptLength + generated);
        if (finish == FinishReason.EOG) g[generated - 1] = eogToken;
        return g;
    }
}

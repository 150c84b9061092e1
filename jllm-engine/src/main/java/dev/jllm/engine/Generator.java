package dev.jllm.engine;

import dev.jllm.model.Batch;
import dev.jllm.model.KvCacheManager;
import dev.jllm.model.LoraWeights;
import dev.jllm.model.SamplingParams;
import dev.jllm.model.Transformer;
import dev.jllm.tokenizer.Tokenizer;
import java.util.Arrays;

/**
 * Single-sequence generation ({@code jllm generate}, {@code jllm chat}): the scheduler's decode loop
 * with a batch of one — prefill the new part of the prompt, then feed each step's logits to the same
 * {@link Slot} the server uses (sampling, end-of-generation, stop strings held back, finish reason),
 * so the CLI and the server cannot drift apart.
 */
public final class Generator {

    /** Receives text as it becomes final (never part of a stop string). */
    @FunctionalInterface
    public interface Listener {
        void onText(String text);
    }

    /**
     * @param tokens   the generated tokens, an end-of-generation token included
     * @param sequence the prompt and the generated tokens but a final end-of-generation token (what the
     *                 model saw and said; the next turn of a chat starts from it)
     */
    public record Result(int[] tokens, String text, FinishReason finish, int promptTokens, int[] sequence, double prefillSeconds,
                         double decodeSeconds) {
        public double decodeTokensPerSecond() {
            return tokens.length > 1 ? (tokens.length - 1) / decodeSeconds : 0;
        }

        public double prefillTokensPerSecond() {
            return promptTokens / prefillSeconds;
        }
    }

    private final Transformer tr;
    private final Tokenizer tok;
    private final LoraWeights adapter;

    public Generator(Transformer tr, Tokenizer tok) {
        this(tr, tok, null);
    }

    /** @param adapter a LoRA adapter applied at run time (not merged), or null */
    public Generator(Transformer tr, Tokenizer tok, LoraWeights adapter) {
        this.tr = tr;
        this.tok = tok;
        this.adapter = adapter;
    }

    /** Generates from a fresh sequence, freed afterwards. */
    public Result generate(int[] prompt, SamplingParams sp, Listener listener) {
        return generate(prompt, sp, null, listener);
    }

    /** Generates from a fresh sequence under a constraint on each next token ({@link TokenMask}, or null), freed afterwards. */
    public Result generate(int[] prompt, SamplingParams sp, TokenMask mask, Listener listener) {
        KvCacheManager kv = tr.cache();
        int seq = kv.allocate();
        try {
            return continueSequence(seq, prompt, 0, sp, mask, listener);
        } finally {
            kv.free(seq);
        }
    }

    /**
     * Generates on an existing sequence whose cache already holds {@code prompt[0..cached)} (a
     * multi-turn chat keeps its sequence: only the new part of the prompt is prefilled). The
     * sequence is kept; afterwards its cache holds the prompt and all generated tokens but the last.
     */
    public Result continueSequence(int seq, int[] prompt, int cached, SamplingParams sp, Listener listener) {
        return continueSequence(seq, prompt, cached, sp, null, listener);
    }

    /** As {@link #continueSequence(int, int[], int, SamplingParams, Listener)}, the slot applying {@code mask} (or none) before each sample, as the scheduler's does. */
    public Result continueSequence(int seq, int[] prompt, int cached, SamplingParams sp, TokenMask mask, Listener listener) {
        Slot slot = new Slot(tok, prompt, sp, tr.config().contextLength(), mask);
        KvCacheManager kv = tr.cache();
        if (cached < 0 || cached > Math.min(kv.length(seq), prompt.length - 1)) {
            throw new IllegalArgumentException("cached prefix " + cached + " is outside 0.." + Math.min(kv.length(seq), prompt.length - 1));
        }
        long t0 = System.nanoTime();
        // [1, V]: the logits of the prompt's last position
        float[] logits = tr.forward(Batch.of(seq, Arrays.copyOfRange(prompt, cached, prompt.length), cached, Batch.Logits.LAST, adapter)).get(0)[0];
        long t1 = System.nanoTime();
        while (true) {
            String text = slot.next(logits);
            if (!text.isEmpty() && listener != null) listener.onText(text);
            if (slot.finished()) break;
            logits = tr.forward(Batch.of(seq, new int[] {slot.lastToken()}, slot.position(), Batch.Logits.LAST, adapter)).get(0)[0];
        }
        long t2 = System.nanoTime();
        return new Result(slot.generatedTokens(), slot.text(), slot.finishReason(), prompt.length, slot.sequence(), (t1 - t0) / 1e9,
                (t2 - t1) / 1e9);
    }
}

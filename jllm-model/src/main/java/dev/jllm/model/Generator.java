package dev.jllm.model;

import dev.jllm.tokenizer.StreamingDecoder;
import dev.jllm.tokenizer.Tokenizer;
import java.util.Arrays;
import java.util.List;

/**
 * Single-sequence generation on top of the batched engine (a batch of one): prefill the prompt,
 * then sample, stream text, and stop on an end-of-generation token, a stop string or max tokens.
 *
 * <p>Stop strings are matched on the decoded text; text that could still turn into a stop string is
 * held back from the stream until it can't, so a stop string never reaches the listener.
 */
public final class Generator {

    /** Receives text as it becomes final. */
    @FunctionalInterface
    public interface Listener {
        void onText(String text);
    }

    public enum Finish { STOP, LENGTH, EOS }

    public record Result(int[] tokens, String text, Finish finish, int promptTokens, double prefillSeconds, double decodeSeconds) {
        public double decodeTokensPerSecond() {
            return tokens.length > 1 ? (tokens.length - 1) / decodeSeconds : 0;
        }

        public double prefillTokensPerSecond() {
            return promptTokens / prefillSeconds;
        }
    }

    private final Transformer tr;
    private final Tokenizer tok;

    public Generator(Transformer tr, Tokenizer tok) {
        this.tr = tr;
        this.tok = tok;
    }

    /** Generates from a fresh sequence, freed afterwards. */
    public Result generate(int[] prompt, SamplingParams sp, Listener listener) {
        KvCacheManager kv = tr.cache();
        int seq = kv.allocate();
        try {
            return continueSequence(seq, prompt, 0, sp, listener);
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
        int ctx = tr.config().contextLength();
        if (prompt.length == 0) throw new IllegalArgumentException("empty prompt: nothing to continue (the tokenizer produced no tokens)");
        if (prompt.length >= ctx) {
            throw new IllegalArgumentException("the prompt has " + prompt.length + " tokens; the model's context is " + ctx + " tokens");
        }
        KvCacheManager kv = tr.cache();
        if (cached < 0 || cached > Math.min(kv.length(seq), prompt.length - 1)) {
            throw new IllegalArgumentException("cached prefix " + cached + " is outside 0.." + Math.min(kv.length(seq), prompt.length - 1));
        }
        int maxNew = Math.min(sp.maxTokens(), ctx - prompt.length);
        Sampler sampler = new Sampler(sp);
        for (int t : prompt) sampler.accept(t);
        StreamingDecoder dec = new StreamingDecoder(tok);
        StringBuilder text = new StringBuilder();
        int emitted = 0;
        int[] out = new int[maxNew];
        int n = 0;
        Finish finish = Finish.LENGTH;
        {
            long t0 = System.nanoTime();
            int[] fresh = Arrays.copyOfRange(prompt, cached, prompt.length);
            float[] logits = tr.forward(Batch.of(seq, fresh, cached, Batch.Logits.LAST)).get(0)[0];
            long t1 = System.nanoTime();
            int pos = prompt.length;
            while (n < maxNew) {
                int next = sampler.sample(logits);
                sampler.accept(next);
                out[n++] = next;
                if (!sp.ignoreEos() && tok.isEog(next)) {
                    finish = Finish.EOS;
                    break;
                }
                text.append(dec.accept(next));
                int stopAt = findStop(text, sp.stop());
                if (stopAt >= 0) {
                    text.setLength(stopAt);
                    finish = Finish.STOP;
                    break;
                }
                int safe = text.length() - holdBack(text, sp.stop());
                if (safe > emitted && listener != null) {
                    listener.onText(text.substring(emitted, safe));
                    emitted = safe;
                }
                if (n == maxNew) break;
                logits = tr.forward(Batch.of(seq, new int[] {next}, pos++, Batch.Logits.LAST)).get(0)[0];
            }
            if (finish != Finish.STOP) text.append(dec.flush());
            if (listener != null && text.length() > emitted) listener.onText(text.substring(emitted));
            long t2 = System.nanoTime();
            return new Result(Arrays.copyOf(out, n), text.toString(), finish, prompt.length, (t1 - t0) / 1e9, (t2 - t1) / 1e9);
        }
    }

    private static int findStop(CharSequence text, List<String> stops) {
        int best = -1;
        for (String s : stops) {
            int i = text.toString().indexOf(s);
            if (i >= 0 && (best < 0 || i < best)) best = i;
        }
        return best;
    }

    /** Length of the longest suffix of text that is a proper prefix of some stop string. */
    private static int holdBack(CharSequence text, List<String> stops) {
        int hold = 0;
        for (String s : stops) {
            for (int k = Math.min(s.length() - 1, text.length()); k > hold; k--) {
                if (text.subSequence(text.length() - k, text.length()).toString().equals(s.substring(0, k))) {
                    hold = k;
                    break;
                }
            }
        }
        return hold;
    }
}

package dev.jllm.tokenizer;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Turns generated token ids into text one token at a time without ever splitting a UTF-8 character.
 * Bytes of an incomplete character (e.g. the first of three byte-fallback tokens {@code <0xE4>
 * <0xBD> <0xA0>} for "你") are held back until the character is complete.
 *
 * <p>Example: {@code accept(<0xE4>)} → "", {@code accept(<0xBD>)} → "", {@code accept(<0xA0>)} → "你".
 * {@link #flush()} at the end of generation returns what is left, with each dangling partial
 * character replaced by U+FFFD.
 *
 * <p>Pieces are appended as llama.cpp's server streams them ({@code common_token_to_piece}): no
 * leading-space stripping, control tokens omitted unless {@code renderSpecial}. Bytes that can never
 * become valid (a stray continuation byte) are emitted at once as U+FFFD, so valid input never
 * yields U+FFFD. One instance per stream; not thread-safe.
 */
public final class StreamingDecoder {
    private final Tokenizer tokenizer;
    private final boolean renderSpecial;
    private byte[] pending = new byte[8];
    private int n;

    public StreamingDecoder(Tokenizer tokenizer) {
        this(tokenizer, false);
    }

    public StreamingDecoder(Tokenizer tokenizer, boolean renderSpecial) {
        this.tokenizer = tokenizer;
        this.renderSpecial = renderSpecial;
    }

    /** Adds one token; returns the text completed by it (possibly empty). */
    public String accept(int id) {
        if (!renderSpecial && tokenizer.tokenType(id).isSpecial()) return "";
        byte[] b = tokenizer.tokenBytes(id);
        if (n + b.length > pending.length) pending = Arrays.copyOf(pending, Math.max(n + b.length, pending.length * 2));
        System.arraycopy(b, 0, pending, n, b.length);
        n += b.length;
        int complete = completePrefix(pending, n);
        if (complete == 0) return "";
        String s = new String(pending, 0, complete, StandardCharsets.UTF_8);
        System.arraycopy(pending, complete, pending, 0, n - complete);
        n -= complete;
        return s;
    }

    /** Ends the stream: returns any held-back bytes (partial characters become U+FFFD) and resets. */
    public String flush() {
        String s = new String(pending, 0, n, StandardCharsets.UTF_8);
        n = 0;
        return s;
    }

    /** True if bytes are held back waiting for the rest of a character. */
    public boolean hasPending() {
        return n > 0;
    }

    /**
     * Length of the prefix that can be decoded now: everything except a trailing lead byte plus
     * fewer continuation bytes than it announces.
     */
    static int completePrefix(byte[] b, int len) {
        // a UTF-8 character is at most 4 bytes, so only the last 3 can be an unfinished one
        for (int back = 1; back <= Math.min(3, len); back++) {
            int x = b[len - back] & 0xff;
            if ((x & 0xC0) == 0x80) continue; // continuation byte: keep looking for its lead
            int need = x >= 0xF0 && x <= 0xF4 ? 4 : x >= 0xE0 ? (x <= 0xEF ? 3 : 0) : x >= 0xC2 ? 2 : 0;
            return need > back ? len - back : len;
        }
        return len;
    }
}

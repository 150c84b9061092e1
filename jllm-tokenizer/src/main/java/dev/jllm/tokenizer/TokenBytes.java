package dev.jllm.tokenizer;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.function.Function;
import java.util.function.IntPredicate;

/**
 * Precomputes the bytes each token contributes when decoding, following llama.cpp's
 * {@code token_to_piece} per token type: normal tokens through the model's own rule ('▁' → space
 * for SentencePiece, byte characters → bytes for byte-level BPE), {@code <0xXX>} byte tokens → that
 * one byte, control/unknown/user-defined tokens → their text as is, unused/undefined → nothing.
 *
 * <p>Example: SentencePiece {@code "▁Once"} → {@code " Once"}; {@code "<0xE4>"} → byte 0xE4;
 * byte-level {@code "Ġworld"} → {@code " world"}; control {@code "<|im_end|>"} → {@code "<|im_end|>"}.
 */
final class TokenBytes {
    private static final byte[] NONE = new byte[0];

    private TokenBytes() {}

    static byte[][] compute(Vocabulary v, Function<String, byte[]> normal) {
        byte[][] out = new byte[v.size()][];
        for (int id = 0; id < v.size(); id++) {
            String p = v.piece(id);
            out[id] = switch (v.type(id)) {
                case CONTROL, UNKNOWN, USER_DEFINED -> p.getBytes(StandardCharsets.UTF_8);
                case NORMAL -> normal.apply(p);
                case BYTE -> byteToken(p);
                case UNUSED, UNDEFINED -> NONE;
            };
        }
        return out;
    }

    /** The byte of a {@code <0xXX>} token, or nothing if the text is not of that form. */
    static byte[] byteToken(String p) {
        if (p.length() == 6 && p.startsWith("<0x") && p.endsWith(">")) {
            int hi = Character.digit(p.charAt(3), 16);
            int lo = Character.digit(p.charAt(4), 16);
            if (hi >= 0 && lo >= 0) return new byte[] {(byte) (hi * 16 + lo)};
        }
        return NONE;
    }

    /**
     * Concatenates token bytes and decodes them as UTF-8 (malformed bytes → U+FFFD).
     * {@code stripSpace} says at which positions one leading space of the token is dropped.
     */
    static String join(Vocabulary v, byte[][] bytes, int[] ids, boolean renderSpecial, IntPredicate stripSpace) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(ids.length * 4);
        for (int i = 0; i < ids.length; i++) {
            int id = v.check(ids[i]);
            if (!renderSpecial && v.type(id).isSpecial()) continue;
            byte[] b = bytes[id];
            int from = (b.length > 0 && b[0] == ' ' && stripSpace.test(i)) ? 1 : 0;
            out.write(b, from, b.length - from);
        }
        return out.toString(StandardCharsets.UTF_8);
    }
}

package dev.jllm.tokenizer;

/**
 * What kind of vocabulary entry a token is. The numeric codes are the ones GGUF stores in
 * {@code tokenizer.ggml.token_type} (llama.cpp's {@code llama_token_type}).
 *
 * <p>Example: in a LLaMA vocabulary id 0 {@code <unk>} is {@link #UNKNOWN}, id 1 {@code <s>} is
 * {@link #CONTROL}, ids 3..258 {@code <0x00>..<0xFF>} are {@link #BYTE} and the rest are
 * {@link #NORMAL}. The type decides how a token is matched in text and rendered when decoding:
 * control and unknown tokens are only recognised in text when special parsing is requested and
 * are not rendered by default; user-defined tokens are always recognised and always rendered.
 */
public enum TokenType {
    UNDEFINED(0), NORMAL(1), UNKNOWN(2), CONTROL(3), USER_DEFINED(4), UNUSED(5), BYTE(6);

    private final int code;

    TokenType(int code) {
        this.code = code;
    }

    /** The GGUF code of this type. */
    public int code() {
        return code;
    }

    /** Control and unknown tokens: hidden when decoding and only parsed on request (llama.cpp's "special" attributes). */
    public boolean isSpecial() {
        return this == CONTROL || this == UNKNOWN;
    }

    /** The type for a GGUF code; unknown codes map to {@link #UNDEFINED} as llama.cpp does. */
    public static TokenType fromCode(int code) {
        for (TokenType t : values()) {
            if (t.code == code) return t;
        }
        return UNDEFINED;
    }
}

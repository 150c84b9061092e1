package dev.jllm.tokenizer;

/**
 * Text ↔ token ids for a language model. Implementations are immutable and thread-safe.
 *
 * <p>Example (stories260K, a LLaMA SentencePiece vocabulary):
 * <pre>{@code
 * Tokenizer tok = GgufTokenizerLoader.load(gguf);
 * int[] ids = tok.encode("Once upon a time", true, false); // [1, 403, 407, 261, 378]: BOS + "▁Once" "▁upon" "▁a" "▁time"
 * tok.decode(ids);                                          // " Once upon a time" (llama.cpp keeps the space after BOS)
 * tok.isEog(2);                                             // true: </s>
 * }</pre>
 *
 * <p>{@code parseSpecial} decides whether control tokens written in the text (e.g. {@code <|im_start|>},
 * {@code <s>}) become their ids. It should be false for user-supplied text so that a user cannot
 * inject chat roles; chat templates that build the prompt themselves pass true. User-defined
 * tokens (non-special added tokens) are always matched, as in llama.cpp and HF tokenizers.
 */
public sealed interface Tokenizer permits SentencePieceBpe, ByteLevelBpe {

    /**
     * @param addSpecial   add BOS/EOS as the vocabulary asks ({@link Vocabulary#addBos()}, {@link Vocabulary#addEos()})
     * @param parseSpecial recognise control-token strings in the text
     */
    int[] encode(String text, boolean addSpecial, boolean parseSpecial);

    /**
     * A rendered chat prompt: control tokens are parsed as with {@code encode(text, addSpecial, true)}
     * except that none may cover a char whose index is set in {@code literal} — the text clients wrote
     * (message contents), which stays plain text even where it spells {@code <|im_start|>}, as
     * OpenAI's API treats it. Fragments between the template's control tokens are tokenized whole, so
     * such content gets the ids a plain-text encoding gives it.
     */
    int[] encode(String text, boolean addSpecial, java.util.BitSet literal);

    /** Plain-text encoding: no BOS/EOS, no special-token parsing. */
    default int[] encode(String text) {
        return encode(text, false, false);
    }

    /**
     * The text of a whole sequence, as llama.cpp's {@code llama_detokenize(remove_special=false,
     * unparse_special=renderSpecial)}: control/unknown tokens are left out unless
     * {@code renderSpecial}; bytes are joined before UTF-8 decoding, so byte-fallback tokens
     * combine into characters; invalid bytes become U+FFFD. SentencePiece vocabularies with
     * add_space_prefix drop one leading space of the first token when that first token is text
     * (not BOS) — see {@link SentencePieceBpe} for the exact rule.
     */
    String decode(int[] ids, boolean renderSpecial);

    /** {@link #decode(int[], boolean)} without control tokens. */
    default String decode(int[] ids) {
        return decode(ids, false);
    }

    /**
     * The raw bytes a token contributes to decoded text: {@code <0xE4>} → {0xE4}, SentencePiece
     * {@code "▁the"} → {@code " the"}, byte-level {@code "Ġthe"} → {@code " the"}, control tokens →
     * their text. A fresh copy each call.
     */
    byte[] tokenBytes(int id);

    /** The vocabulary (pieces, types, scores, special ids). */
    Vocabulary vocabulary();

    default int vocabSize() {
        return vocabulary().size();
    }

    /** Beginning-of-sequence id, or -1. */
    default int bos() {
        return vocabulary().bos();
    }

    /**
     * The id to put first in each perplexity chunk, or -1: BOS when the vocabulary adds one (add_bos_token), as
     * llama-perplexity replaces a chunk's first token only then. A vocabulary without add_bos (Qwen2's, jllm's
     * trained BPE) keeps the text's own first token: forcing BOS there changed a chat model's PPL by 1.3 %.
     */
    default int chunkBos() {
        return vocabulary().addBos() ? vocabulary().bos() : -1;
    }

    /** End-of-sequence id, or -1. */
    default int eos() {
        return vocabulary().eos();
    }

    /** True for tokens that end generation: EOS, EOT, {@code <|im_end|>}, {@code <|eot_id|>}, ... */
    default boolean isEog(int id) {
        return vocabulary().isEog(id);
    }

    /** The token as stored in the vocabulary, e.g. {@code "▁Once"}, {@code "Ġworld"}, {@code "<0x0A>"}. */
    default String piece(int id) {
        return vocabulary().piece(id);
    }

    default TokenType tokenType(int id) {
        return vocabulary().type(id);
    }
}

package dev.jllm.sft;

import dev.jllm.tokenizer.SentencePieceBpe;
import dev.jllm.tokenizer.TokenType;
import dev.jllm.tokenizer.Tokenizer;
import java.util.Arrays;

/**
 * Tokenizes a rendered sample piece by piece, so that a loss span starts and ends exactly on a token
 * boundary, while giving each piece the tokens it would get inside the whole text wherever the
 * tokenizer's rules depend on position:
 *
 * <ul>
 * <li><b>BOS</b> as the vocabulary asks ({@code add_bos}), never doubled when the template writes
 *     {@code bos_token} itself (Llama 3's templates do) — the rule of {@code PromptBuilder.encodeTemplate}.
 * <li><b>SentencePiece's space prefix</b> ({@code add_space_prefix}, llama.cpp's rule): '▁' goes before
 *     the text that starts the input or follows a control/user-defined token, not before every piece.
 *     A piece that continues plain text is therefore encoded by a twin tokenizer without the prefix
 *     (else every assistant answer would start with a spurious "▁").
 * </ul>
 * The vocabulary's {@code add_eos} is not applied: a sample ends with the template's end-of-turn,
 * which the loss mask teaches (llama.cpp's add_eos serves embedding models). Special-token parsing
 * is on throughout: the pieces are template output. (Message contents were
 * checked beforehand to hold no control-token text, see {@link SftRenderer}.)
 */
final class SegmentEncoder {
    private final Tokenizer tok;
    private final SentencePieceBpe noPrefix; // null: the tokenizer adds no position-dependent prefix

    SegmentEncoder(Tokenizer tok) {
        this.tok = tok;
        this.noPrefix = tok instanceof SentencePieceBpe spm && spm.options().addSpacePrefix()
                ? new SentencePieceBpe(spm.vocabulary(), new SentencePieceBpe.Options(false, spm.options().llama2cDecode()))
                : null;
    }

    /** The first piece of a sample: BOS added when the vocabulary asks and the text does not start with it. */
    int[] first(String text) {
        int[] ids = tok.encode(text, false, true);
        int bos = tok.bos();
        if (tok.vocabulary().addBos() && bos >= 0 && (ids.length == 0 || ids[0] != bos)) {
            int[] out = new int[ids.length + 1];
            out[0] = bos;
            System.arraycopy(ids, 0, out, 1, ids.length);
            return out;
        }
        return ids;
    }

    /**
     * A piece that follows {@code previousId} (the last token of the sample so far): encoded as the
     * whole text would encode it at that point.
     */
    int[] next(String text, int previousId) {
        if (noPrefix == null || isAdded(previousId)) return tok.encode(text, false, true);
        // the leading plain-text fragment continues the previous text: no '▁' before it; from the first
        // added token on, the normal rules apply (llama.cpp prefixes text that follows a special token)
        int[] ids = tok.encode(text, false, true);
        int k = 0;
        while (k < ids.length && !isAdded(ids[k])) k++;
        int cut = k == ids.length ? text.length() : text.indexOf(tok.piece(ids[k]));
        if (cut < 0) cut = text.length(); // unreachable for literal added tokens; plain text is the safe reading
        int[] head = noPrefix.encode(text.substring(0, cut), false, true);
        if (cut == text.length()) return head;
        int[] tail = tok.encode(text.substring(cut), false, true);
        int[] out = Arrays.copyOf(head, head.length + tail.length);
        System.arraycopy(tail, 0, out, head.length, tail.length);
        return out;
    }

    /** Tokens matched literally before the merges run (control, user-defined, unknown), as the encoder's fragments. */
    private boolean isAdded(int id) {
        TokenType t = tok.tokenType(id);
        return t == TokenType.CONTROL || t == TokenType.USER_DEFINED || t == TokenType.UNKNOWN;
    }
}

package dev.jllm.tokenizer;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads a llama2.c {@code tokenizer.bin} (e.g. {@code tok512.bin}): little-endian int32
 * max_token_length, then per token float32 score, int32 byte length, the bytes.
 *
 * <p>Example: {@code Llama2cTokenizerLoader.load(Path.of("tok512.bin"))} gives a 512-token
 * {@link SentencePieceBpe} for which {@code encode("Once upon a time", true, false)} is
 * {@code [1, 403, 407, 261, 378]}, the same ids llama.cpp gets from the converted GGUF.
 *
 * <p>run.c semantics are kept: BOS = 1 and EOS = 2 (run.c hard-codes them), a dummy " " prefix
 * (that is add_space_prefix), merges of the highest-scoring pair first and byte fallback to ids
 * {@code 3 + byte}; decoding strips the leading space of the token after BOS, as run.c's
 * {@code decode()} does. Token texts store spaces as ' ' (llama2.c's exporter replaced '▁'); they are
 * mapped back to '▁' so the shared SentencePiece implementation applies. Types are inferred: id 0
 * unknown, ids 1-2 control, {@code <0xXX>} byte, the rest normal.
 */
public final class Llama2cTokenizerLoader {
    private Llama2cTokenizerLoader() {}

    /** Reads every token in the file. */
    public static SentencePieceBpe load(Path path) throws IOException {
        return load(path, -1);
    }

    /** Reads {@code vocabSize} tokens (the model header's vocab_size), or all tokens if it is negative. */
    public static SentencePieceBpe load(Path path, int vocabSize) throws IOException {
        ByteBuffer buf = ByteBuffer.wrap(Files.readAllBytes(path)).order(ByteOrder.LITTLE_ENDIAN);
        if (buf.remaining() < 4) throw new TokenizerFormatException(path + ": too short for a llama2.c tokenizer (no max_token_length)");
        int maxLen = buf.getInt();
        if (maxLen <= 0 || maxLen > 1 << 16) throw new TokenizerFormatException(path + ": max_token_length " + maxLen + " is not plausible; not a llama2.c tokenizer.bin?");
        List<String> pieces = new ArrayList<>();
        List<Float> scores = new ArrayList<>();
        var utf8 = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);
        while (vocabSize < 0 ? buf.hasRemaining() : pieces.size() < vocabSize) {
            int id = pieces.size();
            if (buf.remaining() < 8) throw new TokenizerFormatException(path + ": truncated at token " + id + " (offset " + buf.position() + ")");
            float score = buf.getFloat();
            int len = buf.getInt();
            if (len < 0 || len > maxLen || len > buf.remaining()) {
                throw new TokenizerFormatException(path + ": token " + id + " has length " + len + " (max_token_length " + maxLen + ", offset " + (buf.position() - 4) + ")");
            }
            byte[] b = new byte[len];
            buf.get(b);
            String text;
            try {
                text = utf8.decode(ByteBuffer.wrap(b)).toString();
            } catch (CharacterCodingException e) {
                throw new TokenizerFormatException(path + ": token " + id + " is not valid UTF-8");
            }
            pieces.add(text);
            scores.add(score);
        }
        if (pieces.size() < 3) throw new TokenizerFormatException(path + ": only " + pieces.size() + " tokens; need at least <unk>, <s>, </s>");
        int n = pieces.size();
        String[] p = new String[n];
        float[] s = new float[n];
        TokenType[] t = new TokenType[n];
        for (int i = 0; i < n; i++) {
            String text = pieces.get(i);
            s[i] = scores.get(i);
            if (i == 0) t[i] = TokenType.UNKNOWN;
            else if (i <= 2) t[i] = TokenType.CONTROL;
            else if (TokenBytes.byteToken(text).length == 1) t[i] = TokenType.BYTE;
            else t[i] = TokenType.NORMAL;
            p[i] = t[i] == TokenType.NORMAL ? text.replace(' ', '▁') : text;
        }
        try {
            Vocabulary v = new Vocabulary(p, s, t, 1, 2, 0, true, false, new int[0]);
            return new SentencePieceBpe(v, new SentencePieceBpe.Options(true, true));
        } catch (IllegalArgumentException e) {
            throw new TokenizerFormatException(path + ": " + e.getMessage());
        }
    }
}

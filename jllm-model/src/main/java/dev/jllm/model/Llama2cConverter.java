package dev.jllm.model;

import dev.jllm.gguf.GgufArray;
import dev.jllm.gguf.GgufFormatException;
import dev.jllm.gguf.GgufTensorInfo;
import dev.jllm.gguf.GgufValue;
import dev.jllm.gguf.GgufValueType;
import dev.jllm.gguf.GgufWriter;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * llama2.c checkpoint + tokenizer.bin → GGUF (F32), as llama.cpp's convert-llama2c-to-ggml does:
 * same tensor names and metadata keys, the tokenizer as a "llama" (SentencePiece) vocabulary.
 *
 * <p>tokenizer.bin: int32 max_token_length, then per token float32 score, int32 length, UTF-8 bytes.
 * llama2.c stores pieces with spaces where SentencePiece has '▁' and wraps BOS/EOS in newlines
 * ("\n&lt;s&gt;\n"); both are undone here. Token types: 0 → UNKNOWN, 1 and 2 → CONTROL, "&lt;0xXX&gt;" →
 * BYTE, others NORMAL. The output keeps the tied classifier tied (no output.weight).
 */
public final class Llama2cConverter {
    private Llama2cConverter() {}

    public record Vocab(String[] tokens, float[] scores, int[] types) {}

    public static Vocab readTokenizer(Path path, int expectedVocab) throws IOException {
        byte[] b = Files.readAllBytes(path);
        ByteBuffer in = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
        if (b.length < 4) throw new GgufFormatException(path + ": too short for a llama2.c tokenizer.bin", 0);
        int maxLen = in.getInt();
        if (maxLen <= 0 || maxLen > 1024) throw new GgufFormatException(path + ": max_token_length " + maxLen + " is out of range; not a tokenizer.bin?", 0);
        String[] tokens = new String[expectedVocab];
        float[] scores = new float[expectedVocab];
        int[] types = new int[expectedVocab];
        for (int i = 0; i < expectedVocab; i++) {
            if (in.remaining() < 8) {
                throw new GgufFormatException(path + ": ends after " + i + " tokens; the model's vocabulary has " + expectedVocab, in.position());
            }
            scores[i] = in.getFloat();
            int len = in.getInt();
            if (len < 0 || len > in.remaining() || len > 4 * maxLen + 16) {
                throw new GgufFormatException(path + ": offset " + (in.position() - 4) + ": token " + i + " length " + len + " is invalid", in.position() - 4);
            }
            byte[] piece = new byte[len];
            in.get(piece);
            String s = new String(piece, StandardCharsets.UTF_8);
            if (s.equals("\n<s>\n")) s = "<s>";
            if (s.equals("\n</s>\n")) s = "</s>";
            s = s.replace(' ', '\u2581');
            tokens[i] = s;
            types[i] = i == 0 ? 2 : (i == 1 || i == 2) ? 3 : s.matches("<0x[0-9A-F]{2}>") ? 6 : 1;
        }
        if (in.hasRemaining()) {
            throw new GgufFormatException(path + ": " + in.remaining() + " bytes left after " + expectedVocab
                    + " tokens; the tokenizer does not match the model's vocabulary", in.position());
        }
        return new Vocab(tokens, scores, types);
    }

    public static void convert(Path bin, Path tokenizer, Path out) throws IOException {
        try (ModelFile m = ModelFile.open(bin)) {
            if (m.format() != ModelFile.Format.LLAMA2C) throw new GgufFormatException(bin + ": not a llama2.c checkpoint", 0);
            ModelConfig c = m.config();
            Vocab v = readTokenizer(tokenizer, c.vocabSize());
            GgufWriter w = new GgufWriter();
            w.put("general.architecture", GgufValue.ofString("llama"));
            w.put("general.name", GgufValue.ofString(bin.getFileName().toString().replaceAll("\\.bin$", "")));
            w.put("general.file_type", GgufValue.ofUInt32(0));
            w.put("llama.context_length", GgufValue.ofUInt32(c.contextLength()));
            w.put("llama.embedding_length", GgufValue.ofUInt32(c.dim()));
            w.put("llama.feed_forward_length", GgufValue.ofUInt32(c.hiddenDim()));
            w.put("llama.block_count", GgufValue.ofUInt32(c.nLayers()));
            w.put("llama.attention.head_count", GgufValue.ofUInt32(c.nHeads()));
            w.put("llama.attention.head_count_kv", GgufValue.ofUInt32(c.nKvHeads()));
            w.put("llama.rope.dimension_count", GgufValue.ofUInt32(c.headDim()));
            w.put("llama.attention.layer_norm_rms_epsilon", GgufValue.ofFloat32(c.rmsEps()));
            w.put("llama.rope.freq_base", GgufValue.ofFloat32(c.ropeTheta()));
            w.put("tokenizer.ggml.model", GgufValue.ofString("llama"));
            w.put("tokenizer.ggml.tokens", GgufValue.ofArray(GgufArray.ofStrings(v.tokens())));
            w.put("tokenizer.ggml.scores", GgufValue.ofArray(GgufArray.ofFloats(v.scores())));
            w.put("tokenizer.ggml.token_type", GgufValue.ofArray(new GgufArray(GgufValueType.INT32, v.types())));
            w.put("tokenizer.ggml.unknown_token_id", GgufValue.ofUInt32(0));
            w.put("tokenizer.ggml.bos_token_id", GgufValue.ofUInt32(1));
            w.put("tokenizer.ggml.eos_token_id", GgufValue.ofUInt32(2));
            for (GgufTensorInfo t : m.tensors()) w.addTensor(t.name(), t.type(), t.dims(), m.tensorData(t));
            w.write(out);
        }
    }
}

package dev.jllm.tokenizer;

import dev.jllm.testkit.TestData;

import dev.jllm.gguf.GgufFile;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.text.Normalizer;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/**
 * decode(encode(s)) == s for arbitrary Unicode text on the byte-level tokenizers (qwen3: == NFC(s),
 * its normalizer), and feeding the ids one by one to a {@link StreamingDecoder} gives the same text
 * without any U+FFFD. Inputs mix random code points with the hard cases: emoji ZWJ sequences,
 * combining marks, lone CR, very long digit runs, mixed whitespace and CJK.
 */
class RoundTripPropertiesTest {
    private static final Tokenizer GPT2 = gguf("ggml-vocab-gpt-2");
    private static final Tokenizer DEEPSEEK_LLM = gguf("ggml-vocab-deepseek-llm");
    private static final Tokenizer LLAMA_SPM = gguf("ggml-vocab-llama-spm");
    private static final Tokenizer CL100K = load(() -> TiktokenLoader.load(TestData.path("tokenizers/tiktoken/cl100k_base.tiktoken")));
    private static final Tokenizer O200K = load(() -> TiktokenLoader.load(TestData.path("tokenizers/tiktoken/o200k_base.tiktoken")));
    private static final Tokenizer QWEN3 = load(() -> TokenizerJsonLoader.load(TestData.path("tokenizers/hf-qwen3/tokenizer.json")));

    interface Loader {
        Tokenizer get() throws IOException;
    }

    private static Tokenizer load(Loader l) {
        try {
            return l.get();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Tokenizer gguf(String name) {
        return load(() -> {
            try (GgufFile f = GgufFile.open(TestData.path("tokenizers/llamacpp-vocab/" + name + ".gguf"))) {
                return GgufTokenizerLoader.load(f);
            }
        });
    }

    @Provide
    Arbitrary<String> text() {
        Arbitrary<String> codePoint = Arbitraries.integers().between(1, 0x10FFFF)
                .filter(cp -> (cp < 0xD800 || cp > 0xDFFF) && cp != 0xFFFD)
                .map(Character::toString);
        Arbitrary<String> ascii = Arbitraries.strings().withCharRange(' ', '~').ofMaxLength(12);
        Arbitrary<String> special = Arbitraries.of(
                "👨\u200D👩\u200D👧", "🏳️\u200D🌈", "😀", "e\u0301", "a\u0308\u0323", "\r", "\r\n", "\n\n", "\t ", "  ", "\u00a0", "\u3000",
                "今天天气很好", "，", "'s", "'LL", "ℌ𝔢𝔩𝔩𝔬", "１２３", "<|endoftext|>", "<s>", "▁x");
        Arbitrary<String> digits = Arbitraries.strings().withCharRange('0', '9').ofMinLength(1).ofMaxLength(300);
        Arbitrary<String> piece = Arbitraries.frequencyOf(
                net.jqwik.api.Tuple.of(3, codePoint), net.jqwik.api.Tuple.of(4, ascii), net.jqwik.api.Tuple.of(3, special), net.jqwik.api.Tuple.of(1, digits));
        return piece.list().ofMaxSize(20).map(l -> String.join("", l));
    }

    @Property(tries = 300)
    void byteLevelRoundTrips(@ForAll("text") String s) {
        for (Tokenizer t : List.of(GPT2, DEEPSEEK_LLM, CL100K, O200K)) {
            assertEquals(s, t.decode(t.encode(s)), t.toString());
        }
        assertEquals(Normalizer.normalize(s, Normalizer.Form.NFC), QWEN3.decode(QWEN3.encode(s)));
    }

    @Property(tries = 200)
    void sentencePieceRoundTripsWithoutItsSpaceMarker(@ForAll("text") String s) {
        String t = s.replace("▁", "");
        assertEquals(t, LLAMA_SPM.decode(LLAMA_SPM.encode(t)));
    }

    @Property(tries = 200)
    void streamingNeverBreaksACharacter(@ForAll("text") String s) {
        for (Tokenizer t : List.of(GPT2, O200K, LLAMA_SPM)) {
            int[] ids = t.encode(s);
            StreamingDecoder d = new StreamingDecoder(t);
            StringBuilder sb = new StringBuilder();
            for (int id : ids) {
                String part = d.accept(id);
                assertFalse(part.contains("\uFFFD"), "U+FFFD emitted for valid input");
                sb.append(part);
            }
            sb.append(d.flush());
            // the stream has no first-token space rule, so compare with the raw byte concatenation
            assertEquals(rawJoin(t, ids), sb.toString());
        }
    }

    private static String rawJoin(Tokenizer t, int[] ids) {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        for (int id : ids) if (!t.tokenType(id).isSpecial()) out.writeBytes(t.tokenBytes(id));
        return out.toString(java.nio.charset.StandardCharsets.UTF_8);
    }
}

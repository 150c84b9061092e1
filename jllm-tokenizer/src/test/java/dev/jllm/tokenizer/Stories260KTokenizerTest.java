package dev.jllm.tokenizer;

import dev.jllm.testkit.TestData;

import dev.jllm.gguf.GgufFile;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** stories260K: llama.cpp's llama-tokenize ids and llama-server/llama-simple outputs from golden/stories260K.llamacpp.json. */
class Stories260KTokenizerTest {

    @SuppressWarnings("unchecked")
    static List<Map<String, Object>> cases() throws IOException {
        Map<String, Object> root = (Map<String, Object>) Json.parse(
                Files.readString(TestData.path("golden/stories260K.llamacpp.json")), "stories260K.llamacpp.json");
        List<Map<String, Object>> cases = (List<Map<String, Object>>) root.get("cases");
        assertTrue(cases.size() >= 5, "golden file has too few cases");
        return cases;
    }

    static int[] ints(Object list) {
        return ((List<?>) list).stream().mapToInt(o -> ((Long) o).intValue()).toArray();
    }

    static Tokenizer gguf() throws IOException {
        try (GgufFile f = GgufFile.open(TestData.path("models/stories260K.gguf"))) {
            return GgufTokenizerLoader.load(f);
        }
    }

    @Test
    void ggufPromptIdsMatchLlamaTokenize() throws IOException {
        Tokenizer tok = gguf();
        assertEquals(512, tok.vocabSize());
        assertEquals(1, tok.bos());
        assertEquals(2, tok.eos());
        for (Map<String, Object> c : cases()) {
            String prompt = (String) c.get("prompt");
            // llama-tokenize defaults: add BOS, parse special
            assertArrayEquals(ints(c.get("prompt_token_ids")), tok.encode(prompt, true, true), prompt);
        }
    }

    @Test
    void llama2cTokenizerBinGivesTheSameIds() throws IOException {
        Tokenizer tok = Llama2cTokenizerLoader.load(TestData.path("models/tok512.bin"));
        assertEquals(512, tok.vocabSize());
        for (Map<String, Object> c : cases()) {
            String prompt = (String) c.get("prompt");
            assertArrayEquals(ints(c.get("prompt_token_ids")), tok.encode(prompt, true, false), prompt);
        }
    }

    @Test
    void generatedTokensStreamToLlamaCppText() throws IOException {
        Tokenizer tok = gguf();
        for (Map<String, Object> c : cases()) {
            StreamingDecoder dec = new StreamingDecoder(tok);
            StringBuilder sb = new StringBuilder();
            for (int id : ints(c.get("generated_token_ids"))) sb.append(dec.accept(id));
            sb.append(dec.flush());
            assertEquals(c.get("generated_text"), sb.toString(), (String) c.get("prompt"));
        }
    }

    @Test
    void wholeSequenceDecodeFollowsLlamaDetokenize() throws IOException {
        Tokenizer tok = gguf();
        Map<String, Object> c = cases().getFirst();
        int[] prompt = ints(c.get("prompt_token_ids"));
        // BOS first: BOS renders as nothing and the space of "▁Once" stays (llama-simple echoes "<s> Once")
        assertEquals(" Once upon a time", tok.decode(prompt));
        assertEquals("<s> Once upon a time", tok.decode(prompt, true));
        // no BOS: one leading space of the first token is removed
        assertEquals("Once upon a time", tok.decode(java.util.Arrays.copyOfRange(prompt, 1, prompt.length)));
        String raw = (String) c.get("llama_simple_stdout_raw");
        int[] all = concat(prompt, ints(c.get("generated_token_ids")));
        assertEquals(raw.substring(0, raw.length() - 1), tok.decode(all, true));
    }

    @Test
    void llama2cDecodeStripsTheSpaceAfterBos() throws IOException {
        Tokenizer tok = Llama2cTokenizerLoader.load(TestData.path("models/tok512.bin"));
        assertEquals("Once upon a time", tok.decode(new int[] {1, 403, 407, 261, 378}));
    }

    @Test
    void byteFallbackAndEog() throws IOException {
        Tokenizer tok = gguf();
        // "你" is not in this 512-token vocabulary: after "▁" it falls back to its three UTF-8 bytes
        Vocabulary v = tok.vocabulary();
        int[] ids = tok.encode("你", false, false);
        assertArrayEquals(new int[] {v.id("▁"), v.id("<0xE4>"), v.id("<0xBD>"), v.id("<0xA0>")}, ids);
        assertEquals(TokenType.BYTE, tok.tokenType(ids[3]));
        assertEquals("你", tok.decode(ids));
        assertArrayEquals(new byte[] {(byte) 0xC3}, tok.tokenBytes(tok.vocabulary().id("<0xC3>")));
        assertTrue(tok.isEog(2));
        assertFalse(tok.isEog(1));
        // user text cannot produce BOS/EOS unless special parsing is requested
        assertFalse(java.util.Arrays.stream(tok.encode("</s>", false, false)).anyMatch(i -> i == 2));
        assertArrayEquals(new int[] {2}, tok.encode("</s>", false, true));
    }

    static int[] concat(int[] a, int[] b) {
        int[] r = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, r, a.length, b.length);
        return r;
    }
}

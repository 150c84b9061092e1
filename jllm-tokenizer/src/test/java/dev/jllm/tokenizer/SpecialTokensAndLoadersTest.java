package dev.jllm.tokenizer;

import dev.jllm.testkit.TestData;

import dev.jllm.gguf.GgufFile;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

class SpecialTokensAndLoadersTest {
    static Tokenizer qwen3;

    @BeforeAll
    static void load() throws IOException {
        qwen3 = TokenizerJsonLoader.load(TestData.path("tokenizers/hf-qwen3/tokenizer.json"));
    }

    @Test
    void chatTokensOnlyWhenSpecialParsingIsOn() {
        Vocabulary v = qwen3.vocabulary();
        int imStart = v.id("<|im_start|>");
        int imEnd = v.id("<|im_end|>");
        assertEquals(151644, imStart);
        assertEquals(TokenType.CONTROL, qwen3.tokenType(imStart));
        int[] parsed = qwen3.encode("<|im_start|>user\nhi<|im_end|>", false, true);
        assertEquals(imStart, parsed[0]);
        assertEquals(imEnd, parsed[parsed.length - 1]);
        int[] plain = qwen3.encode("<|im_start|>user\nhi<|im_end|>", false, false);
        assertFalse(Arrays.stream(plain).anyMatch(id -> id == imStart || id == imEnd), "user text injected a role token");
        assertEquals("<|im_start|>user\nhi<|im_end|>", qwen3.decode(plain));
        // control tokens are hidden when decoding unless asked for
        assertEquals("user\nhi", qwen3.decode(parsed));
        assertEquals("<|im_start|>user\nhi<|im_end|>", qwen3.decode(parsed, true));
    }

    @Test
    void userDefinedTokensAreAlwaysMatched() {
        int think = qwen3.vocabulary().id("<think>");
        assertEquals(TokenType.USER_DEFINED, qwen3.tokenType(think));
        int[] ids = qwen3.encode("a<think>b", false, false);
        assertTrue(Arrays.stream(ids).anyMatch(id -> id == think));
        assertEquals("a<think>b", qwen3.decode(ids));
    }

    @Test
    void endOfGenerationTokens() throws IOException {
        Vocabulary v = qwen3.vocabulary();
        assertTrue(qwen3.isEog(v.id("<|im_end|>")));
        assertTrue(qwen3.isEog(v.id("<|endoftext|>")));
        assertFalse(qwen3.isEog(v.id("<|im_start|>")));
        assertEquals(-1, qwen3.bos());
        try (GgufFile f = GgufFile.open(TestData.path("tokenizers/llamacpp-vocab/ggml-vocab-phi-3.gguf"))) {
            Tokenizer phi3 = GgufTokenizerLoader.load(f);
            assertTrue(phi3.isEog(phi3.vocabulary().id("<|end|>")));
            assertTrue(phi3.isEog(phi3.eos()));
            assertArrayEquals(new int[] {1}, Arrays.copyOf(phi3.encode("hi", true, false), 1));
        }
    }

    @Test
    void unsupportedModelIsAClearError() throws IOException {
        try (GgufFile f = GgufFile.open(TestData.path("tokenizers/llamacpp-vocab/ggml-vocab-bert-bge.gguf"))) {
            var e = assertThrows(TokenizerFormatException.class, () -> GgufTokenizerLoader.load(f));
            assertTrue(e.getMessage().endsWith("tokenizer.ggml.model 'bert' is not supported (supported: llama, gpt2)"), e.getMessage());
        }
    }

    @Test
    void unsupportedTokenizerJsonFeaturesAreNamed(@org.junit.jupiter.api.io.TempDir Path dir) throws IOException {
        Path p = dir.resolve("tokenizer.json");
        Files.writeString(p, "{\"model\": {\"type\": \"WordPiece\", \"vocab\": {}}}");
        var e = assertThrows(TokenizerFormatException.class, () -> TokenizerJsonLoader.load(p));
        assertEquals("tokenizer.json: model.type 'WordPiece' is not supported (supported: only BPE)", e.getMessage());
        Files.writeString(p, "{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0}, \"merges\": []},"
                + " \"pre_tokenizer\": {\"type\": \"Split\", \"pattern\": {\"Regex\": \"a\"}, \"behavior\": \"Removed\"}}");
        e = assertThrows(TokenizerFormatException.class, () -> TokenizerJsonLoader.load(p));
        assertEquals("tokenizer.json: pre_tokenizer.behavior 'Removed' is not supported (supported: only 'Isolated')", e.getMessage());
        Files.writeString(p, "{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0}, \"merges\": []}}");
        e = assertThrows(TokenizerFormatException.class, () -> TokenizerJsonLoader.load(p));
        assertTrue(e.getMessage().startsWith("tokenizer.json: pre_tokenizer 'null' is not supported"), e.getMessage());
    }

    @Test
    void tiktokenNeedsAKnownNameOrAnExplicitEncoding(@org.junit.jupiter.api.io.TempDir Path dir) throws IOException {
        Path p = dir.resolve("mystery.tiktoken");
        Files.writeString(p, "YQ== 0\nYg== 1\n");
        var e = assertThrows(TokenizerFormatException.class, () -> TiktokenLoader.load(p));
        assertTrue(e.getMessage().contains("cannot tell the encoding from the file name 'mystery'"), e.getMessage());
        Tokenizer t = TiktokenLoader.load(p, new TiktokenLoader.Encoding("tiny", "\\p{L}+", java.util.Map.of()));
        assertArrayEquals(new int[] {0, 1, 0}, t.encode("aba"));
        Files.writeString(p, "YQ== 0\nnot-base64! 1\n");
        e = assertThrows(TokenizerFormatException.class, () -> TiktokenLoader.load(p, new TiktokenLoader.Encoding("tiny", "\\p{L}+", java.util.Map.of())));
        assertTrue(e.getMessage().endsWith("mystery.tiktoken:2: bad base64 or rank in 'not-base64! 1'"), e.getMessage());
    }

    @Test
    void encodeIsThreadSafe() throws Exception {
        String text = Files.readString(TestData.path("tokenizers/corpora/tinyshakespeare.txt")).substring(0, 60_000);
        List<String> lines = text.lines().toList();
        List<int[]> expected = new ArrayList<>();
        for (String l : lines) expected.add(qwen3.encode(l));
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<Boolean>> results = new ArrayList<>();
            for (int t = 0; t < 8; t++) {
                int offset = t;
                results.add(pool.submit(() -> {
                    for (int i = 0; i < lines.size(); i++) {
                        int k = (i + offset * 97) % lines.size();
                        if (!Arrays.equals(expected.get(k), qwen3.encode(lines.get(k)))) return false;
                    }
                    return true;
                }));
            }
            for (Future<Boolean> r : results) assertTrue(r.get());
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void longWordsAreNotQuadratic() throws IOException {
        Tokenizer gpt2 = Gpt2FilesLoader.load(TestData.path("tokenizers/gpt2/vocab.json"), TestData.path("tokenizers/gpt2/merges.txt"));
        Tokenizer spm;
        try (GgufFile f = GgufFile.open(TestData.path("tokenizers/llamacpp-vocab/ggml-vocab-llama-spm.gguf"))) {
            spm = GgufTokenizerLoader.load(f);
        }
        // one 200k-letter pre-token and one 200k-character SentencePiece fragment; O(n²) would take minutes
        String word = "abcdefghij".repeat(20_000);
        assertTimeoutPreemptively(java.time.Duration.ofSeconds(20), () -> {
            assertEquals(word, gpt2.decode(gpt2.encode(word)));
            assertEquals(word, spm.decode(spm.encode(word)));
        });
    }
}

package dev.jllm.tokenizer;

import dev.jllm.testkit.TestData;

import dev.jllm.gguf.GgufFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The documented policy for bad input: replacement characters for text, clear errors for files. */
class BadInputTest {

    @Test
    void loneSurrogatesAreEncodedAsTheReplacementCharacter() throws IOException {
        Tokenizer cl100k = TiktokenLoader.load(TestData.path("tokenizers/tiktoken/cl100k_base.tiktoken"));
        Tokenizer spm;
        try (GgufFile f = GgufFile.open(TestData.path("tokenizers/llamacpp-vocab/ggml-vocab-llama-spm.gguf"))) {
            spm = GgufTokenizerLoader.load(f);
        }
        for (Tokenizer t : List.of(cl100k, spm)) {
            assertEquals("a\uFFFDb\uFFFD 😀", t.decode(t.encode("a\uD800b\uDC00 \uD83D\uDE00")), t.toString());
            assertEquals(List.of(), java.util.Arrays.stream(t.encode("")).boxed().toList());
        }
    }

    @Test
    void invalidTokenizerJsonNamesTheFileAndField(@TempDir Path dir) throws IOException {
        Path f = dir.resolve("broken.json");
        Files.writeString(f, "{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0}, \"merges\": [\"a\"]}, \"pre_tokenizer\": {\"type\": \"ByteLevel\"}}");
        var e = assertThrows(TokenizerFormatException.class, () -> TokenizerJsonLoader.load(f));
        assertEquals("broken.json: model.merges[0] 'a' is not supported (supported: \"left right\")", e.getMessage());
        Files.writeString(f, "{\"model\": ");
        e = assertThrows(TokenizerFormatException.class, () -> TokenizerJsonLoader.load(f));
        assertTrue(e.getMessage().startsWith("broken.json: JSON syntax error"), e.getMessage());
    }

    @Test
    void unknownPreTokenizerNamesListTheSupportedOnes() {
        var e = assertThrows(TokenizerFormatException.class, () -> PreTokenizer.forGgufPre("klingon"));
        assertTrue(e.getMessage().contains("known: default, gpt-2, llama3/llama-bpe, qwen2"), e.getMessage());
        var t = assertThrows(IllegalArgumentException.class, () -> TrainingPreTokenizer.byName("klingon"));
        assertEquals("unknown pre-tokenizer 'klingon' (supported: gpt2, llama3, qwen2, cjk)", t.getMessage());
    }
}

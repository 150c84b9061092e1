package dev.jllm.tokenizer;

import dev.jllm.testkit.TestData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@link Tokenizers#open}: each form the CLI reads, told from the path, gives the same ids as its own loader. */
class TokenizersTest {
    static final int[] ONCE = {1, 403, 407, 261, 378}; // stories260K: BOS "▁Once" "▁upon" "▁a" "▁time"

    @TempDir Path tmp;

    @Test
    void gguf() throws IOException {
        Tokenizer tok = Tokenizers.open(TestData.path("models/stories260K.gguf"));
        assertEquals(512, tok.vocabSize());
        assertArrayEquals(ONCE, tok.encode("Once upon a time", true, false));
    }

    @Test
    void ggufVocabOnlyFile() throws IOException {
        Tokenizer tok = Tokenizers.open(TestData.path("tokenizers/llamacpp-vocab/ggml-vocab-gpt-2.gguf"));
        assertInstanceOf(ByteLevelBpe.class, tok);
        assertArrayEquals(new int[] {15496, 995}, tok.encode("Hello world"));
    }

    @Test
    void ggufWithoutTheExtensionIsToldByItsMagic() throws IOException {
        Path f = Files.copy(TestData.path("models/stories260K.gguf"), tmp.resolve("model"));
        assertArrayEquals(ONCE, Tokenizers.open(f).encode("Once upon a time", true, false));
    }

    @Test
    void tokenizerJsonFileAndDirectory() throws IOException {
        Path json = TestData.path("tokenizers/hf-qwen3/tokenizer.json");
        assertArrayEquals(new int[] {9707, 1879}, Tokenizers.open(json).encode("Hello world"));
        assertArrayEquals(new int[] {9707, 1879}, Tokenizers.open(json.getParent()).encode("Hello world"));
    }

    @Test
    void gpt2VocabAndMerges() throws IOException {
        Path dir = TestData.path("tokenizers/gpt2");
        assertArrayEquals(new int[] {15496, 995}, Tokenizers.open(dir).encode("Hello world"));
        // the vocab.json itself, with merges.txt beside it, is the same pair (not a tokenizer.json)
        assertArrayEquals(new int[] {15496, 995}, Tokenizers.open(dir.resolve("vocab.json")).encode("Hello world"));
    }

    @Test
    void tiktoken() throws IOException {
        Tokenizer tok = Tokenizers.open(TestData.path("tokenizers/tiktoken/cl100k_base.tiktoken"));
        assertArrayEquals(new int[] {9906, 1917}, tok.encode("Hello world"));
    }

    @Test
    void llama2cTokenizerBin() throws IOException {
        Path bin = TestData.path("models/tok512.bin");
        Tokenizer all = Tokenizers.open(bin);
        assertEquals(512, all.vocabSize());
        assertArrayEquals(ONCE, all.encode("Once upon a time", true, false));
        assertEquals(512, Tokenizers.open(bin, 512).vocabSize());
        // the checkpoint's vocab_size decides how many entries are read, as in run.c
        assertEquals(300, Tokenizers.open(bin, 300).vocabSize());
        // other forms carry their own size: the hint is ignored
        assertEquals(512, Tokenizers.open(TestData.path("models/stories260K.gguf"), 300).vocabSize());
    }

    @Test
    void unknownFormNamesTheFileAndTheAcceptedForms() throws IOException {
        Path txt = Files.writeString(tmp.resolve("vocab.txt"), "hello\n");
        IOException e = assertThrows(TokenizerFormatException.class, () -> Tokenizers.open(txt));
        assertTrue(e.getMessage().startsWith(txt + ": "), e.getMessage());
        assertTrue(e.getMessage().contains(Tokenizers.FORMS), e.getMessage());

        Path empty = Files.createDirectory(tmp.resolve("empty"));
        e = assertThrows(TokenizerFormatException.class, () -> Tokenizers.open(empty));
        assertTrue(e.getMessage().startsWith(empty + ": directory has neither tokenizer.json nor vocab.json + merges.txt"), e.getMessage());
        assertTrue(e.getMessage().contains(Tokenizers.FORMS), e.getMessage());

        Path missing = tmp.resolve("nope.gguf");
        e = assertThrows(NoSuchFileException.class, () -> Tokenizers.open(missing));
        assertTrue(e.getMessage().contains(missing.toString()) && e.getMessage().contains(Tokenizers.FORMS), e.getMessage());
    }

    @Test
    void badFileOfAKnownFormIsTheLoadersError() throws IOException {
        Path bin = Files.write(tmp.resolve("tokenizer.bin"), new byte[] {1, 2});
        IOException e = assertThrows(TokenizerFormatException.class, () -> Tokenizers.open(bin));
        assertTrue(e.getMessage().startsWith(bin + ": too short for a llama2.c tokenizer"), e.getMessage());
        Path tik = Files.copy(TestData.path("tokenizers/tiktoken/cl100k_base.tiktoken"), tmp.resolve("mine.tiktoken"));
        e = assertThrows(TokenizerFormatException.class, () -> Tokenizers.open(tik));
        assertTrue(e.getMessage().contains("cannot tell the encoding from the file name 'mine'"), e.getMessage());
    }
}

package dev.jllm.tokenizer;

import dev.jllm.testkit.TestData;

import dev.jllm.gguf.GgufFile;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * llama.cpp's own tokenizer tests (tests/test-tokenizer-0.cpp): every string of
 * {@code ggml-vocab-X.gguf.inp} must encode (no BOS, no special parsing) to the ids on the same line of
 * {@code .out}. The vocab files without .inp/.out (baichuan, gpt-neox) and the .inp/.out without a
 * .gguf (qwen2, llama-bpe, command-r, ...) cannot run here.
 */
class LlamaCppVocabTest {

    record Case(String text, int[] ids) {}

    /** Reads the .inp/.out pair exactly as test-tokenizer-0.cpp does. */
    static List<Case> cases(String name) throws IOException {
        String inp = Files.readString(TestData.path("tokenizers/llamacpp-vocab/ggml-vocab-" + name + ".gguf.inp"), StandardCharsets.UTF_8);
        List<String> out = Files.readAllLines(TestData.path("tokenizers/llamacpp-vocab/ggml-vocab-" + name + ".gguf.out"), StandardCharsets.UTF_8);
        String sep = "\n__ggml_vocab_test__\n";
        List<String> texts = new ArrayList<>();
        int pos = 0;
        while (pos < inp.length()) {
            int next = inp.indexOf(sep, pos);
            if (next < 0) {
                texts.add(inp.substring(pos));
                break;
            }
            texts.add(inp.substring(pos, next));
            pos = next + sep.length();
        }
        assertEquals(texts.size(), out.size(), name + ": .inp and .out have different numbers of tests");
        List<Case> cases = new ArrayList<>();
        for (int i = 0; i < texts.size(); i++) {
            String line = out.get(i).strip();
            int[] ids = line.isEmpty() ? new int[0] : Arrays.stream(line.split(" ")).mapToInt(Integer::parseInt).toArray();
            cases.add(new Case(texts.get(i), ids));
        }
        return cases;
    }

    static Tokenizer load(String name) throws IOException {
        try (GgufFile f = GgufFile.open(TestData.path("tokenizers/llamacpp-vocab/ggml-vocab-" + name + ".gguf"))) {
            return GgufTokenizerLoader.load(f);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama-spm", "phi-3", "gpt-2", "falcon", "deepseek-llm", "deepseek-coder", "starcoder", "mpt", "refact"})
    void everyCaseMatchesLlamaCpp(String name) throws IOException {
        Tokenizer tok = load(name);
        List<Case> cases = cases(name);
        assertTrue(cases.size() > 40, "too few cases read for " + name);
        List<String> failures = new ArrayList<>();
        for (Case c : cases) {
            int[] got = tok.encode(c.text(), false, false);
            if (!Arrays.equals(c.ids(), got)) {
                failures.add("'" + c.text().replace("\n", "\\n") + "': expected " + Arrays.toString(c.ids()) + " got " + Arrays.toString(got));
            }
        }
        if (!failures.isEmpty()) fail(name + ": " + failures.size() + "/" + cases.size() + " cases differ:\n" + String.join("\n", failures));
    }
}

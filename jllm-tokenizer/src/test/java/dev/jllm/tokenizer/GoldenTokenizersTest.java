package dev.jllm.tokenizer;

import dev.jllm.testkit.TestData;

import dev.jllm.gguf.GgufFile;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * golden/tokenizers.json: ids from transformers.js / js-tiktoken (cross-checked with HF tokenizers,
 * tiktoken and llama.cpp) for 12 strings. "ids" are plain-text encodings; "ids_with_special_token_parsing"
 * parse {@code <|endoftext|>}. The "llama3" column cannot run: its tokenizer.json is not among the fixtures.
 */
class GoldenTokenizersTest {
    static final Map<String, Tokenizer> TOKENIZERS = new HashMap<>();
    static List<Map<String, Object>> cases;

    @BeforeAll
    @SuppressWarnings("unchecked")
    static void load() throws IOException {
        Map<String, Object> root = (Map<String, Object>) Json.parse(Files.readString(TestData.path("golden/tokenizers.json")), "tokenizers.json");
        cases = (List<Map<String, Object>>) root.get("cases");
        assertEquals(12, cases.size());
        TOKENIZERS.put("qwen3", TokenizerJsonLoader.load(TestData.path("tokenizers/hf-qwen3/tokenizer.json")));
        TOKENIZERS.put("gpt2", Gpt2FilesLoader.load(TestData.path("tokenizers/gpt2/vocab.json"), TestData.path("tokenizers/gpt2/merges.txt")));
        try (GgufFile f = GgufFile.open(TestData.path("tokenizers/llamacpp-vocab/ggml-vocab-gpt-2.gguf"))) {
            TOKENIZERS.put("gpt2-gguf", GgufTokenizerLoader.load(f));
        }
        TOKENIZERS.put("cl100k_base", TiktokenLoader.load(TestData.path("tokenizers/tiktoken/cl100k_base.tiktoken")));
        TOKENIZERS.put("o200k_base", TiktokenLoader.load(TestData.path("tokenizers/tiktoken/o200k_base.tiktoken")));
    }

    static int[] ints(Object list) {
        return ((List<?>) list).stream().mapToInt(o -> ((Long) o).intValue()).toArray();
    }

    @ParameterizedTest
    @ValueSource(strings = {"qwen3", "gpt2", "gpt2-gguf", "cl100k_base", "o200k_base"})
    @SuppressWarnings("unchecked")
    void matchesReferenceIds(String name) {
        Tokenizer tok = TOKENIZERS.get(name);
        String column = name.equals("gpt2-gguf") ? "gpt2" : name;
        List<String> failures = new ArrayList<>();
        int checked = 0;
        for (Map<String, Object> c : cases) {
            String text = (String) c.get("text");
            assertEquals(((Long) c.get("utf8_bytes")).intValue(), text.getBytes(StandardCharsets.UTF_8).length, "golden text was read wrongly");
            int[] want = ints(((Map<String, Object>) c.get("ids")).get(column));
            int[] got = tok.encode(text, false, false);
            checked++;
            if (!Arrays.equals(want, got)) failures.add("#" + c.get("index") + " plain: expected " + Arrays.toString(want) + " got " + Arrays.toString(got));
            if (!text.equals(tok.decode(got))) failures.add("#" + c.get("index") + " does not decode back");
            Map<String, Object> special = (Map<String, Object>) c.get("ids_with_special_token_parsing");
            if (special != null && special.containsKey(column)) {
                int[] wantS = ints(special.get(column));
                int[] gotS = tok.encode(text, false, true);
                checked++;
                if (!Arrays.equals(wantS, gotS)) failures.add("#" + c.get("index") + " special: expected " + Arrays.toString(wantS) + " got " + Arrays.toString(gotS));
                assertTrue(tok.isEog(wantS[0]), "<|endoftext|> should end generation");
            }
        }
        assertEquals(13, checked, "cases checked");
        if (!failures.isEmpty()) fail(name + ": " + String.join("\n", failures));
    }
}

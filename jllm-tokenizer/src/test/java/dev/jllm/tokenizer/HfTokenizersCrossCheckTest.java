package dev.jllm.tokenizer;

import dev.jllm.testkit.TestData;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Tokenizer files we write are read by the reference implementation, HF tokenizers (Rust, through
 * DJL's bundled native library, test scope only), and give the same ids there as in jllm.
 */
class HfTokenizersCrossCheckTest {

    private static final String MIXED = "Hello, y'all!  It's 1998: 张三1998年出生。\n\n\tcafé naïve 👨\u200D👩\u200D👧 "
            + "ＡＢＣ１２３ 東京タワー 서울 \u00a0x\u3000y  <|endoftext|> end\r\n";

    @Test
    void trainedTokenizerJsonGivesTheSameIdsInHfTokenizers(@TempDir Path dir) throws IOException {
        String shakespeare = Files.readString(TestData.path("tokenizers/corpora/tinyshakespeare.txt"));
        String poems = Files.readString(TestData.path("tokenizers/corpora/ci.song.0.json"));
        for (TrainingPreTokenizer p : TrainingPreTokenizer.values()) {
            TrainedBpe t = BpeTrainer.train(List.of(shakespeare.substring(0, 300_000), poems.substring(0, 120_000)),
                    new BpeTrainer.Options(3000, List.of("<|endoftext|>"), p, 2), null);
            Path json = dir.resolve(p.cliName() + ".json");
            t.writeTokenizerJson(json);
            Tokenizer ours = TokenizerJsonLoader.load(json);
            String text = shakespeare.substring(700_000, 760_000) + poems.substring(150_000, 200_000) + MIXED;
            try (HuggingFaceTokenizer hf = reference(json)) {
                assertSameIds(hf, ours, text, p.cliName());
            }
        }
    }

    @Test
    void qwen3TokenizerJsonMatchesHfTokenizersOnWholeCorpora() throws IOException {
        Path json = TestData.path("tokenizers/hf-qwen3/tokenizer.json");
        Tokenizer ours = TokenizerJsonLoader.load(json);
        try (HuggingFaceTokenizer hf = reference(json)) {
            for (String corpus : List.of("tokenizers/corpora/tinyshakespeare.txt", "tokenizers/corpora/ci.song.0.json")) {
                assertSameIds(hf, ours, Files.readString(TestData.path(corpus)), corpus);
            }
            assertSameIds(hf, ours, MIXED, "mixed");
        }
    }

    /** The HF tokenizer as the file defines it: DJL's default truncation to 512 tokens switched off. */
    private static HuggingFaceTokenizer reference(Path json) throws IOException {
        return HuggingFaceTokenizer.builder().optTokenizerPath(json).optTruncation(false).optPadding(false).optAddSpecialTokens(false).build();
    }

    private static void assertSameIds(HuggingFaceTokenizer hf, Tokenizer ours, String text, String what) {
        Encoding e = hf.encode(text, false, false);
        int[] want = Arrays.stream(e.getIds()).mapToInt(Math::toIntExact).toArray();
        int[] got = ours.encode(text, false, true);
        int i = 0;
        while (i < Math.min(want.length, got.length) && want[i] == got[i]) i++;
        assertEquals(want.length, i, what + ": first difference at token " + i + " of " + want.length);
        assertArrayEquals(want, got, what);
    }
}

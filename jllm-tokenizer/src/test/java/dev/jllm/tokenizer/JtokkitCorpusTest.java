package dev.jllm.tokenizer;

import dev.jllm.testkit.TestData;

import com.knuddels.jtokkit.Encodings;
import com.knuddels.jtokkit.api.Encoding;
import com.knuddels.jtokkit.api.EncodingType;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Whole corpora encoded by our tiktoken loader and by jtokkit (an independent Java tiktoken, test
 * scope only) must give identical ids: 1.1 MB of Shakespeare and a 400 kB JSON file of Tang poems
 * (traditional Chinese, punctuation, JSON syntax, digits).
 */
class JtokkitCorpusTest {

    @ParameterizedTest
    @CsvSource({
            "cl100k_base, CL100K_BASE, tokenizers/corpora/tinyshakespeare.txt",
            "cl100k_base, CL100K_BASE, tokenizers/corpora/poet.tang.0.json",
            "o200k_base, O200K_BASE, tokenizers/corpora/tinyshakespeare.txt",
            "o200k_base, O200K_BASE, tokenizers/corpora/poet.tang.0.json"})
    void sameIdsAsJtokkit(String file, EncodingType type, String corpus) throws IOException {
        Tokenizer ours = TiktokenLoader.load(TestData.path("tokenizers/tiktoken/" + file + ".tiktoken"));
        Encoding ref = Encodings.newDefaultEncodingRegistry().getEncoding(type);
        String text = Files.readString(TestData.path(corpus), StandardCharsets.UTF_8);
        assertTrue(text.length() > 100_000, "corpus too small: " + corpus);
        int[] want = ref.encodeOrdinary(text).toArray();
        int[] got = ours.encode(text);
        int i = 0;
        while (i < Math.min(want.length, got.length) && want[i] == got[i]) i++;
        assertEquals(want.length, i, file + " on " + corpus + ": first difference at token " + i
                + " of " + want.length + " (got " + got.length + " tokens)");
        assertEquals(want.length, got.length);
        assertEquals(text, ours.decode(got));
    }
}

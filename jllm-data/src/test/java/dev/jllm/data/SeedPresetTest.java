package dev.jllm.data;

import dev.jllm.testkit.TestData;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** {@code --preset seed}: simplified > 95%, 100–800 code points inclusive, no emoji. */
class SeedPresetTest {
    private static final String SIMPLIFIED = "学而时习之，不亦说乎？有朋自远方来，不亦乐乎？人不知而不愠，不亦君子乎？";

    private static CleanPipeline seed() throws Exception {
        return new CleanPipeline(CleanConfigLoader.load("seed", null, Map.of()));
    }

    /** The first n code points of the simplified sample repeated. */
    private static String simplified(int n) {
        StringBuilder b = new StringBuilder();
        while (b.codePointCount(0, b.length()) < n) b.append(SIMPLIFIED);
        return b.substring(0, b.offsetByCodePoints(0, n));
    }

    @Test
    void lengthBoundsAreInclusiveCodePoints() throws Exception {
        CleanPipeline p = seed();
        assertEquals("length", p.process(simplified(99)).filter());
        assertTrue(p.process(simplified(100)).kept());
        assertTrue(p.process(simplified(800)).kept());
        assertEquals("length", p.process(simplified(801)).filter());
        assertEquals("801 > 800 chars", p.process(simplified(801)).reason());
        // an astral Han character (U+20000, two UTF-16 units) counts once: 99 + 1 = 100 code points
        assertTrue(p.process(simplified(99) + "𠀀").kept());
        assertEquals("length", p.process(simplified(98) + "𠀀").filter());
    }

    @Test
    void emojiRejected() throws Exception {
        CleanPipeline p = seed();
        for (String e : new String[] {"😀", "👨‍👩‍👧", "🇨🇳", "1️⃣", "❤️", "👍🏽"}) {
            CleanPipeline.Outcome o = p.process(simplified(150) + e);
            assertEquals("emoji", o.filter(), e);
        }
        // text-default symbols without VS16 and full-width punctuation are not emoji
        assertTrue(p.process(simplified(150) + "㊗〰©").kept());
    }

    @Test
    void traditionalRejected() throws Exception {
        CleanPipeline p = seed();
        CleanPipeline.Outcome o = p.process("學而時習之，不亦說乎？有朋自遠方來，不亦樂乎？人不知而不慍，不亦君子乎？".repeat(3));
        assertEquals("simplified", o.filter());
        assertEquals("simplified", p.process("The quick brown fox jumps over the lazy dog. ".repeat(5)).filter(), "no Han at all");
        // 1 traditional-only character in 100 Han: ratio 0.99 > 0.95, kept
        String mostly = simplified(120).replaceFirst("说", "說");
        assertTrue(p.process(mostly).kept(), p.process(mostly).reason());
    }

    /** Golden counts from a Python script over the same OpenCC tables: Tang poems (traditional script) go, Song ci and Lunyu (simplified) stay. */
    @Test
    void poetryCorpora() throws Exception {
        SimplifiedRatioFilter f = new SimplifiedRatioFilter(true, 0.95);
        assertEquals(999, rejected(f, "tokenizers/corpora/poet.tang.0.json"));
        assertEquals(0, rejected(f, "corpora/clean/ci.song.0.json"));
        assertEquals(0, rejected(f, "corpora/clean/lunyu.json"));
    }

    private static int rejected(Filter f, String file) throws Exception {
        JsonNode arr = new ObjectMapper().readTree(TestData.path(file).toFile());
        int rej = 0;
        for (JsonNode poem : arr) {
            StringBuilder b = new StringBuilder();
            poem.get("paragraphs").forEach(x -> b.append(x.asText()));
            if (f.reject(new Doc(b.toString())) != null) rej++;
        }
        return rej;
    }

    @Test
    void normalizationBeforeMeasuring() throws Exception {
        CleanPipeline p = seed();
        // ANSI colours and control characters do not count towards the length
        String dirty = "\u001b[33m" + simplified(60) + "\u001b[m\u0007" + simplified(40);
        CleanPipeline.Outcome o = p.process(dirty);
        assertTrue(o.kept(), o.reason());
        assertEquals(simplified(60) + simplified(40), o.text());
        assertNull(o.reason());
    }
}

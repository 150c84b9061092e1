package dev.jllm.tokenizer;

import dev.jllm.testkit.TestData;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The hand-written scanners split exactly as their regexes do (the regexes are the reference). */
class FastSplitTest {
    private static final List<String> REGEXES = List.of(PreTokenizer.GPT2, PreTokenizer.GPT2_NO_TAIL, PreTokenizer.LLAMA3,
            PreTokenizer.QWEN2, TiktokenLoader.CL100K, TiktokenLoader.O200K);

    private static List<String> fast(PreTokenizer p, String s) {
        assertTrue(p.isFast(), p.regexes().toString());
        List<String> out = new ArrayList<>();
        p.split(s, (a, b) -> out.add(s.substring(a, b)));
        return out;
    }

    private static List<String> reference(PreTokenizer p, String s) {
        List<String> out = new ArrayList<>();
        p.splitRegex(s, (a, b) -> out.add(s.substring(a, b)));
        return out;
    }

    private static void assertSame(String s) {
        for (String r : REGEXES) {
            PreTokenizer p = new PreTokenizer("t", List.of(r));
            List<String> want = reference(p, s);
            List<String> got = fast(p, s);
            if (!want.equals(got)) {
                int i = 0;
                while (i < Math.min(want.size(), got.size()) && want.get(i).equals(got.get(i))) i++;
                assertEquals(want.subList(i, Math.min(want.size(), i + 5)), got.subList(i, Math.min(got.size(), i + 5)),
                        "regex " + r + ": first difference at piece " + i);
            }
        }
    }

    @Test
    void sameAsTheRegexesOnWholeCorpora() throws IOException {
        for (String c : List.of("tokenizers/corpora/tinyshakespeare.txt", "tokenizers/corpora/poet.tang.0.json",
                "tokenizers/corpora/ci.song.0.json", "tokenizers/bpe-cs336/corpus.en")) {
            assertSame(Files.readString(TestData.path(c)));
        }
    }

    @Test
    void hardCases() {
        for (String s : List.of("", " ", "  ", "\n", " \n ", "a  \n\n  b", "x\r\n\r\n  ", "'s 'S 'll 'LL 'Re 've' '", "don't I'M",
                "ǅungla ʰa ªb e\u0301 \u0301x \u0301\u0301", "ABCdef DEFg HIJ'S Ǆǅǆ", "𐐀𐐨 𝔥𝔢 𝟙𝟚𝟛𝟜 1234567", "a/b//\n/c", "?!\r\n\r\n",
                "\u00a0\u3000\u2028\u0085 x", "\ud800a\udc00 b\ud800", "🙂🙂 a🙂", "\tword \u3000中文 ١٢٣٤")) {
            assertSame(s);
        }
    }

    @Provide
    Arbitrary<String> text() {
        Arbitrary<String> any = Arbitraries.integers().between(0, 0x10FFFF).map(cp -> new String(Character.toChars(cp)));
        Arbitrary<String> pool = Arbitraries.of(" ", "  ", "\n", "\r", "\t", "'", "s", "S", "ll", "LL", "re", "a", "Z", "1", "/",
                ".", ",", "!", "\u0301", "\u0308", "ǅ", "ʰ", "ª", "中", "文", "\u00a0", "\u3000", "\u2028", "\u0085", "𐐀", "𐐨", "𝔥",
                "𝟙", "🙂", "\ud800", "\udc00", "٣", "Ⅻ", "½", "é", "É", "ß", "ﬁ");
        Arbitrary<String> piece = Arbitraries.frequencyOf(Tuple.of(1, any), Tuple.of(6, pool));
        return piece.list().ofMaxSize(40).map(l -> String.join("", l));
    }

    @Property(tries = 3000)
    void sameAsTheRegexesOnRandomUnicode(@ForAll("text") String s) {
        assertSame(s);
    }
}

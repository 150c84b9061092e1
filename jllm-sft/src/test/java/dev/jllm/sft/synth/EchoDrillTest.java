package dev.jllm.sft.synth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EchoDrillTest {
    @TempDir Path dir;

    static final Pieces PIECES = new Pieces(List.of("zq", "xv", "aint"), List.of("龘", "靐", "花园"));

    /** Each assistant turn repeats exactly the span its user turn gave, and every span is glued from the pieces alone. */
    @Test
    void theAssistantRepeatsTheSpanItWasGivenAndSpansAreMadeOfPieces() {
        Set<Integer> turns = new HashSet<>();
        for (int i = 0; i < 300; i++) {
            Dialogue d = EchoDrill.dialogue(5, i, PIECES);
            assertEquals(i % 2 == 0 ? Lang.EN : Lang.ZH, d.lang());
            List<Dialogue.Message> ms = d.messages();
            assertEquals(0, ms.size() % 2);
            turns.add(ms.size() / 2);
            for (int t = 0; t < ms.size(); t += 2) {
                String user = ms.get(t).content(), span = ms.get(t + 1).content();
                assertEquals("user", ms.get(t).role());
                assertEquals("assistant", ms.get(t + 1).role());
                assertTrue(user.contains(span) && user.length() > span.length(), user + " -> " + span);
                if (d.lang() == Lang.EN) {
                    String[] words = span.split(" ");
                    assertTrue(words.length >= 3 && words.length <= 10, span);
                    for (String w : words) assertTrue(w.replace("aint", "").replace("zq", "").replace("xv", "").isEmpty(), w + " in " + span);
                } else {
                    int n = span.codePointCount(0, span.length());
                    assertTrue(n >= 4 && n <= 16, span);
                    assertTrue(span.replace("花园", "").replace("龘", "").replace("靐", "").replace("花", "").isEmpty(), span);
                }
            }
            assertEquals(ms.getLast().content(), d.answer());
            assertEquals("echo", d.type());
        }
        assertEquals(Set.of(1, 2, 3), turns, "one to three exchanges");
    }

    @Test
    void theSameArgumentsGiveTheSameFileAndAnotherSeedAnother() throws Exception {
        Path a = dir.resolve("a.jsonl"), b = dir.resolve("b.jsonl"), c = dir.resolve("c.jsonl");
        long chars = EchoDrill.write(a, 3, 50, PIECES);
        EchoDrill.write(b, 3, 50, PIECES);
        EchoDrill.write(c, 4, 50, PIECES);
        assertEquals(-1, Files.mismatch(a, b));
        assertNotEquals(-1, Files.mismatch(a, c));
        assertEquals(50, Files.readAllLines(a).size());
        assertTrue(chars > 50 * 4, "answer characters: " + chars);
        assertTrue(Files.readAllLines(a).getFirst().startsWith("{\"messages\":[{\"role\":\"user\""), Files.readAllLines(a).getFirst());
    }

    @Test
    void aVocabularyWithoutOneOfTheScriptsIsRefused() {
        var e = assertThrows(IllegalArgumentException.class, () -> EchoDrill.dialogue(1, 0, new Pieces(List.of("ab"), List.of())));
        assertTrue(e.getMessage().contains("Latin and Han"), e.getMessage());
    }
}

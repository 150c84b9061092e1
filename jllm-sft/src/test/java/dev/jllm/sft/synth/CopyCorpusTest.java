package dev.jllm.sft.synth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CopyCorpusTest {
    private static final Pattern ASK_EN = Pattern.compile("What is (.+)\\? (.+)"), ASK_ZH = Pattern.compile("(.+)是什么？(.+)");

    @Test
    void everyLaterSpanIsACopyOfAnEarlierOne() {
        java.util.Random r = new java.util.Random(7);
        int asked = 0;
        for (int i = 0; i < 1000; i++) {
            String rep = CopyCorpus.repeat(r);
            String[] p = rep.split(" = ");
            assertEquals(2, p.length, rep);
            assertEquals(p[0], p[1], rep);
            String gap = CopyCorpus.gap(r);
            String[] g = gap.split(" \\| ");
            assertEquals(3, g.length, gap);
            assertEquals(g[0], g[2], gap);
            assertNotEquals(g[0], g[1], gap);
            asked += checkRecall(CopyCorpus.recall(r));
        }
        assertTrue(asked > 1500, asked + " questions checked");
    }

    /** A recall block: its first line states K→V pairs; every later line asks ("What is K? V", "K是什么？V") or restates one, with K's value. */
    private static int checkRecall(String block) {
        String[] lines = block.split("\n");
        Map<String, String> stated = new HashMap<>();
        String sep = null;
        for (String s : new String[] {" is ", ": ", " = ", " -> ", "是", "：", "为"}) if (lines[0].contains(s)) { sep = s; break; }
        for (String fact : lines[0].replaceAll("[.。]$", "").split("\\. |。")) {
            String[] kv = fact.split(Pattern.quote(sep), 2);
            assertEquals(2, kv.length, block);
            stated.put(kv[0], kv[1]);
        }
        for (int i = 1; i < lines.length; i++) {
            Matcher en = ASK_EN.matcher(lines[i]), zh = ASK_ZH.matcher(lines[i]);
            String[] kv = en.matches() ? new String[] {en.group(1), en.group(2)}
                    : zh.matches() ? new String[] {zh.group(1), zh.group(2)} : lines[i].split(Pattern.quote(sep), 2);
            assertEquals(stated.get(kv[0]), kv[1], block);
        }
        return lines.length - 1;
    }

    @Test
    void sameArgumentsSameBytesAndTheSeedMatters(@TempDir Path dir) throws Exception {
        Path a = dir.resolve("a.jsonl"), b = dir.resolve("b.jsonl"), c = dir.resolve("c.jsonl");
        CopyCorpus.write(a, 5, 300);
        CopyCorpus.write(b, 5, 300);
        CopyCorpus.write(c, 6, 300);
        assertEquals(Files.readString(a), Files.readString(b));
        assertNotEquals(Files.readString(a), Files.readString(c));
        List<String> lines = Files.readAllLines(a, StandardCharsets.UTF_8);
        assertEquals(300, lines.size());
        ObjectMapper m = new ObjectMapper();
        for (int i = 0; i < lines.size(); i++) assertEquals(CopyCorpus.document(5, i), m.readTree(lines.get(i)).get("text").asText());
    }

    @Test
    void repeatOnlyDocumentsAreSpansRepeatedInPlace() {
        for (int i = 0; i < 300; i++) {
            for (String line : CopyCorpus.document(2, i, List.of(CopyCorpus.Kind.REPEAT)).split("\n")) {
                String[] p = line.split(" = ");
                assertEquals(2, p.length, line);
                assertEquals(p[0], p[1], line);
            }
        }
        assertEquals(CopyCorpus.document(2, 7), CopyCorpus.document(2, 7, CopyCorpus.ALL));
        assertEquals(CopyCorpus.Kind.GAP, CopyCorpus.Kind.parse(" Gap"));
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> CopyCorpus.Kind.parse("echo"));
    }

    @Test
    void spansMixScripts() {
        StringBuilder all = new StringBuilder();
        for (int i = 0; i < 200; i++) all.append(CopyCorpus.document(1, i));
        String s = all.toString();
        for (String probe : new String[] {"[a-z]", "[A-Z]", "[0-9]", "[\\u0430-\\u044f]", "[\\u03b1-\\u03c9]", "[\\u30a0-\\u30ff]", "[\\u4e00-\\u9fff]"}) {
            assertTrue(Pattern.compile(probe).matcher(s).find(), probe);
        }
    }
}

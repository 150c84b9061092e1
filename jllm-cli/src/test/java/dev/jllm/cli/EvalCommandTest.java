package dev.jllm.cli;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** jllm eval score / bootstrap / compare on small files, and their one-line errors. */
class EvalCommandTest {
    @TempDir Path tmp;

    private Path file(String name, String text) throws Exception {
        Path p = tmp.resolve(name);
        Files.writeString(p, text);
        return p;
    }

    private static void oneCleanErrorLine(CliTest.Run r, String... parts) {
        assertEquals(1, r.code(), r.out() + r.err());
        assertTrue(r.err().startsWith("jllm: error: "), r.err());
        for (String p : parts) assertTrue(r.err().contains(p), "missing '" + p + "' in " + r.err());
        assertFalse(r.err().contains("\tat "), "no stack trace");
    }

    @Test
    void bootstrapOf172OutOf200() throws Exception {
        CliTest.Run r = CliTest.run("eval", "bootstrap", "--correct", "172", "--total", "200");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().startsWith("accuracy  0.860 [0.810, 0.905] ±0.048"), r.out());
        assertTrue(r.out().contains("items needed for ±0.030: 514"), r.out());
        assertTrue(r.out().contains("normal approximation: ±0.048"), r.out());
        JsonNode j = new ObjectMapper().readTree(CliTest.run("eval", "bootstrap", "--correct", "172", "--total", "200", "--json").out());
        assertEquals(0.86, j.get("mean").asDouble(), 1e-12);
        assertEquals(0.81, j.get("ci").get("lo").asDouble(), 0.0051);
        assertEquals(0.905, j.get("ci").get("hi").asDouble(), 0.0051);
        assertEquals(514, j.get("normal_approximation").get("items_needed").asInt());
        // per-item scores give the same interval as the counts (same seed, same items in the same order)
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 200; i++) sb.append(i < 172 ? "{\"id\": " + i + ", \"score\": 1}\n" : "0\n");
        JsonNode f = new ObjectMapper().readTree(CliTest.run("eval", "bootstrap", "--scores", file("s.jsonl", sb.toString()).toString(), "--json").out());
        assertEquals(j.get("ci"), f.get("ci"));
    }

    @Test
    void scoreBleuAsSacrebleu() throws Exception {
        // sacreBLEU's README example: corpus BLEU 48.53 with two reference files (test_bleu.py's 48.530827)
        Path hyp = file("hyp.txt", "The dog bit the man.\nIt wasn't surprising.\nThe man had just bitten him.\n");
        Path r1 = file("r1.txt", "The dog bit the man.\nIt was not unexpected.\nThe man bit him first.\n");
        Path r2 = file("r2.txt", "The dog had bit the man.\nNo one was surprised.\nThe man had bitten the dog.\n");
        CliTest.Run r = CliTest.run("eval", "score", "--metric", "bleu", "--pred", hyp.toString(), "--ref", r1.toString(), "--ref", r2.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("  48.53 ["), r.out());
        assertTrue(r.out().contains("3 items, 2 references"), r.out());
        JsonNode j = new ObjectMapper().readTree(CliTest.run("eval", "score", "--metric", "bleu", "--pred", hyp.toString(),
                "--ref", r1.toString(), "--ref", r2.toString(), "--json", "--resamples", "1000").out());
        assertEquals(48.530827, j.get("score").asDouble(), 1e-6);
        assertEquals(1000, j.get("resamples").asInt());
        assertTrue(j.get("ci").get("lo").asDouble() <= j.get("ci").get("hi").asDouble());
    }

    @Test
    void scoreChineseMetrics() throws Exception {
        Path pred = file("pred.txt", "北京\n《红楼梦》\n1990年\n");
        Path ref = file("ref.txt", "北京市\n红楼梦\n1990年5月\n");
        ObjectMapper om = new ObjectMapper();
        // CMRC 2018 exact match: only 红楼梦 (book-title marks removed) -> 1 of 3 = 33.33
        JsonNode em = om.readTree(CliTest.run("eval", "score", "--metric", "exact", "--lang", "zh", "--pred", pred.toString(), "--ref", ref.toString(), "--json").out());
        assertEquals(100.0 / 3, em.get("score").asDouble(), 1e-9);
        // CMRC F1: 0.8, 1, 2/3 -> mean 82.22
        JsonNode f1 = om.readTree(CliTest.run("eval", "score", "--metric", "f1", "--lang", "zh", "--pred", pred.toString(), "--ref", ref.toString(), "--json").out());
        assertEquals(100 * (0.8 + 1 + 2.0 / 3) / 3, f1.get("score").asDouble(), 1e-9);
        // character-level ROUGE-L: 北京/北京市 F 0.8; 红楼梦 1; [1990 年] / [1990 年 5 月] P 1 R 1/2 F 2/3 -> 0.8222
        JsonNode rl = om.readTree(CliTest.run("eval", "score", "--metric", "rouge-l", "--lang", "zh", "--pred", pred.toString(), "--ref", ref.toString(), "--json").out());
        assertEquals((0.8 + 1 + 2.0 / 3) / 3, rl.get("score").asDouble(), 1e-9);
        CliTest.Run text = CliTest.run("eval", "score", "--metric", "chrf", "--pred", pred.toString(), "--ref", ref.toString());
        assertEquals(0, text.code(), text.err());
        assertTrue(text.out().startsWith("chrF2 (sacreBLEU"), text.out());
    }

    @Test
    void compareTwoSystemsMatchedById() throws Exception {
        // 60 items: A right on 40, B right on the same 40 plus 12 more (B's file in reverse order)
        StringBuilder a = new StringBuilder(), b = new StringBuilder();
        List<String> bLines = new ArrayList<>();
        for (int i = 0; i < 60; i++) {
            a.append("{\"id\": \"q").append(i).append("\", \"score\": ").append(i < 40 ? 1 : 0).append("}\n");
            bLines.addFirst("{\"id\": \"q" + i + "\", \"score\": " + (i < 52 ? "true" : "false") + "}");
        }
        bLines.forEach(l -> b.append(l).append('\n'));
        Path fa = file("a.jsonl", a.toString()), fb = file("b.jsonl", b.toString());
        CliTest.Run r = CliTest.run("eval", "compare", "--a", fa.toString(), "--b", fb.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("A - B  -0.200"), r.out());
        // 12 discordant items, all one way: exact binomial p = 2 * 0.5^12 = 0.000488
        assertTrue(r.out().contains("McNemar (exact binomial): only A right 0, only B right 12, both right 40, both wrong 8: p = 4.88e-04"), r.out());
        JsonNode j = new ObjectMapper().readTree(CliTest.run("eval", "compare", "--a", fa.toString(), "--b", fb.toString(), "--json").out());
        assertTrue(j.get("difference").get("p_value").asDouble() < 0.01, j.toString());
        assertEquals(12, j.get("mcnemar").get("only_b").asInt());
    }

    @Test
    void badInputIsOneLineNamingFileLineAndValue() throws Exception {
        Path pred = file("pred.txt", "a\nb\nc\n"), ref = file("ref.txt", "a\nb\n");
        oneCleanErrorLine(CliTest.run("eval", "score", "--metric", "bleu", "--pred", pred.toString(), "--ref", ref.toString()),
                "ref.txt: 2 lines but ", "pred.txt has 3", "line 3");
        oneCleanErrorLine(CliTest.run("eval", "score", "--metric", "meteor", "--pred", pred.toString(), "--ref", pred.toString()), "unknown metric 'meteor'");
        Path bad = file("bad.jsonl", "{\"id\": 1, \"score\": 1}\n{\"id\": 2, \"score\": \"yes\"}\n");
        oneCleanErrorLine(CliTest.run("eval", "bootstrap", "--scores", bad.toString()), "bad.jsonl: line 2", "'\"yes\"'");
        Path a = file("a.jsonl", "{\"id\": 1, \"score\": 1}\n{\"id\": 2, \"score\": 0}\n"), b = file("b.jsonl", "{\"id\": 1, \"score\": 1}\n");
        oneCleanErrorLine(CliTest.run("eval", "compare", "--a", a.toString(), "--b", b.toString()), "b.jsonl: no item with id '2'", "a.jsonl line 2");
        Path dup = file("dup.jsonl", "{\"id\": 1, \"score\": 1}\n{\"id\": 1, \"score\": 0}\n");
        oneCleanErrorLine(CliTest.run("eval", "compare", "--a", dup.toString(), "--b", b.toString()), "dup.jsonl: line 2", "already used on line 1");
        Files.write(tmp.resolve("latin1.txt"), new byte[] {'o', 'k', '\n', (byte) 0xe9, '\n'});
        oneCleanErrorLine(CliTest.run("eval", "score", "--metric", "f1", "--pred", tmp.resolve("latin1.txt").toString(), "--ref", pred.toString()),
                "latin1.txt: line 2: not valid UTF-8");
        oneCleanErrorLine(CliTest.run("eval", "bootstrap", "--correct", "5", "--total", "3"), "--correct");
    }
}

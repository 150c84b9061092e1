package dev.jllm.data;

import dev.jllm.testkit.TestData;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LocalRunnerTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    @TempDir Path dir;
    Path in;

    /** Song ci (simplified) and Tang poems (traditional) one per line, some twice; C4 web pages as JSONL (gzip), with duplicates. */
    @BeforeEach
    void corpus() throws IOException {
        in = Files.createDirectories(dir.resolve("in"));
        List<String> poems = new ArrayList<>();
        for (String f : List.of("corpora/clean/ci.song.0.json", "tokenizers/corpora/poet.tang.0.json")) {
            // three poems per line: 100–800 characters mostly, so the simplified rule decides
            StringBuilder b = new StringBuilder();
            int n = 0;
            for (JsonNode p : JSON.readTree(TestData.path(f).toFile())) {
                p.get("paragraphs").forEach(x -> b.append(x.asText()));
                if (++n % 3 == 0) {
                    poems.add(b.toString());
                    b.setLength(0);
                }
            }
        }
        List<String> lines = new ArrayList<>(poems);
        lines.addAll(poems.subList(0, 100)); // exact duplicates, in a later shard
        lines.add(poems.get(5) + "😀");
        Files.write(in.resolve("a-poems.txt"), lines, StandardCharsets.UTF_8);
        List<String> c4 = Files.readAllLines(TestData.path("corpora/clean/c4_demo.jsonl"));
        List<String> web = new ArrayList<>(c4);
        web.addAll(c4.subList(0, 30));
        try (OutputStream o = new GZIPOutputStream(Files.newOutputStream(in.resolve("b-web.jsonl.gz")))) {
            o.write(String.join("\n", web).getBytes(StandardCharsets.UTF_8));
        }
    }

    private static CleanConfig config(String preset, Map<String, Object> extra) throws IOException {
        Map<String, Object> o = new TreeMap<>(Map.of("output.shard_bytes", 65536, "dedup.minhash.enabled", true, "output.rejected", true));
        o.putAll(extra);
        return CleanConfigLoader.load(preset, null, o);
    }

    private LocalRunner.Result run(CleanConfig cfg, String out, int threads) throws Exception {
        return LocalRunner.run(cfg, new LocalRunner.Options(List.of(in), dir.resolve(out), threads, null));
    }

    /** Every file under the output directory except the state JSON (it holds timings-free stats; compared separately). */
    private static Map<String, byte[]> files(Path root) throws IOException {
        Map<String, byte[]> m = new TreeMap<>();
        try (Stream<Path> s = Files.walk(root)) {
            for (Path p : (Iterable<Path>) s.filter(Files::isRegularFile)::iterator) {
                if (p.getFileName().toString().equals("manifest.json")) continue;
                m.put(root.relativize(p).toString(), Files.readAllBytes(p));
            }
        }
        return m;
    }

    @Test
    void sameOutputForOneAndFourThreads() throws Exception {
        CleanConfig cfg = config("seed", Map.of());
        LocalRunner.Result one = run(cfg, "out1", 1);
        LocalRunner.Result four = run(cfg, "out4", 4);
        Map<String, byte[]> a = files(dir.resolve("out1")), b = files(dir.resolve("out4"));
        assertEquals(a.keySet(), b.keySet());
        for (String k : a.keySet()) assertArrayEquals(a.get(k), b.get(k), k);
        assertTrue(one.shards() > 10, "several shards: " + one.shards());
        assertEquals(one.stats().docsOut, four.stats().docsOut);

        CleanStats s = one.stats();
        assertEquals(333 + 333 + 100 + 1 + 330, s.docsIn);
        // Tang poems fail the simplified rule, English pages too (no Han) unless the length rule came first
        assertTrue(s.rejected.get("simplified") >= 333, "every Tang triple: " + s.rejected);
        assertEquals(1L, s.rejected.get("emoji"));
        assertEquals(100, s.exactDuplicates, "the repeated Song ci lines");
        assertEquals(333, s.docsOut, "every Song ci triple, once");
        assertEquals(s.docsIn, s.docsOut + s.rejected.values().stream().mapToLong(Long::longValue).sum());
        assertEquals(5, s.examples.get("simplified").size());
        assertTrue(s.examples.get("simplified").get(0).source.contains("a-poems.txt:"));
        assertTrue(s.examples.get("emoji").get(0).reason.contains("U+1F600"), s.examples.get("emoji").get(0).reason);
    }

    @Test
    void rerunSkipsFinishedShards() throws Exception {
        CleanConfig cfg = config("zh-web", Map.of());
        LocalRunner.Result first = run(cfg, "out", 2);
        Map<String, byte[]> before = files(dir.resolve("out"));
        // the second run finds every shard finished
        LocalRunner.Result again = run(cfg, "out", 2);
        assertEquals(first.shards(), again.shardsSkipped());
        assertEquals(0, again.bytesProcessed());
        // a crash before shard 3 committed: its state and outputs are gone; only it is redone, and dedup
        // still sees the keys of the shards before and after it
        Path out = dir.resolve("out");
        Files.delete(out.resolve("_state/part-00003.json"));
        Files.delete(out.resolve("part-00003.jsonl"));
        LocalRunner.Result resumed = run(cfg, "out", 2);
        assertEquals(first.shards() - 1, resumed.shardsSkipped());
        assertTrue(resumed.bytesProcessed() > 0 && resumed.bytesProcessed() <= 70000, "one shard: " + resumed.bytesProcessed());
        Map<String, byte[]> after = files(out);
        assertEquals(before.keySet(), after.keySet());
        for (String k : before.keySet()) assertArrayEquals(before.get(k), after.get(k), k);
        assertEquals(first.stats().docsOut, resumed.stats().docsOut);
        assertEquals(first.stats().nearDuplicates, resumed.stats().nearDuplicates);
        // a different configuration may not reuse the directory
        assertThrows(IllegalArgumentException.class, () -> run(config("seed", Map.of()), "out", 2));
    }

    @Test
    void badInputIsNamedAndCounted() throws Exception {
        Path bad = Files.createDirectories(dir.resolve("bad"));
        Files.writeString(bad.resolve("a.jsonl"), "{\"text\": \"fine\"}\n{\"text\": \"fine too\"}\n{\"text\": broken\n[1,2]\n{\"text\": 5}\n");
        Files.write(bad.resolve("b.jsonl.gz"), new byte[] {0x1f, (byte) 0x8b, 8, 0, 1, 2, 3, 4, 5, 6, 7});
        CleanConfig cfg = CleanConfigLoader.load(null, null, Map.of());
        LocalRunner.Result r = LocalRunner.run(cfg, new LocalRunner.Options(List.of(bad), dir.resolve("o"), 2, null));
        assertEquals(3, r.stats().malformed);
        List<CleanStats.Example> ex = r.stats().examples.get("malformed");
        assertEquals(bad.resolve("a.jsonl") + ":3", ex.get(0).source);
        assertTrue(ex.get(0).reason.startsWith("invalid JSON"), ex.get(0).reason);
        assertEquals("not a JSON object", ex.get(1).reason);
        assertEquals("field 'text' is number, not a string", ex.get(2).reason);
        assertEquals(2, r.stats().docsOut);
        assertEquals(1, r.fileErrors().size());
        assertTrue(r.fileErrors().get(0).startsWith(bad.resolve("b.jsonl.gz").toString()), r.fileErrors().get(0));

        CleanConfig failFast = CleanConfigLoader.load(null, null, Map.of("input.fail_fast", true));
        IOException e = assertThrows(IOException.class,
                () -> LocalRunner.run(failFast, new LocalRunner.Options(List.of(bad), dir.resolve("o2"), 2, null)));
        assertTrue(e.getMessage().contains("b.jsonl.gz") && e.getMessage().contains("--fail-fast"), e.getMessage());
    }

    @Test
    void missingTextFieldSaysWhichFieldsExist() throws Exception {
        Path f = dir.resolve("alpaca.jsonl");
        Files.writeString(f, "{\"instruction\": \"a\", \"output\": \"b\"}\n{\"instruction\": \"c\", \"output\": \"d\"}\n");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> LocalRunner.run(CleanConfigLoader.load(null, null, Map.of()),
                new LocalRunner.Options(List.of(f), dir.resolve("o"), 1, null)));
        assertEquals(f + ":1: no field 'text'; the object has: instruction, output (choose one with --text-field)", e.getMessage());
    }

    @Test
    void paragraphDocumentsAndReport() throws Exception {
        Path f = dir.resolve("p.txt");
        Files.writeString(f, "first doc line one\nline two\n\n\n  \nsecond doc\n\nthird doc\n");
        CleanConfig cfg = CleanConfigLoader.load(null, null, Map.of("input.txt_docs", "paragraph", "output.rejected", true));
        LocalRunner.Result r = LocalRunner.run(cfg, new LocalRunner.Options(List.of(f), dir.resolve("o"), 2, null));
        assertEquals(3, r.stats().docsIn);
        List<String> out = Files.readAllLines(dir.resolve("o/part-00000.jsonl"));
        assertEquals(List.of("{\"text\":\"first doc line one\\nline two\"}", "{\"text\":\"second doc\"}", "{\"text\":\"third doc\"}"), out);
        Path rep = dir.resolve("report");
        RunReport.write(rep, r, cfg, new CleanPipeline(cfg).stepNames(), List.of(f.toString()));
        for (String n : List.of("report.html", "report.json", "length.png", "simplified.png")) assertTrue(Files.size(rep.resolve(n)) > 100, n);
        JsonNode j = JSON.readTree(rep.resolve("report.json").toFile());
        assertEquals(3, j.get("totals").get("docs_out").asInt());
        byte[] png = Files.readAllBytes(rep.resolve("length.png"));
        assertArrayEquals(new byte[] {(byte) 0x89, 'P', 'N', 'G'}, java.util.Arrays.copyOf(png, 4));
    }
}

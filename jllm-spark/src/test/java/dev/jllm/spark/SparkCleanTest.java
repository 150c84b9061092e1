package dev.jllm.spark;

import dev.jllm.testkit.TestData;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jllm.data.CleanConfig;
import dev.jllm.data.CleanConfigLoader;
import dev.jllm.data.LocalRunner;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The Spark job keeps exactly the documents, in the same order, that the local runner keeps (local[2], SPARK_LOCAL_IP=127.0.0.1). */
class SparkCleanTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static SparkSession spark;
    @TempDir Path dir;

    @BeforeAll
    static void start() {
        spark = SparkSession.builder().master("local[2]").appName("jllm-clean-test")
                .config("spark.ui.enabled", "false").config("spark.sql.shuffle.partitions", "4").getOrCreate();
    }

    @AfterAll
    static void stop() {
        spark.stop();
    }

    /** Song ci (simplified) and Tang poems (traditional), three per line, some repeated; C4 pages with exact and near duplicates (gzip JSONL); wiki articles. */
    private Path corpus() throws IOException {
        Path in = Files.createDirectories(dir.resolve("in"));
        List<String> poems = new ArrayList<>();
        for (String f : List.of("corpora/clean/ci.song.0.json", "tokenizers/corpora/poet.tang.0.json")) {
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
        lines.addAll(poems.subList(0, 60));
        for (int i = 0; i < 60; i++) lines.add(poems.get(i).replaceFirst("。", "，") + "长");
        Files.write(in.resolve("a-poems.txt"), lines, StandardCharsets.UTF_8);
        List<String> web = new ArrayList<>(Files.readAllLines(TestData.path("corpora/clean/c4_demo.jsonl")));
        for (int i = 0; i < 40; i++) web.add(web.get(i));
        for (int i = 0; i < 40; i++) {
            com.fasterxml.jackson.databind.node.ObjectNode o = (com.fasterxml.jackson.databind.node.ObjectNode) JSON.readTree(web.get(i));
            o.put("text", o.get("text").asText() + " Call us today for a free quote.");
            web.add(JSON.writeValueAsString(o));
        }
        Files.write(in.resolve("b-web.jsonl"), web, StandardCharsets.UTF_8);
        Files.copy(TestData.path("corpora/clean/wiki_demo.txt"), in.resolve("c-wiki.txt"));
        return in;
    }

    private static List<String> lines(Path outDir, String glob) throws IOException {
        List<String> all = new ArrayList<>();
        try (Stream<Path> s = Files.list(outDir)) {
            for (Path p : (Iterable<Path>) s.filter(p -> p.getFileName().toString().matches(glob)).sorted()::iterator) {
                all.addAll(Files.readAllLines(p, StandardCharsets.UTF_8));
            }
        }
        return all;
    }

    private void sameAsLocal(String preset) throws Exception {
        Path in = corpus();
        CleanConfig cfg = CleanConfigLoader.load(preset, null, Map.of("dedup.minhash.enabled", true, "output.shard_bytes", 200000));
        LocalRunner.Result local = LocalRunner.run(cfg, new LocalRunner.Options(List.of(in), dir.resolve("local"), 2, null));
        SparkClean.Summary s = SparkClean.run(spark, cfg, List.of(in), dir.resolve("spark").toString());
        List<String> expected = lines(dir.resolve("local"), "part-\\d+\\.jsonl");
        List<String> actual = lines(dir.resolve("spark"), "part-.*\\.txt");
        assertEquals(expected.size(), actual.size(), preset);
        assertEquals(expected, actual, preset);
        assertEquals(local.stats().exactDuplicates, s.exactDuplicates(), preset);
        assertEquals(local.stats().nearDuplicates, s.nearDuplicates(), preset);
        assertTrue(s.exactDuplicates() > 0 && s.nearDuplicates() > 0, preset + ": " + s);
    }

    @Test
    void seedPresetKeepsWhatTheLocalRunnerKeeps() throws Exception {
        sameAsLocal("seed");
    }

    @Test
    void enWebPresetKeepsWhatTheLocalRunnerKeeps() throws Exception {
        sameAsLocal("en-web");
    }
}

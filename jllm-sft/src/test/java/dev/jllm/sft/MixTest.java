package dev.jllm.sft;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jllm.chat.ChatTemplate;
import java.io.IOException;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The --mix parser, sampling proportions, and the held-out split. */
class MixTest {
    @TempDir
    Path dir;

    Path source(String name, int n) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < n; i++) sb.append("{\"instruction\": \"").append(name).append(' ').append(i).append("\", \"output\": \"ok ").append(i).append("\"}\n");
        return Fixtures.write(dir, name + ".jsonl", sb.toString());
    }

    SftData prepare(String mix, SftConfig cfg) throws IOException {
        return SftData.prepare(MixSpec.parse(mix), ChatTemplate.fallback(), Fixtures.qwen3(), cfg);
    }

    @Test
    void parsesNamesFilesAndWeights() {
        MixSpec m = MixSpec.parse("code=data/code.jsonl:8, math=math.jsonl:1,general=g.json");
        assertEquals(List.of("code", "math", "general"), m.sources().stream().map(MixSpec.Source::name).toList());
        assertEquals(Path.of("data/code.jsonl"), m.sources().getFirst().file());
        assertArrayEquals(new double[] {0.8, 0.1, 0.1}, m.probabilities(), 1e-12);
        assertEquals(1.0, m.sources().get(2).weight(), "weight defaults to 1");
        assertEquals(Path.of("a:b.jsonl"), MixSpec.parse("x=a:b.jsonl:2").sources().getFirst().file(), "the weight follows the last ':'");
        assertEquals("alpaca_en_demo", MixSpec.single(Path.of("d/alpaca_en_demo.json")).sources().getFirst().name());
    }

    @Test
    void parseErrorsQuoteTheEntry() {
        assertError("", "empty mix; expected NAME=FILE[:WEIGHT],... e.g. code=code.jsonl:8,math=math.jsonl:1");
        assertError("code.jsonl", "mix entry 1 'code.jsonl': expected NAME=FILE[:WEIGHT], e.g. math=math.jsonl:1");
        assertError("a=x,=y", "mix entry 2 '=y': the source name before '=' is empty");
        assertError("a=", "mix entry 1 'a=': the file after '=' is empty");
        assertError("a=x.jsonl:abc", "mix entry 1 'a=x.jsonl:abc': weight 'abc' after the last ':' is not a number"
                + " (a file name containing ':' needs an explicit weight: NAME=FILE:WEIGHT)");
        assertError("a=x:0", "mix entry 1 'a=x:0': weight must be a positive number, got 0");
        assertError("a=x:-2", "mix entry 1 'a=x:-2': weight must be a positive number, got -2");
        assertError("a=x:NaN", "mix entry 1 'a=x:NaN': weight must be a positive number, got NaN");
        assertError("a=x,a=y", "mix entry 2 'a=y': source name 'a' appears twice");
        assertError("a=x,,b=y", "mix entry 2 is empty (a stray ',')");
        assertError("my code=x", "mix entry 1 'my code=x': source name 'my code' must be letters, digits, '_', '-' or '.'");
    }

    static void assertError(String spec, String message) {
        assertEquals(message, assertThrows(IllegalArgumentException.class, () -> MixSpec.parse(spec)).getMessage());
    }

    /**
     * 8:1:1 over N = 12,000 draws: each source's count is Binomial(N, p); the test allows 4.5 standard
     * deviations (sqrt(N·p·(1−p)): 43.8 draws for p = 0.8, 32.9 for 0.1), a 1-in-150,000 miss for a fair
     * sampler — and the draws are a fixed function of the seed, so the test is deterministic anyway.
     */
    @Test
    void sourcesAreDrawnInProportionToTheirWeights() throws IOException {
        source("code", 40);
        source("math", 10);
        source("general", 10);
        String mix = "code=" + dir.resolve("code.jsonl") + ":8,math=" + dir.resolve("math.jsonl") + ":1,general=" + dir.resolve("general.jsonl") + ":1";
        for (SftConfig.Packing packing : SftConfig.Packing.values()) {
            SftData d = prepare(mix, SftConfig.builder(64, 12).packing(packing).seed(11).build());
            long[] counts = new long[3];
            long n = 0;
            for (long m = 0; n < 12_000; m++) {
                for (SftBatch.Placement p : d.batch(m).samples()) {
                    if (n++ < 12_000) counts[p.source()]++;
                }
            }
            double[] p = {0.8, 0.1, 0.1};
            for (int s = 0; s < 3; s++) {
                double mean = 12_000 * p[s], sd = Math.sqrt(12_000 * p[s] * (1 - p[s]));
                assertTrue(Math.abs(counts[s] - mean) <= 4.5 * sd, packing + " source " + s + ": " + counts[s] + " draws, expected " + mean + " ± " + 4.5 * sd);
            }
            // the small sources are oversampled: math's 10 samples went round many epochs while code is on its ~24th
            assertTrue(d.batch(0).samples().stream().allMatch(pl -> pl.epoch() == 0));
        }
    }

    @Test
    void heldOutRecordsAreAFixedFractionPerSourceChosenBySeedAndName() throws IOException {
        source("a", 40);
        source("b", 7);
        String one = "a=" + dir.resolve("a.jsonl");
        String two = one + ":3,b=" + dir.resolve("b.jsonl");
        SftData d = prepare(two, SftConfig.builder(128, 2).valFraction(0.1).seed(9).build());
        assertEquals(4, d.stats().get(0).heldOutRecords(), "round(0.1 × 40)");
        assertEquals(1, d.stats().get(1).heldOutRecords(), "round(0.7) = 1");
        assertEquals(36, d.trainSamples(0));
        assertEquals(4, d.validationSamples(0));
        Set<Long> valLines = lines(d, 0, true);
        Set<Long> trainLines = lines(d, 0, false);
        assertEquals(40, valLines.size() + trainLines.size());
        assertTrue(valLines.stream().noneMatch(trainLines::contains), "held-out records never train");
        // same seed and name → same held-out records, whatever else is mixed in or the row length
        assertEquals(valLines, lines(prepare(one, SftConfig.builder(256, 1).valFraction(0.1).seed(9).build()), 0, true));
        assertNotEquals(valLines, lines(prepare(one, SftConfig.builder(128, 2).valFraction(0.1).seed(10).build()), 0, true));
        // no training draw ever names a held-out record
        for (long m = 0; m < 50; m++) {
            for (SftBatch.Placement p : d.batch(m).samples()) assertTrue(!valLines.contains(d.trainSample(p.source(), p.sample()).line()) || p.source() != 0);
        }
        // validation batches hold every held-out sample once, in order, with the same invariants
        List<SftBatch> val = d.validationBatches();
        int seen = 0;
        for (SftBatch b : val) {
            RowsTest.checkInvariants(d, b, true);
            seen += b.samples().size();
        }
        assertEquals(5, seen);
        assertTrue(d.hasValidation());
        assertTrue(!prepare(one, SftConfig.builder(128, 2).build()).hasValidation());
    }

    static Set<Long> lines(SftData d, int source, boolean val) {
        Set<Long> out = new HashSet<>();
        int n = val ? d.validationSamples(source) : d.trainSamples(source);
        for (int i = 0; i < n; i++) out.add((val ? d.validationSample(source, i) : d.trainSample(source, i)).line());
        return out;
    }
}

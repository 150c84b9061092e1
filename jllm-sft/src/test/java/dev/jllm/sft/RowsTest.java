package dev.jllm.sft;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jllm.chat.ChatTemplate;
import dev.jllm.sft.SftConfig.Packing;
import dev.jllm.tokenizer.Tokenizer;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Rows for the trainer: packing/padding invariants, the same rows on every run and resume, epochs, truncation. */
class RowsTest {
    @TempDir
    Path dir;

    /** n Alpaca records whose answers have 1..30 words, so samples differ in length. */
    Path source(String name, int n) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < n; i++) {
            String answer = (name + i + " ").repeat(1 + (i * 7) % 30).strip();
            sb.append("{\"instruction\": \"Tell me about ").append(name).append(' ').append(i).append("\", \"output\": \"").append(answer).append("\"}\n");
        }
        return Fixtures.write(dir, name + ".jsonl", sb.toString());
    }

    SftData prepare(String mix, SftConfig cfg) throws IOException {
        return SftData.prepare(MixSpec.parse(mix), ChatTemplate.fallback(), Fixtures.qwen3(), cfg);
    }

    /** Every rule of {@link SftBatch}, checked position by position against the samples it names. */
    static void checkInvariants(SftData d, SftBatch b, boolean val) {
        int S = b.seqLen();
        Set<Integer> covered = new HashSet<>();
        int[] perRow = new int[b.rows()];
        for (SftBatch.Placement p : b.samples()) {
            SftData.Sample x = val ? d.validationSample(p.source(), p.sample()) : d.trainSample(p.source(), p.sample());
            assertEquals(x.tokens().length, p.length());
            assertEquals(perRow[p.row()], p.offset(), "samples are laid end to end from the row's start");
            assertEquals(p.segment(), perRow[p.row()] == 0 ? 0 : segmentOf(b, p.row() * S + p.offset() - 1) + 1);
            perRow[p.row()] += p.length();
            assertTrue(perRow[p.row()] <= S);
            for (int j = 0; j < p.length(); j++) {
                int at = p.row() * S + p.offset() + j;
                covered.add(at);
                assertEquals(x.tokens()[j], b.inputs()[at]);
                assertEquals(j, b.positions()[at], "positions restart at each sample");
                assertEquals(p.segment(), b.segments()[at]);
                assertEquals(p.source(), b.sourceOfToken()[at]);
                int want = j + 1 < p.length() && x.loss()[j + 1] ? x.tokens()[j + 1] : SftBatch.IGNORE;
                assertEquals(want, b.targets()[at], "target = next token of the same sample where it is learned");
            }
        }
        for (int at = 0; at < b.inputs().length; at++) {
            if (covered.contains(at)) continue;
            assertEquals(-1, b.segments()[at]);
            assertEquals(SftBatch.IGNORE, b.targets()[at]);
            assertEquals(-1, b.sourceOfToken()[at]);
            assertTrue(at % S >= perRow[at / S], "padding only after a row's samples");
        }
    }

    static int segmentOf(SftBatch b, int at) {
        return b.segments()[at];
    }

    @Test
    void packedAndPaddedRowsKeepEveryInvariant() throws IOException {
        source("a", 30);
        source("b", 12);
        for (Packing packing : Packing.values()) {
            SftData d = prepare("a=" + dir.resolve("a.jsonl") + ":3,b=" + dir.resolve("b.jsonl") + ":1",
                    SftConfig.builder(160, 4).packing(packing).valFraction(0.2).seed(7).build());
            for (long m = 0; m < 40; m++) {
                SftBatch b = d.batch(m);
                checkInvariants(d, b, false);
                if (packing == Packing.PAD) {
                    assertEquals(4, b.samples().size(), "one sample per row");
                } else {
                    // greedy first-fit: the sample that opens the next micro-batch fits no row of this one
                    int next = d.batch(m + 1).samples().getFirst().length();
                    int[] used = new int[4];
                    for (SftBatch.Placement p : b.samples()) used[p.row()] += p.length();
                    for (int u : used) assertTrue(u + next > 160, "row with " + u + " tokens could take the next " + next);
                }
            }
            for (SftBatch v : d.validationBatches()) checkInvariants(d, v, true);
        }
    }

    @Test
    void packingFillsRowsBetterThanPadding() throws IOException {
        source("a", 30);
        SftConfig.Builder cfg = SftConfig.builder(256, 4).seed(1);
        SftData pack = prepare("a=" + dir.resolve("a.jsonl"), cfg.packing(Packing.PACK).build());
        SftData pad = prepare("a=" + dir.resolve("a.jsonl"), cfg.packing(Packing.PAD).build());
        double fillPack = 0, fillPad = 0;
        for (long m = 0; m < 20; m++) {
            fillPack += pack.batch(m).fill() / 20;
            fillPad += pad.batch(m).fill() / 20;
        }
        assertTrue(fillPack > 2 * fillPad, "pack " + fillPack + " vs pad " + fillPad);
        assertTrue(pack.batch(0).samples().stream().anyMatch(p -> p.segment() > 0), "several samples share a row");
    }

    @Test
    void theSameRowsOnEveryRunInAnyOrderAndOnResume() throws IOException {
        source("a", 25);
        source("b", 9);
        String mix = "a=" + dir.resolve("a.jsonl") + ":2,b=" + dir.resolve("b.jsonl") + ":1";
        SftConfig cfg = SftConfig.builder(128, 3).seed(42).build();
        SftData first = prepare(mix, cfg);
        List<SftBatch> inOrder = new ArrayList<>();
        for (long m = 0; m < 300; m++) inOrder.add(first.batch(m));
        // a "resumed" run: fresh data, jumping straight to micro-batch 250, then backwards, then on
        SftData resumed = prepare(mix, cfg);
        for (long m : new long[] {250, 251, 3, 299, 0, 130, 131}) assertSame(inOrder.get((int) m), resumed.batch(m));
        assertSame(inOrder.get(2 * 4 + 1), first.batch(2, 1, 4));
        SftData other = prepare(mix, SftConfig.builder(128, 3).seed(43).build());
        assertFalse(Arrays.equals(inOrder.getFirst().inputs(), other.batch(0).inputs()), "another seed, other rows");
    }

    static void assertSame(SftBatch want, SftBatch got) {
        assertArrayEquals(want.inputs(), got.inputs());
        assertArrayEquals(want.targets(), got.targets());
        assertArrayEquals(want.positions(), got.positions());
        assertArrayEquals(want.segments(), got.segments());
        assertArrayEquals(want.sourceOfToken(), got.sourceOfToken());
        assertEquals(want.samples(), got.samples());
    }

    @Test
    void eachEpochIsAFreshShuffleOfTheWholeSource() throws IOException {
        source("a", 12);
        for (Packing packing : Packing.values()) {
            SftData d = prepare("a=" + dir.resolve("a.jsonl"), SftConfig.builder(512, 2).packing(packing).seed(5).build());
            List<SftBatch.Placement> draws = new ArrayList<>();
            for (long m = 0; draws.size() < 36; m++) draws.addAll(d.batch(m).samples());
            List<List<Integer>> epochs = new ArrayList<>();
            for (int e = 0; e < 3; e++) {
                List<Integer> order = new ArrayList<>();
                for (int k = 12 * e; k < 12 * e + 12; k++) {
                    assertEquals(e, draws.get(k).epoch());
                    order.add(draws.get(k).sample());
                }
                assertEquals(12, new HashSet<>(order).size(), "every sample once per epoch: " + order);
                epochs.add(order);
            }
            assertNotEquals(epochs.get(0), epochs.get(1), "reshuffled per epoch");
            long m = d.microBatchesForEpochs(1);
            assertTrue(d.epochAt(m) >= 1 && d.epochAt(m - 1) < 1, "epochs -> micro-batches: " + m);
        }
        SftData pad = prepare("a=" + dir.resolve("a.jsonl"), SftConfig.builder(512, 4).packing(Packing.PAD).build());
        assertEquals(6, pad.microBatchesForEpochs(2), "24 draws in rows of 4");
        assertEquals(1.0, pad.epochAt(3));
    }

    @Test
    void longSamplesAreTruncatedOrDroppedAndCounted() throws IOException {
        String longAnswer = "word ".repeat(200).strip();
        String longPrompt = "context ".repeat(200).strip();
        Path f = Fixtures.write(dir, "l.jsonl", "{\"instruction\": \"short\", \"output\": \"ok\"}\n"
                + "{\"instruction\": \"long answer\", \"output\": \"" + longAnswer + "\"}\n"
                + "{\"instruction\": \"" + longPrompt + "\", \"output\": \"buried\"}\n");
        SftData t = prepare("l=" + f, SftConfig.builder(64, 2).build());
        SftData.SourceStats st = t.stats().getFirst();
        assertEquals(2, st.truncated());
        assertEquals(1, st.droppedNoLoss(), "the buried answer is past the cut: nothing left to learn");
        assertEquals(2, st.trainSamples());
        assertEquals(64, t.trainSample(0, 1).tokens().length, "kept the start");
        assertEquals(2L, t.trainSample(0, 1).line());
        SftData dr = prepare("l=" + f, SftConfig.builder(64, 2).overflow(SftConfig.Overflow.DROP).build());
        assertEquals(2, dr.stats().getFirst().droppedTooLong());
        assertEquals(1, dr.stats().getFirst().trainSamples());
        assertTrue(dr.summary().contains("dropped 2 too long"), dr.summary());
    }

    @Test
    void bundledLlamaFactoryDataOnBothVocabularies() throws IOException {
        Path id = dev.jllm.testkit.TestData.path("sft/identity.json");
        Path en = dev.jllm.testkit.TestData.path("sft/alpaca_en_demo.200.json");
        Path zh = dev.jllm.testkit.TestData.path("sft/alpaca_zh_demo.200.json");
        MixSpec mix = MixSpec.parse("identity=" + id + ":2,en=" + en + ":1,zh=" + zh + ":1");
        SftConfig cfg = SftConfig.builder(512, 4).variables(java.util.Map.of("name", "Jllm", "author", "jllm")).valFraction(0.05).seed(3).build();
        Tokenizer[] toks = {Fixtures.qwen3(), Fixtures.stories()};
        ChatTemplate[] templates = {ChatTemplate.fallback(), Fixtures.storiesTemplate()};
        for (int v = 0; v < 2; v++) {
            SftData d = SftData.prepare(mix, templates[v], toks[v], cfg);
            assertEquals(List.of(91, 200, 200), d.stats().stream().map(SftData.SourceStats::records).toList());
            assertEquals(List.of(5, 10, 10), d.stats().stream().map(SftData.SourceStats::heldOutRecords).toList());
            for (long m = 0; m < 10; m++) checkInvariants(d, d.batch(m), false);
            SftData.Sample s = d.trainSample(0, 0);
            String learned = String.join("|", Fixtures.learnedRuns(toks[v], s.tokens(), s.loss()));
            assertTrue(learned.endsWith("<|im_end|>") && learned.contains("Jllm"), learned);
        }
    }
}

package dev.jllm.cli;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jllm.gguf.GgufFile;
import dev.jllm.model.Imatrix;
import dev.jllm.tensor.GgmlType;
import dev.jllm.testkit.TestData;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code jllm imatrix}, {@code jllm quantize --method imatrix|gptq} and {@code jllm quant-report} end to end.
 * The imatrix of the golden model 0 (scripts/golden/make_llamacpp_imatrix_golden.sh: jllm init, 8
 * layers, on tinystories_sample.txt at -c 128) agrees with llama-imatrix's file column by column.
 */
class QuantMethodsTest {
    @TempDir Path tmp;

    static final String[] MODEL0 = {"init", "--arch", "llama", "--dim", "256", "--hidden", "512", "--layers", "8", "--heads", "4", "--kv-heads", "2",
        "--head-dim", "64", "--vocab", "600", "--ctx", "256", "--std", "0.08", "--seed", "11"};

    @Test
    void imatrixAgreesWithLlamaImatrix() throws Exception {
        Path m = tmp.resolve("m0.gguf"), im = tmp.resolve("im.gguf");
        String[] init = java.util.Arrays.copyOf(MODEL0, MODEL0.length + 1);
        init[MODEL0.length] = m.toString();
        assertEquals(0, CliTest.run(init).code());
        CliTest.Run r = CliTest.run("imatrix", "-m", m.toString(), "-f", TestData.path("corpora/tinystories_sample.txt").toString(), "-o", im.toString(),
                "-c", "128", "-t", "2");
        assertEquals(0, r.code(), r.err());
        // llama-imatrix printed "Final estimate: PPL = 1548.8919 +/- 37.11507" for the same chunks
        Matcher ppl = Pattern.compile("PPL = ([\\d.]+)").matcher(r.out());
        assertTrue(ppl.find(), r.out());
        assertEquals(1548.8919, Double.parseDouble(ppl.group(1)), 1548.8919 * 1e-3);
        Imatrix ours = Imatrix.read(im), theirs = Imatrix.read(TestData.path("golden/imatrix/llamacpp-m0.imatrix.gguf"));
        assertEquals(theirs.entries().keySet(), ours.entries().keySet());
        assertEquals(theirs.chunkCount(), ours.chunkCount());
        assertEquals(theirs.chunkSize(), ours.chunkSize());
        double worst = 0;
        for (String name : theirs.entries().keySet()) {
            assertArrayEquals(theirs.entries().get(name).counts(), ours.entries().get(name).counts(), name);
            float[] a = theirs.entries().get(name).sums(), b = ours.entries().get(name).sums();
            for (int i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]) / Math.abs(a[i]));
        }
        // float activations through different kernels and an f16 KV cache on both sides: 2.5e-4 measured
        assertTrue(worst < 2e-3, "worst relative difference per column " + worst);
    }

    @Test
    void gptqAndReport() throws Exception {
        Path m = tmp.resolve("m.gguf"), out = tmp.resolve("rep");
        assertEquals(0, CliTest.run("init", "--arch", "llama", "--dim", "64", "--hidden", "128", "--layers", "2", "--heads", "2", "--kv-heads", "1",
                "--head-dim", "32", "--vocab", "600", "--ctx", "128", "--std", "0.1", "--seed", "3", m.toString()).code());
        String text = TestData.path("corpora/tinystories_sample.txt").toString();
        Path g = tmp.resolve("g.gguf");
        CliTest.Run q = CliTest.run("quantize", m.toString(), g.toString(), "--type", "Q4_0", "--method", "gptq", "--calib", text, "-c", "64",
                "--calib-tokens", "512", "--act-order", "-t", "2");
        assertEquals(0, q.code(), q.err());
        Matcher tot = Pattern.compile("total output error ([\\d.e+-]+) vs ([\\d.e+-]+) rounding").matcher(q.err());
        assertTrue(tot.find(), q.err());
        assertTrue(Double.parseDouble(tot.group(1)) < Double.parseDouble(tot.group(2)), tot.group());
        try (GgufFile f = GgufFile.open(g)) {
            assertEquals(GgmlType.Q4_0, f.tensor("blk.1.ffn_down.weight").type());
        }
        CliTest.Run bad = CliTest.run("quantize", m.toString(), g.toString(), "--type", "Q4_0", "--method", "gptq");
        assertNotEquals(0, bad.code());
        assertTrue(bad.err().contains("--calib"), bad.err());

        CliTest.Run r = CliTest.run("quant-report", "-m", m.toString(), "-f", text, "--calib", text, "--types", "Q4_0,Q8_0", "--out", out.toString(),
                "-c", "64", "--chunks", "4", "--calib-tokens", "256", "--speed-prompt", "16", "--speed-decode", "4", "-t", "2");
        assertEquals(0, r.code(), r.err());
        JsonNode rep = new ObjectMapper().readTree(out.resolve("report.json").toFile());
        assertEquals(1 + 2 * 3, rep.get("rows").size());
        double basePpl = rep.get("rows").get(0).get("ppl").asDouble();
        for (JsonNode row : rep.get("rows")) {
            assertTrue(row.get("ppl").asDouble() > 1, row.toString());
            // ΔPPL is against the base row's PPL (not the KL file's floored PPL(base)): the table's columns agree
            assertEquals(100 * (row.get("ppl").asDouble() / basePpl - 1), row.get("deltaPplPct").asDouble(), 1e-9, row.toString());
            if (!row.get("method").asText().equals("-")) assertTrue(row.get("meanKld").asDouble() > 0, row.toString());
        }
        JsonNode q8 = rep.get("rows").get(4);
        assertEquals("Q8_0", q8.get("type").asText());
        assertTrue(q8.get("bitsPerWeight").asDouble() > 8 && q8.get("bitsPerWeight").asDouble() < 9, q8.toString());
        assertTrue(Files.size(out.resolve("report.png")) > 1000);
        assertTrue(Files.readString(out.resolve("report.md")).contains("| Q4_0 | gptq |"));
    }

    /** IQ4_XS end to end: quantize, info's sizes and bits per weight, generation; GPTQ refuses the non-linear grid. */
    @Test
    void iq4EndToEnd() throws Exception {
        Path m = tmp.resolve("m.gguf"), q = tmp.resolve("iq4xs.gguf");
        assertEquals(0, CliTest.run("init", "--arch", "llama", "--dim", "256", "--hidden", "512", "--layers", "2", "--heads", "4", "--kv-heads", "1",
                "--head-dim", "64", "--vocab", "600", "--ctx", "128", "--std", "0.08", "--seed", "5", m.toString()).code());
        CliTest.Run r = CliTest.run("quantize", m.toString(), q.toString(), "--type", "iq4_xs");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("as IQ4_XS"), r.out());
        try (GgufFile f = GgufFile.open(q)) {
            assertEquals(GgmlType.IQ4_XS, f.tensor("blk.1.attn_q.weight").type());
            assertEquals(GgmlType.Q5_K, f.tensor("blk.1.attn_v.weight").type(), "4 query heads per KV head");
            assertEquals(GgmlType.IQ4_XS, f.tensor("blk.0.ffn_down.weight").type(), "2 layers: the first eighth of ffn_down is empty");
            assertEquals(GgmlType.Q6_K, f.tensor("token_embd.weight").type(), "tied output");
            assertEquals(256 * 256 / 256 * 136, f.tensor("blk.1.attn_q.weight").byteSize());
        }
        CliTest.Run info = CliTest.run("info", q.toString());
        assertEquals(0, info.code(), info.err());
        assertTrue(Pattern.compile("IQ4_XS +\\d+ +[\\d,]+ +[\\d,]+ +4\\.250 ").matcher(info.out()).find(), info.out());
        CliTest.Run gen = CliTest.run("generate", "-m", q.toString(), "-p", "hello", "-n", "4", "--temp", "0");
        assertEquals(0, gen.code(), gen.err());
        CliTest.Run gptq = CliTest.run("quantize", m.toString(), tmp.resolve("g.gguf").toString(), "--type", "IQ4_NL", "--method", "gptq",
                "--calib", TestData.path("corpora/tinystories_sample.txt").toString());
        assertEquals(1, gptq.code());
        assertTrue(gptq.err().contains("non-linear"), gptq.err());
    }
}

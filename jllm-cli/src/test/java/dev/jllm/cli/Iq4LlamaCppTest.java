package dev.jllm.cli;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jllm.gguf.GgufFile;
import dev.jllm.gguf.GgufTensorInfo;
import dev.jllm.tensor.GgmlType;
import dev.jllm.testkit.TestData;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * jllm reads IQ4_NL / IQ4_XS files as llama.cpp does (testdata/golden/llamacpp-iq4-dequant.json,
 * scripts/golden/make_llamacpp_iq4_dequant_golden.sh, llama.cpp 3f545becc). Per case:
 * {@code jllm quantize} writes the tensors llama-quantize wrote (same types and bytes); {@code jllm
 * quantize --type F32} of that file writes the tensors llama-quantize --allow-requantize F32 wrote
 * (jllm's dequantization bit for bit llama.cpp's dequantize_row_iq4_*); and {@code jllm perplexity}
 * on the IQ4 file, running the IQ4 kernels, gives llama-perplexity's figure for the dequantized F32
 * file within 0.1% (as PerplexityTest's) — and within 0.5% of llama-perplexity on the IQ4 file itself,
 * whose products first quantize the activations to Q8_0 / Q8_K (jllm keeps them float; the gap is the
 * same size for Q4_0).
 */
class Iq4LlamaCppTest {
    @TempDir Path tmp;

    static final String[] INIT = {"--arch", "llama", "--dim", "256", "--hidden", "512", "--layers", "2", "--heads", "4", "--kv-heads", "2",
        "--head-dim", "64", "--vocab", "600", "--ctx", "256", "--std", "0.08", "--seed", "11"};

    @Test
    void quantizeDequantizeAndPerplexityMatchLlamaCpp() throws Exception {
        JsonNode golden = new ObjectMapper().readTree(TestData.path("golden/llamacpp-iq4-dequant.json").toFile());
        Path init = tmp.resolve("init.gguf");
        List<String> a = new ArrayList<>(List.of("init"));
        a.addAll(List.of(INIT));
        a.add(init.toString());
        assertEquals(0, CliTest.run(a.toArray(String[]::new)).code());
        String text = TestData.path("corpora/tinystories_sample.txt").toString();
        assertEquals(3, golden.get("cases").size());
        for (JsonNode c : golden.get("cases")) {
            String model = c.get("model").asText(), type = c.get("type").asText(), what = model + " " + type;
            Path in;
            if (model.equals("stories260K.gguf")) in = TestData.path("models/stories260K.gguf");
            else {
                assertEquals(model, "jllm init " + String.join(" ", INIT) + " (F32)");
                in = init;
            }
            Path q = tmp.resolve(type + "-" + in.getFileName()), deq = tmp.resolve("deq-" + q.getFileName());
            CliTest.Run r = CliTest.run("quantize", in.toString(), q.toString(), "--type", type);
            assertEquals(0, r.code(), r.err());
            sameTensors(c.get("quantized"), q, what + " quantized");
            r = CliTest.run("quantize", q.toString(), deq.toString(), "--type", "F32");
            assertEquals(0, r.code(), r.err());
            sameTensors(c.get("dequantized"), deq, what + " dequantized");

            r = CliTest.run("perplexity", "-m", q.toString(), "-f", text, "-c", "128", "-t", "2");
            assertEquals(0, r.code(), r.err());
            Matcher m = Pattern.compile("Final estimate: PPL = ([\\d.]+)").matcher(r.out());
            assertTrue(m.find(), r.out());
            double ppl = Double.parseDouble(m.group(1));
            double deqPpl = c.get("ppl_dequantized").get("final").asDouble(), qPpl = c.get("ppl").get("final").asDouble();
            assertEquals(deqPpl, ppl, deqPpl * 1e-3, what + ": jllm on the IQ4 file vs llama-perplexity on its F32 dequantization");
            assertEquals(qPpl, ppl, qPpl * 5e-3, what + ": jllm vs llama-perplexity (Q8 activations) on the IQ4 file");
        }
    }

    static void sameTensors(JsonNode want, Path file, String what) throws Exception {
        try (GgufFile f = GgufFile.open(file)) {
            assertEquals(want.size(), f.tensors().size(), what);
            boolean iq4 = false;
            for (GgufTensorInfo t : f.tensors()) {
                JsonNode w = want.get(t.name());
                assertNotNull(w, what + " " + t.name());
                assertEquals(GgmlType.byId(w.get(0).asInt()), t.type(), what + " " + t.name() + " type");
                String sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(f.tensorData(t).toArray(ValueLayout.JAVA_BYTE)));
                assertEquals(w.get(1).asText(), sha, what + " " + t.name() + " bytes");
                iq4 |= t.type() == GgmlType.IQ4_NL || t.type() == GgmlType.IQ4_XS;
            }
            assertEquals(!what.endsWith("dequantized"), iq4, what + ": IQ4 tensors present");
        }
    }
}

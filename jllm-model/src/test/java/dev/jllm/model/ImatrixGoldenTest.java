package dev.jllm.model;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jllm.gguf.GgufFile;
import dev.jllm.gguf.GgufTensorInfo;
import dev.jllm.tensor.GgmlType;
import dev.jllm.testkit.TestData;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Importance-matrix quantization equals llama.cpp's: the two deterministic models of
 * {@link QuantizeGoldenTest}, the imatrix files llama-imatrix (3f545bec) wrote for them
 * (testdata/golden/imatrix/), and per type the tensor types and SHA-256 of llama-quantize --imatrix's
 * output (testdata/golden/llamacpp-quantize-imatrix.json, scripts/golden/make_llamacpp_imatrix_golden.sh).
 * Covers the weighted quantizers of Q4_0, Q4_1, Q5_0, Q5_1, Q4_K, Q5_K and Q6_K, the fallbacks of
 * 320-long rows (Q5_0/Q5_1/Q8_0 with weights), and the imatrix-only rule that gives the first
 * ffn_down Q4_1/Q5_1 under Q4_0/Q5_0.
 */
class ImatrixGoldenTest {

    @TempDir Path tmp;

    @Test
    void everyTensorEqualsLlamaQuantizeWithImatrix() throws Exception {
        JsonNode golden = new ObjectMapper().readTree(TestData.path("golden/llamacpp-quantize-imatrix.json").toFile());
        Set<GgmlType> seen = new HashSet<>();
        for (int mi = 0; mi < QuantizeGoldenTest.CONFIGS.length; mi++) {
            JsonNode model = golden.get("models").get(mi);
            assertEquals(model.get("model").asText(), QuantizeGoldenTest.initArgs(QuantizeGoldenTest.CONFIGS[mi], QuantizeGoldenTest.SEEDS[mi]));
            Imatrix im = Imatrix.read(TestData.path("golden/" + model.get("imatrix").asText()));
            try (ModelFile m = ModelFile.open(QuantizeGoldenTest.write(tmp, mi))) {
                Iterator<Map.Entry<String, JsonNode>> types = model.get("types").fields();
                while (types.hasNext()) {
                    Map.Entry<String, JsonNode> e = types.next();
                    String what = "model " + mi + " " + e.getKey();
                    Path out = tmp.resolve(mi + "-" + e.getKey() + ".gguf");
                    Quantizer.quantize(m, Quantizer.Target.parse(e.getKey()), false, out, null,
                            new Quantizer.Options(im, "im" + mi + ".gguf", Map.of()));
                    int mismatches = 0;
                    StringBuilder first = new StringBuilder();
                    try (GgufFile q = GgufFile.open(out)) {
                        assertEquals(e.getValue().size(), q.tensors().size(), what);
                        for (GgufTensorInfo t : q.tensors()) {
                            JsonNode want = e.getValue().get(t.name());
                            assertNotNull(want, what + " " + t.name());
                            assertEquals(GgmlType.byId(want.get(0).asInt()), t.type(), what + " " + t.name() + " type");
                            seen.add(t.type());
                            if (!want.get(1).asText().equals(sha(q.tensorData(t).toArray(ValueLayout.JAVA_BYTE)))) {
                                if (mismatches++ == 0) first.append(t.name()).append(" (").append(t.type()).append(')');
                            }
                        }
                        assertEquals(0, mismatches, what + ": " + mismatches + " tensors differ, first " + first);
                        assertEquals(im.entries().size(), q.get("quantize.imatrix.entries_count").asLong());
                        assertEquals(40, q.get("quantize.imatrix.chunks_count").asLong());
                    }
                }
            }
        }
        assertTrue(seen.containsAll(Set.of(GgmlType.Q4_0, GgmlType.Q4_1, GgmlType.Q5_0, GgmlType.Q5_1, GgmlType.Q4_K, GgmlType.Q5_K,
                GgmlType.Q6_K, GgmlType.Q8_0)), "types " + seen);
    }

    /** llama-imatrix's file: read, written back by jllm, read again: the same entries, and the layout llama.cpp writes. */
    @Test
    void readsAndRewritesLlamaImatrixFiles() throws Exception {
        Path theirs = TestData.path("golden/imatrix/llamacpp-m0.imatrix.gguf");
        Imatrix a = Imatrix.read(theirs);
        assertEquals(56, a.entries().size()); // 8 layers × 7 matrices
        assertEquals(40, a.chunkCount());
        assertEquals(128, a.chunkSize());
        assertEquals(List.of("tinystories_sample.txt"), a.datasets());
        assertEquals(40 * 128, a.entries().get("blk.0.attn_q.weight").counts()[0]);
        assertEquals(512, a.entries().get("blk.3.ffn_down.weight").columns());
        Path ours = tmp.resolve("rewritten.gguf");
        a.write(ours);
        // byte for byte what llama-imatrix wrote: same metadata, tensor order, dims and data
        assertArrayEquals(Files.readAllBytes(theirs), Files.readAllBytes(ours));
        Imatrix b = Imatrix.read(ours);
        assertEquals(a.entries().keySet(), b.entries().keySet());
        float[] w = b.weights("blk.2.ffn_gate.weight");
        float[] s = a.entries().get("blk.2.ffn_gate.weight").sums();
        assertEquals(s[7] / 5120f, w[7]);
    }

    static String sha(byte[] b) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
    }
}

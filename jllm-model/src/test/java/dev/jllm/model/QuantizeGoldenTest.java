package dev.jllm.model;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jllm.gguf.GgufFile;
import dev.jllm.gguf.GgufTensorInfo;
import dev.jllm.tensor.GgmlType;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * jllm quantize produces, tensor for tensor, the same types and the same bytes as llama.cpp's
 * llama-quantize on the same model (testdata/golden/llamacpp-quantize.json, recorded by
 * scripts/golden/make_llamacpp_quantize_golden.sh with llama.cpp c392e50).
 */
class QuantizeGoldenTest {

    @TempDir Path tmp;

    @Test
    void everyTensorEqualsLlamaQuantize() throws Exception {
        JsonNode golden = new ObjectMapper().readTree(TestData.path("golden/llamacpp-quantize.json").toFile());
        // the model `jllm init ... --seed 11 --std 0.08` writes (preset "tiny" supplies eps, theta, tied)
        ModelConfig c = new ModelConfig("llama", 256, 512, 8, 4, 2, 64, 600, 256, 1e-5f, 10000f, true);
        Path f32 = tmp.resolve("m.gguf");
        RandomModel.write(c, GgmlType.F32, 11, 0.08, f32, null);
        try (ModelFile m = ModelFile.open(f32)) {
            Iterator<Map.Entry<String, JsonNode>> types = golden.get("types").fields();
            int checked = 0;
            while (types.hasNext()) {
                Map.Entry<String, JsonNode> e = types.next();
                Path out = tmp.resolve(e.getKey() + ".gguf");
                Quantizer.quantize(m, Quantizer.Target.parse(e.getKey()), false, out, null);
                try (GgufFile q = GgufFile.open(out)) {
                    assertEquals(e.getValue().size(), q.tensors().size(), e.getKey());
                    for (GgufTensorInfo t : q.tensors()) {
                        JsonNode want = e.getValue().get(t.name());
                        assertNotNull(want, e.getKey() + " " + t.name());
                        assertEquals(GgmlType.byId(want.get(0).asInt()), t.type(), e.getKey() + " " + t.name() + " type");
                        byte[] bytes = q.tensorData(t).toArray(java.lang.foreign.ValueLayout.JAVA_BYTE);
                        String sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
                        assertEquals(want.get(1).asText(), sha, e.getKey() + " " + t.name() + " bytes");
                        checked++;
                    }
                }
            }
            assertEquals(8 * 74, checked);
        }
    }
}

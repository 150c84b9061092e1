package dev.jllm.model;

import dev.jllm.testkit.TestData;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jllm.gguf.GgufFile;
import dev.jllm.gguf.GgufTensorInfo;
import dev.jllm.tensor.GgmlType;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * jllm quantize produces, tensor for tensor, the same types and the same bytes as llama.cpp's
 * llama-quantize on the same models (testdata/golden/llamacpp-quantize.json, recorded by
 * scripts/golden/make_llamacpp_quantize_golden.sh with llama.cpp c392e50). Model 0 has every row
 * length a multiple of 256; model 1 has 320-long ffn_down rows, so the K-quants fall back to
 * Q5_0 (from Q4_K), Q5_1 (from Q5_K) and Q8_0 (from Q6_K) there.
 */
class QuantizeGoldenTest {

    @TempDir Path tmp;

    /** The models `jllm init ... --std 0.08 --seed S` writes (preset "tiny" supplies eps, theta, tied). */
    static final ModelConfig[] CONFIGS = {
        new ModelConfig("llama", 256, 512, 8, 4, 2, 64, 600, 256, 1e-5f, 10000f, true),
        new ModelConfig("llama", 256, 320, 8, 4, 2, 64, 600, 256, 1e-5f, 10000f, true),
    };
    static final int[] SEEDS = {11, 12};

    static String initArgs(ModelConfig c, int seed) {
        return "jllm init --arch " + c.architecture() + " --dim " + c.dim() + " --hidden " + c.hiddenDim()
                + " --layers " + c.nLayers() + " --heads " + c.nHeads() + " --kv-heads " + c.nKvHeads()
                + " --head-dim " + c.headDim() + " --vocab " + c.vocabSize() + " --ctx " + c.contextLength()
                + " --std 0.08 --seed " + seed + " (F32)";
    }

    static Path write(Path dir, int model) throws Exception {
        Path f32 = dir.resolve("m" + model + ".gguf");
        RandomModel.write(CONFIGS[model], GgmlType.F32, SEEDS[model], 0.08, f32, null);
        return f32;
    }

    @Test
    void everyTensorEqualsLlamaQuantize() throws Exception {
        JsonNode golden = new ObjectMapper().readTree(TestData.path("golden/llamacpp-quantize.json").toFile());
        assertEquals(CONFIGS.length, golden.get("models").size());
        Set<GgmlType> seen = new HashSet<>();
        for (int mi = 0; mi < CONFIGS.length; mi++) {
            JsonNode model = golden.get("models").get(mi);
            assertEquals(model.get("model").asText(), initArgs(CONFIGS[mi], SEEDS[mi]), "model " + mi);
            try (ModelFile m = ModelFile.open(write(tmp, mi))) {
                Iterator<Map.Entry<String, JsonNode>> types = model.get("types").fields();
                int checked = 0;
                while (types.hasNext()) {
                    Map.Entry<String, JsonNode> e = types.next();
                    String what = "model " + mi + " " + e.getKey();
                    Path out = tmp.resolve(mi + "-" + e.getKey() + ".gguf");
                    Quantizer.quantize(m, Quantizer.Target.parse(e.getKey()), false, out, null);
                    try (GgufFile q = GgufFile.open(out)) {
                        assertEquals(e.getValue().size(), q.tensors().size(), what);
                        for (GgufTensorInfo t : q.tensors()) {
                            JsonNode want = e.getValue().get(t.name());
                            assertNotNull(want, what + " " + t.name());
                            assertEquals(GgmlType.byId(want.get(0).asInt()), t.type(), what + " " + t.name() + " type");
                            byte[] bytes = q.tensorData(t).toArray(java.lang.foreign.ValueLayout.JAVA_BYTE);
                            String sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
                            assertEquals(want.get(1).asText(), sha, what + " " + t.name() + " bytes");
                            if (mi == 1) seen.add(t.type());
                            checked++;
                        }
                    }
                }
                assertEquals(8 * 74, checked, "model " + mi);
            }
        }
        // the second model really exercises the fallbacks
        assertTrue(seen.containsAll(Set.of(GgmlType.Q5_0, GgmlType.Q5_1, GgmlType.Q8_0)), "fallback types " + seen);
    }

    /**
     * The engine runs a model with Q5_0 / Q5_1 tensors (through the formats' fast dot products) to
     * the same logits as the F32 model holding the dequantized weights of that very file; token by
     * token through the KV cache gives the same last logits as the batched prefill.
     */
    @Test
    void fallbackModelRuns() throws Exception {
        ModelConfig c = CONFIGS[1];
        try (ModelFile m = ModelFile.open(write(tmp, 1)); Matmul mm = new Matmul(2)) {
            int[] toks = {1, 20, 30, 40, 50, 60};
            for (String target : new String[] {"Q4_K_M", "Q5_K_M"}) {
                Path out = tmp.resolve("run-" + target + ".gguf"), deq = tmp.resolve("run-" + target + "-f32.gguf");
                Quantizer.quantize(m, Quantizer.Target.parse(target), false, out, null);
                try (ModelFile q = ModelFile.open(out)) {
                    GgmlType want = target.startsWith("Q4") ? GgmlType.Q5_0 : GgmlType.Q5_1;
                    assertEquals(want, q.tensor("blk.1.ffn_down.weight").type(), target);
                    Quantizer.quantize(q, Quantizer.Target.parse("F32"), false, deq, null);
                    try (ModelFile f = ModelFile.open(deq)) {
                        assertEquals(GgmlType.F32, f.tensor("blk.1.ffn_down.weight").type());
                        Transformer ref = new Transformer(new Weights(f), new KvCacheManager(c, GgmlType.F32, 16, 4), mm);
                        float[] la = ref.forward(Batch.of(ref.cache().allocate(), toks, 0, Batch.Logits.LAST)).get(0)[0];
                        Transformer tr = new Transformer(new Weights(q), new KvCacheManager(c, GgmlType.F32, 16, 4), mm);
                        float[] lb = tr.forward(Batch.of(tr.cache().allocate(), toks, 0, Batch.Logits.LAST)).get(0)[0];
                        assertTrue(rel(la, lb) < 1e-4, target + " relative logit error vs dequantized F32 " + rel(la, lb));
                        int seq = tr.cache().allocate();
                        float[] step = null;
                        for (int i = 0; i < toks.length; i++) {
                            step = tr.forward(Batch.of(seq, new int[] {toks[i]}, i, Batch.Logits.LAST)).get(0)[0];
                        }
                        assertTrue(rel(lb, step) < 1e-4, target + " decode vs prefill " + rel(lb, step));
                    }
                }
            }
        }
    }

    static double rel(float[] a, float[] b) {
        double num = 0, den = 0;
        for (int i = 0; i < a.length; i++) { num += (a[i] - b[i]) * (a[i] - b[i]); den += a[i] * a[i]; }
        return Math.sqrt(num / den);
    }
}

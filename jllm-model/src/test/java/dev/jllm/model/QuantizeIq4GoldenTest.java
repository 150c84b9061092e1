package dev.jllm.model;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jllm.gguf.GgufFile;
import dev.jllm.gguf.GgufTensorInfo;
import dev.jllm.tensor.GgmlType;
import dev.jllm.testkit.TestData;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Iterator;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * jllm quantize to IQ4_NL / IQ4_XS equals llama.cpp's llama-quantize, tensor for tensor, types and
 * bytes (testdata/golden/llamacpp-quantize-iq4.json, scripts/golden/make_llamacpp_iq4_golden.sh,
 * llama.cpp 3f545becc): the two models of {@link QuantizeGoldenTest} without and with the imatrix
 * files of {@link ImatrixGoldenTest}, and a third with 4 query heads per KV head. Covers both
 * quantizers with and without weights, llama.cpp's IQ4 type rules (attn_v Q5_K when n_gqa ≥ 4, the
 * first eighth of ffn_down Q5_K without an imatrix, output Q6_K) and the IQ4_XS → IQ4_NL fallback of
 * 320-long rows.
 */
class QuantizeIq4GoldenTest {

    @TempDir Path tmp;

    static final ModelConfig[] CONFIGS = {
        QuantizeGoldenTest.CONFIGS[0],
        QuantizeGoldenTest.CONFIGS[1],
        new ModelConfig("llama", 256, 512, 8, 4, 1, 64, 600, 256, 1e-5f, 10000f, true),
    };
    static final int[] SEEDS = {11, 12, 11};

    static Path write(Path dir, int model) throws Exception {
        Path f32 = dir.resolve("iq4-m" + model + ".gguf");
        RandomModel.write(CONFIGS[model], GgmlType.F32, SEEDS[model], 0.08, f32, null);
        return f32;
    }

    @Test
    void everyTensorEqualsLlamaQuantize() throws Exception {
        JsonNode golden = new ObjectMapper().readTree(TestData.path("golden/llamacpp-quantize-iq4.json").toFile());
        assertEquals(CONFIGS.length, golden.get("models").size());
        Set<GgmlType> seen = new HashSet<>();
        int runs = 0;
        for (int mi = 0; mi < CONFIGS.length; mi++) {
            JsonNode model = golden.get("models").get(mi);
            assertEquals(model.get("model").asText(), QuantizeGoldenTest.initArgs(CONFIGS[mi], SEEDS[mi]), "model " + mi);
            Imatrix im = model.has("imatrix") ? Imatrix.read(TestData.path("golden/" + model.get("imatrix").asText())) : null;
            try (ModelFile m = ModelFile.open(write(tmp, mi))) {
                Iterator<Map.Entry<String, JsonNode>> types = model.get("types").fields();
                while (types.hasNext()) {
                    Map.Entry<String, JsonNode> e = types.next();
                    String what = "model " + mi + " " + e.getKey();
                    boolean withImatrix = e.getKey().endsWith("+imatrix");
                    Quantizer.Target target = Quantizer.Target.parse(e.getKey().replace("+imatrix", ""));
                    Path out = tmp.resolve(mi + "-" + e.getKey() + ".gguf");
                    Quantizer.quantize(m, target, false, out, null,
                            withImatrix ? new Quantizer.Options(im, "im" + mi + ".gguf", Map.of()) : Quantizer.Options.NONE);
                    try (GgufFile q = GgufFile.open(out)) {
                        assertEquals(e.getValue().size(), q.tensors().size(), what);
                        int mismatches = 0;
                        String first = "";
                        for (GgufTensorInfo t : q.tensors()) {
                            JsonNode want = e.getValue().get(t.name());
                            assertNotNull(want, what + " " + t.name());
                            assertEquals(GgmlType.byId(want.get(0).asInt()), t.type(), what + " " + t.name() + " type");
                            seen.add(t.type());
                            if (!want.get(1).asText().equals(ImatrixGoldenTest.sha(q.tensorData(t).toArray(ValueLayout.JAVA_BYTE)))) {
                                if (mismatches++ == 0) first = t.name() + " (" + t.type() + ")";
                            }
                        }
                        assertEquals(0, mismatches, what + ": " + mismatches + " tensors differ, first " + first);
                        assertEquals(target.type() == GgmlType.IQ4_NL ? 25 : 30, q.get("general.file_type").asLong(), what);
                    }
                    runs++;
                }
            }
        }
        assertEquals(10, runs);
        assertTrue(seen.containsAll(Set.of(GgmlType.IQ4_NL, GgmlType.IQ4_XS, GgmlType.Q5_K, GgmlType.Q6_K, GgmlType.Q5_1)), "types " + seen);
    }

    /**
     * The engine runs IQ4_XS and IQ4_NL models (the fast dot for decode, dequantized tiles for the
     * batched prefill) to the logits of the F32 model holding the same file's dequantized weights,
     * and token-by-token decode through the KV cache ends at the batched prefill's last logits.
     */
    @Test
    void iq4ModelsRun() throws Exception {
        ModelConfig c = CONFIGS[1];
        try (ModelFile m = ModelFile.open(write(tmp, 1)); Matmul mm = new Matmul(2)) {
            int[] toks = {1, 20, 30, 40, 50, 60};
            for (String target : new String[] {"IQ4_XS", "IQ4_NL"}) {
                Path out = tmp.resolve("run-" + target + ".gguf"), deq = tmp.resolve("run-" + target + "-f32.gguf");
                Quantizer.quantize(m, Quantizer.Target.parse(target), false, out, null);
                try (ModelFile q = ModelFile.open(out)) {
                    assertEquals(GgmlType.valueOf(target), q.tensor("blk.1.attn_q.weight").type(), target);
                    Quantizer.quantize(q, Quantizer.Target.parse("F32"), false, deq, null);
                    try (ModelFile f = ModelFile.open(deq)) {
                        Transformer ref = new Transformer(new Weights(f), new KvCacheManager(c, GgmlType.F32, 16, 4), mm);
                        float[] la = ref.forward(Batch.of(ref.cache().allocate(), toks, 0, Batch.Logits.LAST)).get(0)[0];
                        Transformer tr = new Transformer(new Weights(q), new KvCacheManager(c, GgmlType.F32, 16, 4), mm);
                        float[] lb = tr.forward(Batch.of(tr.cache().allocate(), toks, 0, Batch.Logits.LAST)).get(0)[0];
                        assertTrue(QuantizeGoldenTest.rel(la, lb) < 1e-4, target + " relative logit error vs dequantized F32 " + QuantizeGoldenTest.rel(la, lb));
                        int seq = tr.cache().allocate();
                        float[] step = null;
                        for (int i = 0; i < toks.length; i++) {
                            step = tr.forward(Batch.of(seq, new int[] {toks[i]}, i, Batch.Logits.LAST)).get(0)[0];
                        }
                        assertTrue(QuantizeGoldenTest.rel(lb, step) < 1e-4, target + " decode vs prefill " + QuantizeGoldenTest.rel(lb, step));
                    }
                }
            }
        }
    }
}

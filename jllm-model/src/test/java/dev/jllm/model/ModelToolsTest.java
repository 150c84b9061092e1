package dev.jllm.model;

import dev.jllm.testkit.TestData;

import static org.junit.jupiter.api.Assertions.*;

import dev.jllm.gguf.GgufFile;
import dev.jllm.gguf.GgufTensorInfo;
import dev.jllm.tensor.GgmlType;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelToolsTest {

    @TempDir Path tmp;

    @Test
    void convertedCheckpointMatchesLlamaCppsConversion() throws Exception {
        Path out = tmp.resolve("s.gguf");
        Llama2cConverter.convert(TestData.path("models/stories260K.bin"), TestData.path("models/tok512.bin"), out);
        try (GgufFile ours = GgufFile.open(out); GgufFile ref = GgufFile.open(TestData.path("models/stories260K.gguf"))) {
            for (String key : List.of("tokenizer.ggml.tokens", "tokenizer.ggml.scores", "tokenizer.ggml.token_type", "tokenizer.ggml.model",
                    "llama.embedding_length", "llama.feed_forward_length", "llama.block_count", "llama.attention.head_count",
                    "llama.attention.head_count_kv", "llama.rope.dimension_count", "tokenizer.ggml.bos_token_id", "tokenizer.ggml.eos_token_id")) {
                assertEquals(ref.get(key), ours.get(key), key);
            }
            for (GgufTensorInfo t : ours.tensors()) {
                GgufTensorInfo r = ref.tensor(t.name());
                assertArrayEquals(r.dims(), t.dims(), t.name());
                assertEquals(-1, ours.tensorData(t).mismatch(ref.tensorData(r)), t.name());
            }
            assertNull(ours.tensor("output.weight"), "tied classifier stays tied");
        }
    }

    @Test
    void aBiasTheEngineDoesNotApplyIsRefusedByName() throws Exception {
        // stories260K plus blk.0.attn_output.bias (an o_proj bias an HF Llama checkpoint can carry): ignoring it would be silently wrong
        Path out = tmp.resolve("obias.gguf");
        try (GgufFile src = GgufFile.open(TestData.path("models/stories260K.gguf"))) {
            dev.jllm.gguf.GgufWriter w = new dev.jllm.gguf.GgufWriter().putAll(src.metadata());
            for (GgufTensorInfo t : src.tensors()) w.addTensor(t.name(), t.type(), t.dims(), src.tensorData(t));
            int dim = ((Number) src.get("llama.embedding_length").value()).intValue();
            w.addTensor("blk.0.attn_output.bias", GgmlType.F32, new long[] {dim}, o -> o.write(new byte[4 * dim]));
            w.write(out);
        }
        try (ModelFile m = ModelFile.open(out)) {
            var e = assertThrows(dev.jllm.gguf.GgufFormatException.class, () -> new Weights(m, false));
            assertTrue(e.getMessage().contains("'blk.0.attn_output.bias' is a bias jllm's engine does not apply"), e.getMessage());
        }
    }

    @Test
    void randomModelHasThePresetShapeAndLoads() throws Exception {
        Path out = tmp.resolve("r.gguf");
        ModelConfig tinyQwen = new ModelConfig("qwen3", 64, 128, 2, 4, 2, 32, 300, 256, 1e-6f, 1e6f, true);
        RandomModel.write(tinyQwen, GgmlType.Q8_0, 42, out, null);
        try (ModelFile m = ModelFile.open(out); Matmul mm = new Matmul(2)) {
            assertEquals(tinyQwen, m.config());
            assertEquals(GgmlType.Q8_0, m.tensor("blk.1.ffn_down.weight").type());
            assertEquals(GgmlType.F32, m.tensor("blk.0.attn_q_norm.weight").type());
            Transformer tr = new Transformer(new Weights(m), new KvCacheManager(m.config(), GgmlType.F16, 16, 8), mm);
            float[] logits = tr.forward(Batch.of(tr.cache().allocate(), new int[] {1, 5, 7}, 0, Batch.Logits.LAST)).get(0)[0];
            assertEquals(300, logits.length);
            for (float f : logits) assertTrue(Float.isFinite(f));
        }
    }

    @Test
    void quantizePlanFollowsLlamaCppRules() throws Exception {
        Path f32 = tmp.resolve("f32.gguf");
        ModelConfig c = new ModelConfig("llama", 256, 512, 8, 4, 2, 64, 300, 256, 1e-5f, 1e4f, false);
        RandomModel.write(c, GgmlType.F32, 1, f32, null);
        try (ModelFile m = ModelFile.open(f32)) {
            var plan = Quantizer.plan(m, Quantizer.Target.parse("Q4_K_M"), false);
            java.util.Map<String, GgmlType> to = new java.util.HashMap<>();
            for (var ch : plan) to.put(ch.name(), ch.to());
            assertEquals(GgmlType.Q6_K, to.get("output.weight"));
            assertEquals(GgmlType.Q4_K, to.get("token_embd.weight"));
            assertEquals(GgmlType.F32, to.get("blk.0.attn_norm.weight"));
            // use_more_bits for 8 layers: i < 1, i >= 7, (i − 1) % 3 == 2 → layers 0, 3, 6, 7
            for (int l = 0; l < 8; l++) {
                GgmlType want = (l == 0 || l == 3 || l == 6 || l == 7) ? GgmlType.Q6_K : GgmlType.Q4_K;
                assertEquals(want, to.get("blk." + l + ".attn_v.weight"), "layer " + l);
                assertEquals(want, to.get("blk." + l + ".ffn_down.weight"), "layer " + l);
                assertEquals(GgmlType.Q4_K, to.get("blk." + l + ".attn_q.weight"));
            }
            Path q8 = tmp.resolve("q8.gguf");
            Quantizer.quantize(m, Quantizer.Target.parse("q8_0"), false, q8, null);
            try (ModelFile q = ModelFile.open(q8); Matmul mm = new Matmul(1)) {
                assertEquals(GgmlType.Q8_0, q.tensor("output.weight").type());
                // Q8_0 logits stay close to F32 logits
                Transformer a = new Transformer(new Weights(m), new KvCacheManager(c, GgmlType.F32, 16, 4), mm);
                Transformer b = new Transformer(new Weights(q), new KvCacheManager(c, GgmlType.F32, 16, 4), mm);
                int[] toks = {1, 20, 30, 40};
                float[] la = a.forward(Batch.of(a.cache().allocate(), toks, 0, Batch.Logits.LAST)).get(0)[0];
                float[] lb = b.forward(Batch.of(b.cache().allocate(), toks, 0, Batch.Logits.LAST)).get(0)[0];
                double num = 0, den = 0;
                for (int i = 0; i < la.length; i++) { num += (la[i] - lb[i]) * (la[i] - lb[i]); den += la[i] * la[i]; }
                assertTrue(Math.sqrt(num / den) < 0.02, "relative logit error " + Math.sqrt(num / den));
            }
        }
        // stories260K's ffn_down rows are 172 long: not a multiple of 32 → F16 fallback
        try (ModelFile s = ModelFile.open(TestData.path("models/stories260K.gguf"))) {
            var plan = Quantizer.plan(s, Quantizer.Target.parse("Q4_0"), false);
            for (var ch : plan) if (ch.name().endsWith("ffn_down.weight")) assertEquals(GgmlType.F16, ch.to());
        }
    }
}

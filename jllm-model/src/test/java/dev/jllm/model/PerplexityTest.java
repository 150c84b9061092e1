package dev.jllm.model;

import dev.jllm.testkit.TestData;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import dev.jllm.tensor.GgmlType;
import org.junit.jupiter.api.Test;

/** llama-perplexity -c 128 on tinystories_sample.txt: our figure within 0.1% of llama.cpp's. */
class PerplexityTest {

    private static void check(GgmlType cacheType, JsonNode ref) throws Exception {
        JsonNode p = Stories260kGoldenTest.golden().get("perplexity");
        int[] tokens = Stories260kGoldenTest.ints(p.get("token_ids_incl_bos"));
        try (ModelFile f = ModelFile.open(TestData.path("models/stories260K.gguf")); Matmul mm = new Matmul(2)) {
            Transformer tr = new Transformer(new Weights(f), new KvCacheManager(f.config(), cacheType, 16, 16), mm);
            Perplexity.Result r = Perplexity.compute(tr, tokens, 128, 1, null);
            assertEquals(ref.get("n_chunks").asInt(), r.chunks());
            assertEquals(882, r.scored());
            double want = ref.get("final_ppl").asDouble();
            assertEquals(want, r.ppl(), want * 0.001, "final PPL vs llama.cpp");
            assertEquals(ref.get("final_ppl_stderr").asDouble(), r.stderr(), 0.01);
            JsonNode run = ref.get("running_ppl_after_each_chunk");
            for (int i = 0; i < run.size(); i++) assertEquals(run.get(i).asDouble(), r.runningPpl()[i], run.get(i).asDouble() * 0.001, "chunk " + i);
        }
    }

    @Test
    void f16CacheMatchesLlamaCppDefault() throws Exception {
        check(GgmlType.F16, Stories260kGoldenTest.golden().get("perplexity"));
    }

    @Test
    void f32CacheMatchesLlamaCppF32Variant() throws Exception {
        check(GgmlType.F32, Stories260kGoldenTest.golden().get("perplexity").get("variant_f32_kv_cache"));
    }
}

package dev.jllm.model;

import dev.jllm.testkit.TestData;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jllm.tensor.GgmlType;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Greedy continuations of stories260K must equal llama.cpp's token for token
 * (testdata/golden/stories260K.llamacpp.json, made with llama.cpp c392e50), from the GGUF and from
 * the llama2.c checkpoint, with F16 and F32 KV caches, in one batch and token by token.
 */
class Stories260kGoldenTest {

    static JsonNode golden() throws Exception {
        return new ObjectMapper().readTree(TestData.path("golden/stories260K.llamacpp.json").toFile());
    }

    static int[] ints(JsonNode a) {
        int[] r = new int[a.size()];
        for (int i = 0; i < r.length; i++) r[i] = a.get(i).asInt();
        return r;
    }

    static int argmax(float[] x) {
        int best = 0;
        for (int i = 1; i < x.length; i++) if (x[i] > x[best]) best = i;
        return best;
    }

    @ParameterizedTest
    @CsvSource({"models/stories260K.gguf, F16, 1", "models/stories260K.gguf, F32, 2", "models/stories260K.bin, F32, 2", "models/stories260K.bin, F16, 1"})
    void greedyTokensEqualLlamaCpp(String model, GgmlType cacheType, int threads) throws Exception {
        JsonNode g = golden();
        try (ModelFile f = ModelFile.open(TestData.path(model)); Matmul mm = new Matmul(threads)) {
            Weights w = new Weights(f);
            KvCacheManager kv = new KvCacheManager(f.config(), cacheType, 16, 64);
            Transformer tr = new Transformer(w, kv, mm);
            int n = 0;
            for (JsonNode c : g.get("cases")) {
                int[] prompt = ints(c.get("prompt_token_ids"));
                int[] expected = ints(c.get("generated_token_ids"));
                int seq = kv.allocate();
                float[] logits = tr.forward(Batch.of(seq, prompt, 0, Batch.Logits.LAST)).get(0)[0];
                List<Integer> got = new ArrayList<>();
                int posNext = prompt.length;
                for (int i = 0; i < expected.length; i++) {
                    int next = argmax(logits);
                    got.add(next);
                    if (i + 1 < expected.length) {
                        logits = tr.forward(Batch.of(seq, new int[] {next}, posNext++, Batch.Logits.LAST)).get(0)[0];
                    }
                }
                assertArrayEquals(expected, got.stream().mapToInt(Integer::intValue).toArray(), "prompt: " + c.get("prompt").asText());
                kv.free(seq);
                n++;
            }
            assertEquals(6, n);
            assertEquals(0, kv.blocksUsed());
        }
    }

    /** Several sequences decoding together in one batch give the same tokens as each alone. */
    @org.junit.jupiter.api.Test
    void batchedDecodeOfAllPromptsAtOnce() throws Exception {
        JsonNode g = golden();
        try (ModelFile f = ModelFile.open(TestData.path("models/stories260K.gguf")); Matmul mm = new Matmul(2)) {
            KvCacheManager kv = new KvCacheManager(f.config(), GgmlType.F32, 16, 128);
            Transformer tr = new Transformer(new Weights(f), kv, mm);
            int nCases = g.get("cases").size();
            int[] seqs = new int[nCases], next = new int[nCases], pos = new int[nCases];
            int[][] expected = new int[nCases][];
            List<Batch.Entry> prefill = new ArrayList<>();
            for (int i = 0; i < nCases; i++) {
                JsonNode c = g.get("cases").get(i);
                seqs[i] = kv.allocate();
                int[] p = ints(c.get("prompt_token_ids"));
                expected[i] = ints(c.get("generated_token_ids"));
                pos[i] = p.length;
                prefill.add(new Batch.Entry(seqs[i], p, 0, Batch.Logits.LAST));
            }
            List<float[][]> out = tr.forward(new Batch(prefill));
            for (int step = 0; step < 64; step++) {
                List<Batch.Entry> decode = new ArrayList<>();
                for (int i = 0; i < nCases; i++) {
                    next[i] = argmax(out.get(i)[0]);
                    assertEquals(expected[i][step], next[i], "case " + i + " step " + step);
                    decode.add(new Batch.Entry(seqs[i], new int[] {next[i]}, pos[i]++, Batch.Logits.LAST));
                }
                if (step < 63) out = tr.forward(new Batch(decode));
            }
        }
    }
}

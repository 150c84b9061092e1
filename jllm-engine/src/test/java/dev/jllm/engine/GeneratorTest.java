package dev.jllm.engine;

import dev.jllm.testkit.TestData;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jllm.model.KvCacheManager;
import dev.jllm.model.Matmul;
import dev.jllm.model.ModelFile;
import dev.jllm.model.SamplingParams;
import dev.jllm.model.Transformer;
import dev.jllm.model.Weights;
import dev.jllm.tensor.GgmlType;
import dev.jllm.tokenizer.GgufTokenizerLoader;
import dev.jllm.tokenizer.Tokenizer;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Text in, text out: tokenizer + engine + greedy sampling reproduce llama.cpp's generated text. */
class GeneratorTest {

    @Test
    void greedyTextEqualsLlamaCppForEveryGoldenPrompt() throws Exception {
        JsonNode g = new ObjectMapper().readTree(TestData.path("golden/stories260K.llamacpp.json").toFile());
        try (ModelFile f = ModelFile.open(TestData.path("models/stories260K.gguf")); Matmul mm = new Matmul(2)) {
            Tokenizer tok = GgufTokenizerLoader.load(f.gguf());
            Generator gen = new Generator(new Transformer(new Weights(f), new KvCacheManager(f.config(), GgmlType.F16, 16, 64), mm), tok);
            for (JsonNode c : g.get("cases")) {
                int[] prompt = tok.encode(c.get("prompt").asText(), true, true);
                assertArrayEquals(ints(c.get("prompt_token_ids")), prompt);
                StringBuilder streamed = new StringBuilder();
                // max 64 new tokens, but the model's context (128, as the converter wrote) may cut it
                Generator.Result r = gen.generate(prompt, SamplingParams.GREEDY.withMaxTokens(64).withSeed(1), streamed::append);
                assertEquals(c.get("generated_text").asText(), r.text(), c.get("prompt").asText());
                assertEquals(r.text(), streamed.toString());
                assertEquals(FinishReason.LENGTH, r.finish());
            }
        }
    }

    @Test
    void stopStringsCutTheTextAndNeverStream() throws Exception {
        try (ModelFile f = ModelFile.open(TestData.path("models/stories260K.gguf")); Matmul mm = new Matmul(1)) {
            Tokenizer tok = GgufTokenizerLoader.load(f.gguf());
            Generator gen = new Generator(new Transformer(new Weights(f), new KvCacheManager(f.config(), GgmlType.F32, 16, 64), mm), tok);
            StringBuilder streamed = new StringBuilder();
            Generator.Result r = gen.generate(tok.encode("Once upon a time", true, false),
                    SamplingParams.GREEDY.withMaxTokens(64).withStop(List.of("Lily")), streamed::append);
            // llama.cpp's continuation: ", there was a little girl named Lily. She ..."
            assertEquals(", there was a little girl named ", r.text());
            assertEquals(r.text(), streamed.toString());
            assertEquals(FinishReason.STOP_STRING, r.finish());
            assertEquals(0, f.config().vocabSize() - tok.vocabSize());
        }
    }

    @Test
    void sameSeedSameSampledText() throws Exception {
        try (ModelFile f = ModelFile.open(TestData.path("models/stories260K.gguf")); Matmul mm = new Matmul(2)) {
            Tokenizer tok = GgufTokenizerLoader.load(f.gguf());
            Generator gen = new Generator(new Transformer(new Weights(f), new KvCacheManager(f.config(), GgmlType.F16, 16, 64), mm), tok);
            int[] p = tok.encode("Tim had a big red ball", true, false);
            String a = gen.generate(p, SamplingParams.defaults(1234).withMaxTokens(40), null).text();
            String b = gen.generate(p, SamplingParams.defaults(1234).withMaxTokens(40), null).text();
            String c = gen.generate(p, SamplingParams.defaults(99).withMaxTokens(40), null).text();
            assertEquals(a, b);
            assertNotEquals(a, c);
        }
    }

    /** jllm generate/chat take the same mask path as the scheduler: every sampled token passes through apply and accept. */
    @Test
    void theGeneratorHonoursATokenMask() throws Exception {
        try (ModelFile f = ModelFile.open(TestData.path("models/stories260K.gguf")); Matmul mm = new Matmul(2)) {
            Tokenizer tok = GgufTokenizerLoader.load(f.gguf());
            Generator gen = new Generator(new Transformer(new Weights(f), new KvCacheManager(f.config(), GgmlType.F16, 16, 64), mm), tok);
            java.util.Set<Integer> allowed = new java.util.TreeSet<>();
            for (String w : List.of(" cat", " dog", " sun")) for (int id : tok.encode(w, false, false)) allowed.add(id);
            List<Integer> seen = new java.util.ArrayList<>();
            TokenMask mask = new TokenMask() {
                @Override
                public void apply(float[] logits) {
                    for (int i = 0; i < logits.length; i++) if (!allowed.contains(i)) logits[i] = Float.NEGATIVE_INFINITY;
                }

                @Override
                public void accept(int token) {
                    seen.add(token);
                }
            };
            int[] p = tok.encode("Tim had a big red ball", true, false);
            Generator.Result r = gen.generate(p, SamplingParams.defaults(5).withMaxTokens(20), mask, null);
            assertEquals(r.tokens().length, seen.size(), "the mask saw every sampled token");
            for (int t : r.tokens()) assertTrue(allowed.contains(t), "token " + t + " is outside the mask");
        }
    }

    private static int[] ints(JsonNode a) {
        int[] r = new int[a.size()];
        for (int i = 0; i < r.length; i++) r[i] = a.get(i).asInt();
        return r;
    }
}

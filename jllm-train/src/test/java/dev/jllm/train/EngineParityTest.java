package dev.jllm.train;

import dev.jllm.testkit.TestData;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jllm.model.Batch;
import dev.jllm.model.KvCacheManager;
import dev.jllm.model.Matmul;
import dev.jllm.model.ModelFile;
import dev.jllm.model.Transformer;
import dev.jllm.model.Weights;
import dev.jllm.tensor.GgmlType;
import dev.jllm.tensor.Parallel;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The training model is the engine's model: on stories260K (GQA, tied output) the loss of
 * {@link LlamaModel} equals the cross-entropy of the engine's logits, and a model exported by
 * {@link ModelIO} loads in the engine with the same numbers.
 */
class EngineParityTest {
    static final String TEXT = "Once upon a time, there was a little girl named Lily. She loved to play outside in the park with her mom.";

    static int[] tokens(Path gguf) throws Exception {
        try (dev.jllm.gguf.GgufFile g = dev.jllm.gguf.GgufFile.open(gguf)) {
            return dev.jllm.tokenizer.GgufTokenizerLoader.load(g).encode(TEXT, true, false);
        }
    }

    static double engineLoss(Path gguf, int[] tokens) throws Exception {
        try (ModelFile f = ModelFile.open(gguf); Matmul mm = new Matmul(2)) {
            KvCacheManager kv = new KvCacheManager(f.config(), GgmlType.F32, 16, 16);
            Transformer tr = new Transformer(new Weights(f), kv, mm);
            int T = tokens.length - 1, seq = kv.allocate();
            float[][] logits = tr.forward(Batch.of(seq, java.util.Arrays.copyOf(tokens, T), 0, Batch.Logits.ALL)).get(0);
            double sum = 0;
            for (int t = 0; t < T; t++) {
                float[] z = logits[t];
                double max = Double.NEGATIVE_INFINITY, s = 0;
                for (float x : z) max = Math.max(max, x);
                for (float x : z) s += Math.exp(x - max);
                sum += max + Math.log(s) - z[tokens[t + 1]];
            }
            return sum / T;
        }
    }

    static float trainLoss(Params p, int[] tokens) {
        int T = tokens.length - 1;
        try (Parallel pool = new Parallel(2)) {
            return new LlamaModel(p, pool).forward(java.util.Arrays.copyOf(tokens, T), java.util.Arrays.copyOfRange(tokens, 1, T + 1), 1, T);
        }
    }

    @Test
    void trainingLossEqualsEngineCrossEntropyAndExportRoundTrips(@TempDir Path dir) throws Exception {
        Path src = TestData.path("models/stories260K.gguf");
        ModelIO.Loaded m = ModelIO.load(src);
        int[] TOKENS = tokens(src);
        double engine = engineLoss(src, TOKENS);
        float train = trainLoss(m.params(), TOKENS);
        assertEquals(engine, train, 1e-4 * engine, "training forward vs engine forward on stories260K");
        assertTrue(train < 4, "stories260K predicts its own kind of text (loss " + train + ")");

        Path out = dir.resolve("roundtrip.gguf");
        ModelIO.export(m.params(), m.metadata(), "roundtrip", out);
        assertEquals(engine, engineLoss(out, TOKENS), 1e-6 * engine, "exported GGUF runs in the engine with the same loss");
        ModelIO.Loaded back = ModelIO.load(out);
        for (int i = 0; i < back.params().tensors().size(); i++) {
            org.junit.jupiter.api.Assertions.assertArrayEquals(m.params().tensors().get(i).data(), back.params().tensors().get(i).data(),
                    back.params().tensors().get(i).name());
        }
        assertEquals(m.metadata().get("tokenizer.ggml.tokens"), back.metadata().get("tokenizer.ggml.tokens"), "vocabulary carried over");
    }

    @Test
    void quantizedModelIsRefusedWithAPointerToLora(@TempDir Path dir) throws Exception {
        Path q = dir.resolve("q8.gguf");
        dev.jllm.model.RandomModel.write(new dev.jllm.model.ModelConfig("llama", 64, 128, 1, 2, 2, 32, 300, 64, 1e-5f, 10000f, true),
                GgmlType.Q8_0, 1, q, null);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ModelIO.load(q));
        assertTrue(e.getMessage().contains("LoRA"), e.getMessage());
    }
}

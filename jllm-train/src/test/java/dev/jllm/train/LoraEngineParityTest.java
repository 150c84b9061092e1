package dev.jllm.train;

import static org.junit.jupiter.api.Assertions.*;

import dev.jllm.model.Batch;
import dev.jllm.model.KvCacheManager;
import dev.jllm.model.LoraAdapter;
import dev.jllm.model.Matmul;
import dev.jllm.model.ModelFile;
import dev.jllm.model.Transformer;
import dev.jllm.model.Weights;
import dev.jllm.tensor.GgmlType;
import dev.jllm.tensor.Parallel;
import dev.jllm.testkit.TestData;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A trained adapter runs in the engine as it trained: stories260K with a LoRA on every target
 * (B not zero) — the training loss with the adapter equals the engine's cross-entropy with the
 * adapter file merged into its weights ({@link Weights#withAdapter}), and the file round-trips.
 */
class LoraEngineParityTest {
    @Test
    void theAdapterFileGivesTheEngineTheTrainingModel(@TempDir Path dir) throws Exception {
        Path src = TestData.path("models/stories260K.gguf");
        ModelIO.Loaded m = ModelIO.load(src);
        int[] tokens = EngineParityTest.tokens(src);
        LoraParams lora = LoraParams.init(m.params().config, new LoraConfig(4, 8f, LoraConfig.parseTargets("all"), true), 11);
        SplittableRandom r = new SplittableRandom(3);
        for (Params.Tensor t : lora.tensors()) if (t.name().endsWith("lora_b")) for (int i = 0; i < t.size(); i++) t.data()[i] = 0.05f * (float) r.nextGaussian();
        int T = tokens.length - 1;
        float train;
        try (Parallel pool = new Parallel(2)) {
            train = new LlamaModel(m.params(), lora, pool).forward(Arrays.copyOf(tokens, T), Arrays.copyOfRange(tokens, 1, T + 1), 1, T);
        }
        double base = EngineParityTest.engineLoss(src, tokens);
        assertTrue(Math.abs(train - base) > 1e-3 * base, "precondition: the adapter changes the model (" + train + " vs " + base + ")");

        Path file = dir.resolve("adapter.gguf");
        lora.toAdapter().write(file, Map.of());
        LoraAdapter back = LoraAdapter.read(file);
        assertEquals(lora.config.scale(), back.scale(), 1e-6f, "rsLoRA scale survives llama.cpp's alpha/r rule");
        assertEquals(lora.tensors().size() / 2, back.pairs.size());
        try (ModelFile f = ModelFile.open(src); Matmul mm = new Matmul(2)) {
            KvCacheManager kv = new KvCacheManager(f.config(), GgmlType.F32, 16, 16);
            Transformer tr = new Transformer(new Weights(f).withAdapter(back, 1f), kv, mm);
            float[][] logits = tr.forward(Batch.of(kv.allocate(), Arrays.copyOf(tokens, T), 0, Batch.Logits.ALL)).get(0);
            double sum = 0;
            for (int t = 0; t < T; t++) {
                double max = Double.NEGATIVE_INFINITY, s = 0;
                for (float x : logits[t]) max = Math.max(max, x);
                for (float x : logits[t]) s += Math.exp(x - max);
                sum += max + Math.log(s) - logits[t][tokens[t + 1]];
            }
            assertEquals(train, sum / T, 1e-4 * train, "engine with the merged adapter vs the training forward");
        }
    }
}

package dev.jllm.train;

import static org.junit.jupiter.api.Assertions.*;

import dev.jllm.model.ModelFile;
import dev.jllm.model.Quantizer;
import dev.jllm.tensor.Parallel;
import dev.jllm.testkit.TestData;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * QLoRA's frozen base: stories260K quantized to Q8_0 and kept in that type while a LoRA trains gives
 * bit for bit the loss and adapter gradients of the same base dequantized into fp32 up front — with
 * only the norm gains in fp32 memory.
 */
class QuantizedBaseTest {
    @Test
    void aQuantizedBaseTrainsExactlyAsItsFp32Copy(@TempDir Path dir) throws Exception {
        Path q8 = dir.resolve("q8.gguf");
        try (ModelFile f = ModelFile.open(TestData.path("models/stories260K.gguf"))) {
            Quantizer.quantize(f, Quantizer.Target.parse("q8_0"), true, q8, n -> { });
        }
        ModelIO.Loaded fp32 = ModelIO.load(q8, true);
        ModelIO.Loaded frozen = ModelIO.openFrozen(q8);
        try (QuantizedBase qb = frozen.quantized(); Parallel pool = new Parallel(2)) {
            assertEquals(0, frozen.params().layers[0].wq().length, "no fp32 copy of the matrices");
            assertArrayEquals(fp32.params().layers[0].attnNorm(), frozen.params().layers[0].attnNorm());
            LoraConfig lc = new LoraConfig(4, 8f, LoraConfig.parseTargets("all"), false);
            LoraParams a = LoraParams.init(fp32.params().config, lc, 3), b = LoraParams.init(fp32.params().config, lc, 3);
            SplittableRandom r = new SplittableRandom(1);
            for (int i = 0; i < a.tensors().size(); i++) {
                if (!a.tensors().get(i).name().endsWith("lora_b")) continue;
                for (int k = 0; k < a.tensors().get(i).size(); k++) {
                    float v = 0.05f * (float) r.nextGaussian();
                    a.tensors().get(i).data()[k] = v;
                    b.tensors().get(i).data()[k] = v;
                }
            }
            int[] in = new int[64], tg = new int[64];
            SplittableRandom t = new SplittableRandom(2);
            for (int i = 0; i < 64; i++) { in[i] = t.nextInt(512); tg[i] = i % 3 == 0 ? Layers.IGNORE : t.nextInt(512); }
            LlamaModel ma = new LlamaModel(fp32.params(), a, pool), mb = new LlamaModel(frozen.params(), b, pool, qb);
            assertEquals(ma.forward(in, tg, 2, 32), mb.forward(in, tg, 2, 32), 0f, "the same loss");
            ma.zeroGrad();
            mb.zeroGrad();
            ma.backward(1f);
            mb.backward(1f);
            for (int i = 0; i < a.tensors().size(); i++) {
                assertTrue(Arrays.equals(ma.trainableGrads().tensors().get(i).data(), mb.trainableGrads().tensors().get(i).data()),
                        a.tensors().get(i).name());
            }
            // Q8_0 is 8.5 bits a weight; stories260K keeps a few small tensors wider, still far below fp32
            assertTrue(qb.bytes() < 0.5 * 4 * qb.parameterCount(), "mapped base " + qb.bytes() + " bytes vs fp32 " + 4 * qb.parameterCount());
        }
    }

    @Test
    void aLargeVocabularyClassifierRunsInChunksWithTheSameNumbers(@TempDir Path dir) throws Exception {
        // vocabulary 1,300: the quantized classifier is read in chunks of 512 rows (the last one partial)
        dev.jllm.model.ModelConfig c = new dev.jllm.model.ModelConfig("llama", 64, 128, 2, 4, 2, 16, 1300, 64, 1e-5f, 10000f, false);
        Path q8 = dir.resolve("r.gguf");
        dev.jllm.model.RandomModel.write(c, dev.jllm.tensor.GgmlType.Q8_0, 3, q8, null);
        ModelIO.Loaded fp32 = ModelIO.load(q8, true);
        ModelIO.Loaded frozen = ModelIO.openFrozen(q8);
        try (QuantizedBase qb = frozen.quantized(); Parallel pool = new Parallel(2)) {
            LoraConfig lc = new LoraConfig(2, 4f, LoraConfig.parseTargets("q,down"), false);
            LoraParams a = LoraParams.init(c, lc, 1), b = LoraParams.init(c, lc, 1);
            int[] in = new int[48], tg = new int[48];
            SplittableRandom t = new SplittableRandom(4);
            for (int i = 0; i < 48; i++) { in[i] = t.nextInt(1300); tg[i] = t.nextInt(1300); }
            LlamaModel ma = new LlamaModel(fp32.params(), a, pool), mb = new LlamaModel(frozen.params(), b, pool, qb);
            assertEquals(ma.forward(in, tg, 2, 24), mb.forward(in, tg, 2, 24), 0f);
            ma.zeroGrad();
            mb.zeroGrad();
            ma.backward(1f);
            mb.backward(1f);
            for (int i = 0; i < a.tensors().size(); i++) {
                float[] x = ma.trainableGrads().tensors().get(i).data(), y = mb.trainableGrads().tensors().get(i).data();
                double max = 1e-30, diff = 0;
                for (int k = 0; k < x.length; k++) { max = Math.max(max, Math.abs(x[k])); diff = Math.max(diff, Math.abs(x[k] - y[k])); }
                // the chunked classifier sums the same k blocks in the same order; allow fp32 ulps in case a kernel tile differs
                assertTrue(diff / max < 1e-6, a.tensors().get(i).name() + ": " + diff / max);
            }
        }
    }
}

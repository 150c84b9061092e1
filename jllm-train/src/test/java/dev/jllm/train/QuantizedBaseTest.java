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
}

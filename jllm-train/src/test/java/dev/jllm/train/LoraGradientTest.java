package dev.jllm.train;

import static org.junit.jupiter.api.Assertions.*;

import dev.jllm.model.ModelConfig;
import dev.jllm.tensor.Parallel;
import java.util.EnumSet;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * LoRA's backward pass against central finite differences of the loss (double-checked in float64
 * elsewhere by the PyTorch golden): packed rows, masked targets, every target, B not zero. Also: a
 * fresh adapter (B = 0) leaves the base model's loss unchanged to the last bit, and with an adapter
 * the base gets no gradient at all.
 */
class LoraGradientTest {
    static final ModelConfig C = new ModelConfig("llama", 16, 32, 2, 4, 2, 4, 24, 64, 1e-5f, 10000f, false);

    static Params randomBase(long seed) {
        Params p = new Params(C);
        SplittableRandom r = new SplittableRandom(seed);
        for (Params.Tensor t : p.tensors()) {
            float[] d = t.data();
            for (int i = 0; i < d.length; i++) d[i] = t.isNorm() ? 1f + 0.1f * (float) r.nextGaussian() : 0.2f * (float) r.nextGaussian();
        }
        return p;
    }

    // B = 2 rows of T = 8: row 0 packs samples [0,5) and [5,8); row 1 one sample [0,6) then 2 padding tokens
    static final int B = 2, T = 8;
    static final int[] INPUTS = {1, 5, 7, 2, 9, 3, 11, 4, 6, 8, 10, 12, 14, 16, 0, 0};
    static final int[] TARGETS = {Layers.IGNORE, Layers.IGNORE, 2, 9, 3, Layers.IGNORE, 4, 5, Layers.IGNORE, 10, 12, 14, 16, 17, Layers.IGNORE, Layers.IGNORE};
    static final int[] STARTS = {0, 0, 0, 0, 0, 5, 5, 5, 0, 0, 0, 0, 0, 0, 6, 7};
    static final int[] POS = {0, 1, 2, 3, 4, 0, 1, 2, 0, 1, 2, 3, 4, 5, 0, 0};

    @Test
    void adapterGradientsMatchFiniteDifferences() {
        LoraConfig lc = new LoraConfig(3, 6f, EnumSet.allOf(LoraConfig.Target.class), false);
        LoraParams lora = LoraParams.init(C, lc, 5);
        SplittableRandom r = new SplittableRandom(9);
        for (Params.Tensor t : lora.tensors()) if (t.name().endsWith("lora_b")) for (int i = 0; i < t.size(); i++) t.data()[i] = 0.3f * (float) r.nextGaussian();
        try (Parallel pool = new Parallel(2)) {
            LlamaModel m = new LlamaModel(randomBase(1), lora, pool);
            assertNull(m.grads, "the base is frozen");
            m.zeroGrad();
            m.forward(INPUTS, TARGETS, POS, STARTS, B, T);
            m.backward(1f);
            double worst = 0;
            for (int ti = 0; ti < lora.tensors().size(); ti++) {
                float[] w = lora.tensors().get(ti).data(), g = m.trainableGrads().tensors().get(ti).data();
                double gmax = 1e-12;
                for (float x : g) gmax = Math.max(gmax, Math.abs(x));
                for (int k = 0; k < w.length; k += Math.max(1, w.length / 7)) {
                    float keep = w[k], h = 1e-2f;
                    w[k] = keep + h;
                    double up = m.forward(INPUTS, TARGETS, POS, STARTS, B, T);
                    w[k] = keep - h;
                    double down = m.forward(INPUTS, TARGETS, POS, STARTS, B, T);
                    w[k] = keep;
                    double fd = (up - down) / (2 * h);
                    worst = Math.max(worst, Math.abs(fd - g[k]) / gmax);
                }
            }
            // fp32 loss differences over h = 1e-2: truncation O(h²) plus rounding ~1e-7/h relative to the loss
            assertTrue(worst < 2e-3, "worst relative error " + worst);
        }
    }

    @Test
    void dropoutGradientsMatchFiniteDifferencesOfTheSameMask() {
        LoraConfig lc = new LoraConfig(2, 4f, LoraConfig.parseTargets("q,o,down"), false);
        LoraParams lora = LoraParams.init(C, lc, 6);
        SplittableRandom r = new SplittableRandom(10);
        for (Params.Tensor t : lora.tensors()) if (t.name().endsWith("lora_b")) for (int i = 0; i < t.size(); i++) t.data()[i] = 0.3f * (float) r.nextGaussian();
        try (Parallel pool = new Parallel(1)) {
            LlamaModel m = new LlamaModel(randomBase(3), lora, pool);
            m.setLoraDropout(0.3f);
            m.dropoutKey(42);
            float dropped = m.forward(INPUTS, TARGETS, POS, STARTS, B, T);
            m.dropoutKey(-1);
            float plain = m.forward(INPUTS, TARGETS, POS, STARTS, B, T);
            assertNotEquals(plain, dropped, "the mask changes the adapter's input");
            m.dropoutKey(42);
            assertEquals(dropped, m.forward(INPUTS, TARGETS, POS, STARTS, B, T), 0f, "the same key, the same mask");
            m.zeroGrad();
            m.backward(1f);
            double worst = 0;
            for (int ti = 0; ti < lora.tensors().size(); ti++) {
                float[] w = lora.tensors().get(ti).data(), g = m.trainableGrads().tensors().get(ti).data();
                double gmax = 1e-12;
                for (float x : g) gmax = Math.max(gmax, Math.abs(x));
                for (int k = 0; k < w.length; k += Math.max(1, w.length / 5)) {
                    float keep = w[k], h = 4e-3f; // the 1/(1-p) scale raises the curvature: a smaller step than above
                    w[k] = keep + h;
                    double up = m.forward(INPUTS, TARGETS, POS, STARTS, B, T);
                    w[k] = keep - h;
                    double down = m.forward(INPUTS, TARGETS, POS, STARTS, B, T);
                    w[k] = keep;
                    worst = Math.max(worst, Math.abs((up - down) / (2 * h) - g[k]) / gmax);
                }
            }
            assertTrue(worst < 2e-3, "worst relative error " + worst);
        }
    }

    @Test
    void aFreshAdapterIsTheBaseModel() {
        LoraParams lora = LoraParams.init(C, new LoraConfig(4, 8f, EnumSet.of(LoraConfig.Target.Q, LoraConfig.Target.V), false), 3);
        try (Parallel pool = new Parallel(1)) {
            Params base = randomBase(2);
            float plain = new LlamaModel(base, pool).forward(INPUTS, TARGETS, POS, STARTS, B, T);
            float adapted = new LlamaModel(base, lora, pool).forward(INPUTS, TARGETS, POS, STARTS, B, T);
            assertEquals(plain, adapted, 0f, "B = 0: the adapter adds exactly nothing");
        }
    }

    @Test
    void packedSamplesDoNotSeeEachOther() {
        // the second sample of row 0 alone, at the start of a row, must give the same per-token losses
        try (Parallel pool = new Parallel(1)) {
            LlamaModel m = new LlamaModel(randomBase(4), pool);
            m.forward(INPUTS, TARGETS, POS, STARTS, B, T);
            float[] packed = m.rowLosses().clone();
            int[] in = {3, 11, 4, 0, 0, 0, 0, 0}, tg = {Layers.IGNORE, 4, 5, Layers.IGNORE, Layers.IGNORE, Layers.IGNORE, Layers.IGNORE, Layers.IGNORE};
            m.forward(in, tg, 1, T);
            float[] alone = m.rowLosses();
            assertEquals(alone[1], packed[6], 1e-6f);
            assertEquals(alone[2], packed[7], 1e-6f);
        }
    }

    @Test
    void parameterCountIsPeftsRule() {
        // the seed's case: r = 64 on q and v of LLaMA-2-7B (dim 4096, 32 layers, no GQA) = 64·(4096+4096)·2·32
        ModelConfig llama7b = new ModelConfig("llama", 4096, 11008, 32, 32, 32, 128, 32000, 4096, 1e-5f, 10000f, false);
        assertEquals(33_554_432L, LoraParams.count(llama7b, new LoraConfig(64, 16f, LoraConfig.parseTargets("q,v"), false)));
    }
}

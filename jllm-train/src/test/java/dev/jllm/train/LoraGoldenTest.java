package dev.jllm.train;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import dev.jllm.tensor.Parallel;
import java.io.IOException;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * LoRA fine-tuning against PyTorch (src/test/resources/torch/make_lora_golden.py, float64 from the
 * same float32 weights): a frozen base, adapters on q,v (α/r) or on all seven matrices (rsLoRA),
 * packed rows (positions restart per sample, attention kept inside each sample, padding) and masked
 * targets; the loss, every A and B gradient to 1e-5 of the tensor's largest, then 10 AdamW steps on
 * the adapter only with clipping.
 */
class LoraGoldenTest {
    static final double GRAD_TOL = 1e-5, LOSS_TOL = 1e-5;

    record Golden(JsonNode meta, Params base, LoraParams lora, double[][] grads, int[] tokens, int[] targets, int[] positions, int[] starts,
                  int B, int T) {}

    static Golden load(String name) throws IOException {
        TorchGolden tg = TorchGolden.load(name);
        JsonNode meta = tg.meta, c = meta.get("config");
        LoraConfig loraConfig = tg.loraConfig();
        assertEquals(c.get("lora").get("scaling").asDouble(), loraConfig.scale(), 1e-6, "scaling rule");
        Params base = new Params(tg.config());
        LoraParams lora = new LoraParams(tg.config(), loraConfig);
        tg.readBaseAndAdapter(base, lora);
        double[][] g = tg.readDoubles(lora.tensors());
        int B = c.get("batch").asInt(), T = c.get("seq").asInt();
        int[] tokens = ints(meta.get("tokens")), targets = ints(meta.get("targets")), pos = ints(meta.get("positions")), seg = ints(meta.get("segments"));
        return new Golden(meta, base, lora, g, tokens, targets, pos, starts(seg, B, T), B, T);
    }

    /** Segment ids (−1 = padding) → the row index where each token's sample starts (padding: itself). */
    static int[] starts(int[] segments, int B, int T) {
        int[] s = new int[B * T];
        for (int b = 0; b < B; b++) {
            for (int t = 0; t < T; t++) {
                int i = b * T + t;
                s[i] = segments[i] < 0 ? t : (t > 0 && segments[i - 1] == segments[i] ? s[i - 1] : t);
            }
        }
        return s;
    }

    static int[] ints(JsonNode a) {
        return TorchGolden.ints(a);
    }

    @ParameterizedTest
    @ValueSource(strings = {"lora_tiny_untied_qv", "lora_tiny_tied_all_rs", "lora_tiny_untied_qv_plain"})
    void lossAndAdapterGradientsMatchPyTorch(String name) throws IOException {
        Golden g = load(name);
        try (Parallel pool = new Parallel(2)) {
            LlamaModel model = new LlamaModel(g.base, g.lora, pool);
            float loss = model.forward(g.tokens, g.targets, g.positions, g.starts, g.B, g.T);
            double want = g.meta.get("loss").asDouble();
            assertEquals(want, loss, LOSS_TOL * want, "loss");
            model.zeroGrad();
            model.backward(1f);
            double worst = TorchGolden.assertGradients(g.grads, model.trainableGrads().tensors(), GRAD_TOL, name);
            System.out.printf("%s: loss %.9f (torch %.9f), worst adapter gradient relative error %.2e%n", name, loss, want, worst);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"lora_tiny_untied_qv", "lora_tiny_tied_all_rs", "lora_tiny_untied_qv_plain"})
    void tenAdamWStepsOnTheAdapterMatchPyTorch(String name) throws IOException {
        Golden g = load(name);
        JsonNode a = g.meta.get("adamw");
        float[] baseBefore = g.base.tensors().get(1).data().clone();
        AdamW opt = new AdamW(g.lora, (float) a.get("beta1").asDouble(), (float) a.get("beta2").asDouble(), (float) a.get("eps").asDouble(),
                (float) a.get("weight_decay").asDouble(), false);
        try (Parallel pool = new Parallel(2)) {
            LlamaModel model = new LlamaModel(g.base, g.lora, pool);
            for (int step = 0; step < 10; step++) {
                model.zeroGrad();
                float loss = model.forward(g.tokens, g.targets, g.positions, g.starts, g.B, g.T);
                model.backward(1f);
                double norm = AdamW.gradNorm(model.trainableGrads());
                AdamW.clip(model.trainableGrads(), norm, (float) a.get("clip").asDouble());
                opt.step(model.trainable(), model.trainableGrads(), (float) a.get("lr").asDouble(), pool);
                double want = g.meta.get("step_losses").get(step).asDouble();
                assertEquals(want, loss, LOSS_TOL * want, "loss at step " + step);
                assertEquals(g.meta.get("step_grad_norms").get(step).asDouble(), norm, 1e-4 * norm, "grad norm at step " + step);
            }
        }
        assertArrayEquals(baseBefore, g.base.tensors().get(1).data(), "the base stays frozen");
    }
}

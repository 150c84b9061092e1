package dev.jllm.train;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jllm.model.ModelConfig;
import dev.jllm.tensor.Parallel;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
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
        JsonNode meta;
        byte[] bin;
        try (InputStream j = LoraGoldenTest.class.getResourceAsStream("/torch/" + name + ".json");
             InputStream b = LoraGoldenTest.class.getResourceAsStream("/torch/" + name + ".bin")) {
            if (j == null || b == null) throw new IllegalStateException("golden files for " + name + " are missing from src/test/resources/torch");
            meta = new ObjectMapper().readTree(j);
            bin = b.readAllBytes();
        }
        JsonNode c = meta.get("config"), lc = c.get("lora");
        ModelConfig config = new ModelConfig("llama", c.get("dim").asInt(), c.get("hidden").asInt(), c.get("layers").asInt(),
                c.get("heads").asInt(), c.get("kv_heads").asInt(), c.get("head_dim").asInt(), c.get("vocab").asInt(), 64,
                (float) c.get("eps").asDouble(), (float) c.get("rope_theta").asDouble(), c.get("tied").asBoolean());
        List<String> targets = new ArrayList<>();
        lc.get("targets").forEach(t -> targets.add(t.asText()));
        LoraConfig loraConfig = new LoraConfig(lc.get("rank").asInt(), (float) lc.get("alpha").asDouble(),
                LoraConfig.parseTargets(String.join(",", targets)), lc.get("rslora").asBoolean());
        assertEquals(lc.get("scaling").asDouble(), loraConfig.scale(), 1e-6, "scaling rule");
        Params base = new Params(config);
        LoraParams lora = new LoraParams(config, loraConfig);
        ByteBuffer buf = ByteBuffer.wrap(bin).order(ByteOrder.LITTLE_ENDIAN);
        for (Params.Tensor t : base.tensors()) for (int k = 0; k < t.size(); k++) t.data()[k] = buf.getFloat();
        assertEquals(meta.get("lora_tensors").size(), lora.tensors().size(), "adapter tensor count");
        for (int i = 0; i < lora.tensors().size(); i++) {
            Params.Tensor t = lora.tensors().get(i);
            assertEquals(meta.get("lora_tensors").get(i).get("name").asText(), t.name(), "adapter tensor order");
            for (int k = 0; k < t.size(); k++) t.data()[k] = buf.getFloat();
        }
        double[][] g = new double[lora.tensors().size()][];
        for (int i = 0; i < g.length; i++) {
            g[i] = new double[lora.tensors().get(i).size()];
            for (int k = 0; k < g[i].length; k++) g[i][k] = buf.getDouble();
        }
        assertEquals(0, buf.remaining(), "trailing bytes in " + name + ".bin");
        int B = c.get("batch").asInt(), T = c.get("seq").asInt();
        int[] tokens = ints(meta.get("tokens")), tg = ints(meta.get("targets")), pos = ints(meta.get("positions")), seg = ints(meta.get("segments"));
        return new Golden(meta, base, lora, g, tokens, tg, pos, starts(seg, B, T), B, T);
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
        int[] r = new int[a.size()];
        for (int i = 0; i < r.length; i++) r[i] = a.get(i).asInt();
        return r;
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
            double worst = 0;
            for (int i = 0; i < g.grads.length; i++) {
                float[] got = model.trainableGrads().tensors().get(i).data();
                double maxRef = 0, maxDiff = 0;
                for (int k = 0; k < got.length; k++) {
                    maxRef = Math.max(maxRef, Math.abs(g.grads[i][k]));
                    maxDiff = Math.max(maxDiff, Math.abs(got[k] - g.grads[i][k]));
                }
                double rel = maxDiff / maxRef;
                worst = Math.max(worst, rel);
                assertTrue(rel < GRAD_TOL, name + ": gradient of " + g.lora.tensors().get(i).name() + " off by " + rel);
            }
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

package dev.jllm.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jllm.model.ModelConfig;
import dev.jllm.tensor.Parallel;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The whole model against PyTorch (src/test/resources/torch/make_golden.py, float64 reference from
 * the same float32 weights), as llm.c's test_gpt2: the loss, every parameter's gradient, then the
 * losses of 10 AdamW steps with clipping. Gradient error is measured per tensor as
 * max|g − g_torch| / max|g_torch| (an element-wise relative error is meaningless for elements that
 * are nearly zero).
 */
class LlamaGoldenTest {
    static final double GRAD_TOL = 1e-5, LOSS_TOL = 1e-5;

    record Golden(JsonNode meta, ModelConfig config, Params weights, double[][] grads, int[] tokens, int[] targets) {}

    static Golden load(String name) throws IOException {
        JsonNode meta;
        byte[] bin;
        try (InputStream j = LlamaGoldenTest.class.getResourceAsStream("/torch/" + name + ".json");
             InputStream b = LlamaGoldenTest.class.getResourceAsStream("/torch/" + name + ".bin")) {
            if (j == null || b == null) throw new IllegalStateException("golden files for " + name + " are missing from src/test/resources/torch");
            meta = new ObjectMapper().readTree(j);
            bin = b.readAllBytes();
        }
        JsonNode c = meta.get("config");
        ModelConfig config = new ModelConfig("llama", c.get("dim").asInt(), c.get("hidden").asInt(), c.get("layers").asInt(),
                c.get("heads").asInt(), c.get("kv_heads").asInt(), c.get("head_dim").asInt(), c.get("vocab").asInt(), 64,
                (float) c.get("eps").asDouble(), (float) c.get("rope_theta").asDouble(), c.get("tied").asBoolean());
        Params w = new Params(config);
        ByteBuffer buf = ByteBuffer.wrap(bin).order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(w.tensors().size(), meta.get("tensors").size(), "tensor count");
        for (int i = 0; i < w.tensors().size(); i++) {
            assertEquals(meta.get("tensors").get(i).get("name").asText(), w.tensors().get(i).name(), "layout order");
            float[] d = w.tensors().get(i).data();
            for (int k = 0; k < d.length; k++) d[k] = buf.getFloat();
        }
        double[][] g = new double[w.tensors().size()][];
        for (int i = 0; i < g.length; i++) {
            g[i] = new double[w.tensors().get(i).size()];
            for (int k = 0; k < g[i].length; k++) g[i][k] = buf.getDouble();
        }
        assertEquals(0, buf.remaining(), "trailing bytes in " + name + ".bin");
        int[] tokens = new int[meta.get("tokens").size()], targets = new int[tokens.length];
        for (int i = 0; i < tokens.length; i++) {
            tokens[i] = meta.get("tokens").get(i).asInt();
            targets[i] = meta.get("targets").get(i).asInt();
        }
        return new Golden(meta, config, w, g, tokens, targets);
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama_tiny_untied", "llama_tiny_tied"})
    void lossAndEveryGradientMatchPyTorch(String name) throws IOException {
        Golden g = load(name);
        int B = g.meta.get("config").get("batch").asInt(), T = g.meta.get("config").get("seq").asInt();
        try (Parallel pool = new Parallel(2)) {
            LlamaModel model = new LlamaModel(g.weights, pool);
            float loss = model.forward(g.tokens, g.targets, B, T);
            double want = g.meta.get("loss").asDouble();
            assertEquals(want, loss, LOSS_TOL * want, "loss");
            model.zeroGrad();
            model.backward(1f);
            double worst = 0;
            String worstName = "";
            for (int i = 0; i < g.grads.length; i++) {
                float[] got = model.grads.tensors().get(i).data();
                double maxRef = 0, maxDiff = 0;
                for (int k = 0; k < got.length; k++) {
                    maxRef = Math.max(maxRef, Math.abs(g.grads[i][k]));
                    maxDiff = Math.max(maxDiff, Math.abs(got[k] - g.grads[i][k]));
                }
                double rel = maxDiff / maxRef;
                if (rel > worst) { worst = rel; worstName = model.grads.tensors().get(i).name(); }
                assertTrue(rel < GRAD_TOL, name + ": gradient of " + model.grads.tensors().get(i).name() + " off by " + rel + " (relative to its max " + maxRef + ")");
            }
            System.out.printf("%s: loss %.9f (torch %.9f), worst gradient relative error %.2e (%s)%n", name, loss, want, worst, worstName);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama_tiny_untied", "llama_tiny_tied"})
    void tenAdamWStepsMatchPyTorch(String name) throws IOException {
        Golden g = load(name);
        JsonNode a = g.meta.get("adamw");
        int B = g.meta.get("config").get("batch").asInt(), T = g.meta.get("config").get("seq").asInt();
        AdamW opt = new AdamW(g.config, (float) a.get("beta1").asDouble(), (float) a.get("beta2").asDouble(), (float) a.get("eps").asDouble(),
                (float) a.get("weight_decay").asDouble(), false);
        try (Parallel pool = new Parallel(2)) {
            LlamaModel model = new LlamaModel(g.weights, pool);
            double worst = 0;
            for (int step = 0; step < 10; step++) {
                model.zeroGrad();
                float loss = model.forward(g.tokens, g.targets, B, T);
                model.backward(1f);
                double norm = AdamW.gradNorm(model.grads);
                AdamW.clip(model.grads, norm, (float) a.get("clip").asDouble());
                opt.step(model.params, model.grads, (float) a.get("lr").asDouble(), pool);
                double want = g.meta.get("step_losses").get(step).asDouble();
                double wantNorm = g.meta.get("step_grad_norms").get(step).asDouble();
                worst = Math.max(worst, Math.abs(loss - want) / want);
                assertEquals(want, loss, LOSS_TOL * want, "loss at step " + step);
                assertEquals(wantNorm, norm, 1e-4 * wantNorm, "grad norm at step " + step);
            }
            System.out.printf("%s: 10 AdamW steps, worst loss relative error %.2e%n", name, worst);
        }
    }
}

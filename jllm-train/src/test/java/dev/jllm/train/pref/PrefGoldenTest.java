package dev.jllm.train.pref;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jllm.model.ModelConfig;
import dev.jllm.tensor.Parallel;
import dev.jllm.train.LlamaModel;
import dev.jllm.train.LoraConfig;
import dev.jllm.train.LoraParams;
import dev.jllm.train.Params;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * DPO (sigmoid, label smoothing, IPO) and the reward model's Bradley–Terry loss against PyTorch
 * (scripts/golden/make_pref_golden.py, float64 from the same float32 weights; outputs committed):
 * the loss, TRL's metrics and every adapter (and head) gradient to 1e-5 relative.
 */
class PrefGoldenTest {
    static final double TOL = 1e-5;

    record Golden(JsonNode meta, Params base, LoraParams lora, ScalarHead head, double[][] grads, List<PreferencePair> pairs) {}

    static Golden load(String name) throws IOException {
        JsonNode meta;
        byte[] bin;
        try (InputStream j = PrefGoldenTest.class.getResourceAsStream("/torch/" + name + ".json");
             InputStream b = PrefGoldenTest.class.getResourceAsStream("/torch/" + name + ".bin")) {
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
        Params base = new Params(config);
        LoraParams lora = new LoraParams(config, loraConfig);
        boolean bt = meta.get("case").get("kind").asText().equals("bt");
        ScalarHead head = bt ? new ScalarHead(RewardModel.HEAD, config.dim()) : null;
        ByteBuffer buf = ByteBuffer.wrap(bin).order(ByteOrder.LITTLE_ENDIAN);
        for (Params.Tensor t : base.tensors()) for (int k = 0; k < t.size(); k++) t.data()[k] = buf.getFloat();
        for (int i = 0; i < lora.tensors().size(); i++) {
            Params.Tensor t = lora.tensors().get(i);
            assertEquals(meta.get("lora_tensors").get(i).get("name").asText(), t.name(), "adapter tensor order");
            for (int k = 0; k < t.size(); k++) t.data()[k] = buf.getFloat();
        }
        if (bt) for (Params.Tensor t : head.tensors()) for (int k = 0; k < t.size(); k++) t.data()[k] = buf.getFloat();
        int nGrads = lora.tensors().size() + (bt ? 2 : 0);
        double[][] g = new double[nGrads][];
        for (int i = 0; i < nGrads; i++) {
            int size = i < lora.tensors().size() ? lora.tensors().get(i).size() : head.tensors().get(i - lora.tensors().size()).size();
            g[i] = new double[size];
            for (int k = 0; k < size; k++) g[i][k] = buf.getDouble();
        }
        assertEquals(0, buf.remaining(), "trailing bytes in " + name + ".bin");
        List<PreferencePair> pairs = new ArrayList<>();
        for (JsonNode p : meta.get("pairs")) {
            pairs.add(new PreferencePair(ints(p.get("chosen")), p.get("chosen_prompt").asInt(), ints(p.get("rejected")), p.get("rejected_prompt").asInt(), Double.NaN));
        }
        return new Golden(meta, base, lora, head, g, pairs);
    }

    static int[] ints(JsonNode a) {
        int[] r = new int[a.size()];
        for (int i = 0; i < r.length; i++) r[i] = a.get(i).asInt();
        return r;
    }

    static double worstGradient(double[][] want, List<Params.Tensor> got, String name) {
        double worst = 0;
        for (int i = 0; i < want.length; i++) {
            float[] d = got.get(i).data();
            double maxRef = 0, maxDiff = 0;
            for (int k = 0; k < d.length; k++) {
                maxRef = Math.max(maxRef, Math.abs(want[i][k]));
                maxDiff = Math.max(maxDiff, Math.abs(d[k] - want[i][k]));
            }
            double rel = maxRef == 0 ? maxDiff : maxDiff / maxRef; // the head's bias: its gradient cancels exactly in a pairwise loss
            worst = Math.max(worst, rel);
            assertTrue(rel < TOL, name + ": gradient of " + got.get(i).name() + " off by " + rel);
        }
        return worst;
    }

    @ParameterizedTest
    @ValueSource(strings = {"pref_dpo_sigmoid", "pref_dpo_smooth", "pref_dpo_ipo"})
    void dpoLossMetricsAndGradientsMatchPyTorch(String name) throws IOException {
        Golden g = load(name);
        JsonNode cs = g.meta.get("case");
        PreferenceLoss.Kind kind = cs.get("kind").asText().equals("ipo") ? PreferenceLoss.Kind.IPO : PreferenceLoss.Kind.SIGMOID;
        DpoTrainer.Settings st = new DpoTrainer.Settings(cs.get("beta").asDouble(), kind, cs.path("label_smoothing").asDouble(0));
        PrefOptions opt = new PrefOptions(1, g.pairs.size(), 1e-3f, 0, 0.1f, 0, 0, 1, 0);
        try (Parallel pool = new Parallel(2)) {
            LlamaModel policy = new LlamaModel(g.base, g.lora, pool);
            DpoTrainer t = new DpoTrainer(policy, null, st, opt, pool, g.pairs.size(), 0);
            policy.zeroGrad();
            int[] idx = {0, 1, 2};
            Map<String, Double> m = t.stats(g.pairs, idx, new double[3][], true).metrics();
            double want = g.meta.get("loss").asDouble();
            assertEquals(want, m.get("loss"), TOL * Math.abs(want), "loss");
            g.meta.get("metrics").fields().forEachRemaining(e -> {
                double w = e.getValue().asDouble();
                assertEquals(w, m.get(e.getKey()), TOL * Math.max(Math.abs(w), 1e-3), e.getKey());
            });
            double worst = worstGradient(g.grads, policy.trainableGrads().tensors(), name);
            System.out.printf("%s: loss %.9f (torch %.9f), worst adapter gradient relative error %.2e%n", name, m.get("loss"), want, worst);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"pref_rm_bt"})
    void rewardModelLossAndGradientsMatchPyTorch(String name) throws IOException {
        Golden g = load(name);
        PrefOptions opt = new PrefOptions(1, g.pairs.size(), 1e-3f, 0, 0.1f, 0, 0, 1, 0);
        try (Parallel pool = new Parallel(2)) {
            LlamaModel model = new LlamaModel(g.base, g.lora, pool);
            RewardTrainer t = new RewardTrainer(model, g.head, opt, pool, false);
            model.zeroGrad();
            Map<String, Double> m = t.step(g.pairs, true);
            double want = g.meta.get("loss").asDouble();
            assertEquals(want, m.get("loss"), TOL * want, "loss");
            double[] scores = new RewardModel(model, g.head).score(PairBatch.of(g.pairs));
            for (int i = 0; i < scores.length; i++) assertEquals(g.meta.get("scores").get(i).asDouble(), scores[i], 1e-5, "score " + i);
            List<Params.Tensor> got = new ArrayList<>(model.trainableGrads().tensors());
            got.addAll(t.headGrad().tensors());
            double worst = worstGradient(g.grads, got, name);
            System.out.printf("%s: loss %.9f (torch %.9f), worst gradient relative error %.2e%n", name, m.get("loss"), want, worst);
        }
    }
}

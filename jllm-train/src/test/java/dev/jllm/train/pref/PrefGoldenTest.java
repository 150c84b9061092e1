package dev.jllm.train.pref;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import dev.jllm.tensor.Parallel;
import dev.jllm.train.LlamaModel;
import dev.jllm.train.LoraParams;
import dev.jllm.train.Params;
import dev.jllm.train.TorchGolden;
import java.io.IOException;
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
        TorchGolden tg = TorchGolden.load(name);
        Params base = new Params(tg.config());
        LoraParams lora = new LoraParams(tg.config(), tg.loraConfig());
        boolean bt = tg.meta.get("case").get("kind").asText().equals("bt");
        ScalarHead head = bt ? new ScalarHead(RewardModel.HEAD, tg.config().dim()) : null;
        tg.readBaseAndAdapter(base, lora);
        List<Params.Tensor> trained = new ArrayList<>(lora.tensors());
        if (bt) {
            tg.readFloats(head.tensors());
            trained.addAll(head.tensors());
        }
        double[][] g = tg.readDoubles(trained);
        List<PreferencePair> pairs = new ArrayList<>();
        for (JsonNode p : tg.meta.get("pairs")) {
            pairs.add(new PreferencePair(TorchGolden.ints(p.get("chosen")), p.get("chosen_prompt").asInt(), TorchGolden.ints(p.get("rejected")),
                    p.get("rejected_prompt").asInt(), Double.NaN));
        }
        return new Golden(tg.meta, base, lora, head, g, pairs);
    }

    static double worstGradient(double[][] want, List<Params.Tensor> got, String name) {
        return TorchGolden.assertGradients(want, got, TOL, name);
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

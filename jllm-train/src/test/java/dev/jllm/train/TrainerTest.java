package dev.jllm.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jllm.model.ModelConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The loop: learning, exact resume, the NaN guard, logs, config handling. On a tiny model and a synthetic corpus. */
class TrainerTest {
    static final ModelConfig TINY = new ModelConfig("llama", 32, 64, 2, 4, 2, 8, 64, 64, 1e-5f, 10000f, false);

    static ModelIO.Loaded tinyModel() {
        Params p = new Params(TINY);
        SplittableRandom r = new SplittableRandom(7);
        for (Params.Tensor t : p.tensors()) for (int i = 0; i < t.size(); i++) t.data()[i] = t.isNorm() ? 1f : (float) (r.nextGaussian() * 0.05);
        return new ModelIO.Loaded(p, Map.of());
    }

    /** Documents of a learnable pattern: counting runs modulo 60, so the loss can fall far below ln 64. */
    static Path corpus(Path dir) throws Exception {
        Path data = dir.resolve("shards");
        try (TokenShards.Writer w = new TokenShards.Writer(data, "general", 64, 63)) {
            SplittableRandom r = new SplittableRandom(3);
            for (int d = 0; d < 200; d++) {
                int start = r.nextInt(60), len = 20 + r.nextInt(40);
                int[] doc = new int[len];
                for (int i = 0; i < len; i++) doc[i] = (start + i) % 60;
                w.add(doc);
            }
            w.finish(0.1);
        }
        return data;
    }

    static TrainConfig config(Path dir, Path data, Map<String, String> extra) {
        Map<String, String> m = new HashMap<>(Map.of("model", "tiny.gguf", "data", data.toString(), "out", dir.resolve("out.gguf").toString(),
                "log", dir.resolve("log").toString(), "steps", "8", "batch", "4", "seq", "16", "lr", "3e-3", "warmup", "2", "threads", "2"));
        m.put("eval_every", "4");
        m.put("eval_batches", "2");
        m.putAll(extra);
        return TrainConfig.of(m);
    }

    static final class Recorder implements Trainer.Listener {
        final List<Trainer.StepReport> steps = new ArrayList<>();
        final List<String> messages = new ArrayList<>();
        @Override public void step(Trainer.StepReport r) { steps.add(r); }
        @Override public void message(String text) { messages.add(text); }
    }

    static List<Float> losses(List<Trainer.StepReport> rs) {
        return rs.stream().map(Trainer.StepReport::loss).toList();
    }

    @Test
    void lossFallsLogsAreWrittenAndTheResultRunsInTheEngine(@TempDir Path dir) throws Exception {
        Path data = corpus(dir);
        Recorder rec = new Recorder();
        TrainConfig cfg = config(dir, data, Map.of("steps", "30", "lr", "1e-2"));
        try (TokenShards s = TokenShards.open(data)) {
            Trainer.Result r = new Trainer(cfg, tinyModel(), s, rec).run();
            assertEquals(30, r.step());
            assertTrue(rec.steps.get(29).loss() < rec.steps.get(0).loss() - 1, "loss falls: " + losses(rec.steps));
            assertTrue(Float.isFinite(r.valLoss()));
        }
        List<String> csv = Files.readAllLines(dir.resolve("log/train.csv"));
        assertEquals("step,loss,lr,grad_norm,tokens_per_s", csv.get(0));
        assertEquals(31, csv.size());
        assertTrue(Files.readString(dir.resolve("log/config.yaml")).contains("steps: 30"));
        assertTrue(Files.exists(dir.resolve("out.gguf")) && Files.exists(dir.resolve("out.gguf.ckpt")));
        try (var events = Files.list(dir.resolve("log"))) {
            assertTrue(events.anyMatch(p -> p.getFileName().toString().startsWith("events.out.tfevents.")));
        }
    }

    @Test
    void resumeRepeatsTheUninterruptedLossTrajectoryExactly(@TempDir Path dir) throws Exception {
        Path data = corpus(dir);
        Recorder full = new Recorder(), first = new Recorder(), second = new Recorder();
        try (TokenShards s = TokenShards.open(data)) {
            new Trainer(config(dir.resolve("a"), data, Map.of()), tinyModel(), s, full).run();
            Trainer t = new Trainer(config(dir.resolve("b"), data, Map.of()), tinyModel(), s, first);
            t.gradHook = g -> { if (first.steps.size() == 2) t.requestStop(); }; // Ctrl-C during step 3
            Trainer.Result r = t.run();
            assertTrue(r.interrupted());
            assertEquals(3, r.step());
            new Trainer(config(dir.resolve("b"), data, Map.of("resume", "true")), tinyModel(), s, second).run();
        }
        List<Float> resumed = new ArrayList<>(losses(first.steps));
        resumed.addAll(losses(second.steps));
        assertEquals(losses(full.steps), resumed, "bit-identical loss trajectory");
        assertEquals(9, Files.readAllLines(dir.resolve("b/log/train.csv")).size(), "one CSV row per step after the resume");
    }

    @Test
    void theSameSeedGivesTheSameRunForAnyThreadCount(@TempDir Path dir) throws Exception {
        Path data = corpus(dir);
        Recorder one = new Recorder(), two = new Recorder();
        try (TokenShards s = TokenShards.open(data)) {
            new Trainer(config(dir.resolve("t1"), data, Map.of("threads", "1", "steps", "4")), tinyModel(), s, one).run();
            new Trainer(config(dir.resolve("t2"), data, Map.of("threads", "2", "steps", "4")), tinyModel(), s, two).run();
        }
        assertEquals(losses(one.steps), losses(two.steps));
    }

    @Test
    void nanGuardSkipsTheStepReducesTheLrAndAbortsAfterKInARow(@TempDir Path dir) throws Exception {
        Path data = corpus(dir);
        try (TokenShards s = TokenShards.open(data)) {
            Recorder rec = new Recorder();
            Trainer t = new Trainer(config(dir.resolve("once"), data, Map.of()), tinyModel(), s, rec);
            t.gradHook = g -> { if (rec.steps.size() == 3) g.tokenEmbd[5] = Float.NaN; };
            t.run();
            assertTrue(rec.steps.get(3).skipped());
            assertFalse(rec.steps.get(4).skipped());
            assertTrue(rec.messages.stream().anyMatch(m -> m.contains("step 4: non-finite gradient") && m.contains("LR scale now 0.5")), rec.messages.toString());
            assertEquals(0.5f * config(dir, data, Map.of()).lrAt(4), rec.steps.get(4).lr(), 1e-9f);

            Recorder always = new Recorder();
            Trainer bad = new Trainer(config(dir.resolve("always"), data, Map.of("max_bad_steps", "3")), tinyModel(), s, always);
            bad.gradHook = g -> g.outputNorm[0] = Float.POSITIVE_INFINITY;
            Trainer.DivergedException e = assertThrows(Trainer.DivergedException.class, bad::run);
            assertTrue(e.getMessage().contains("3 non-finite steps in a row"), e.getMessage());
            assertEquals(2, always.steps.size(), "the third bad step aborts before reporting");
        }
    }

    @Test
    void aSuddenLossJumpIsReportedAsASpike(@TempDir Path dir) throws Exception {
        Path data = corpus(dir);
        Recorder rec = new Recorder();
        try (TokenShards s = TokenShards.open(data)) {
            Trainer t = new Trainer(config(dir, data, Map.of("steps", "16", "spike_window", "20", "lr", "1e-3")), tinyModel(), s, rec);
            // during step 14 (after its loss), blow up the output norm gains: step 15's loss jumps
            t.gradHook = g -> { if (rec.steps.size() == 13) java.util.Arrays.fill(t.paramsForTest().outputNorm, 40f); };
            t.run();
        }
        assertTrue(rec.messages.stream().anyMatch(m -> m.startsWith("step 15: loss spike")), rec.messages.toString());
        assertEquals(1, rec.messages.stream().filter(m -> m.contains("loss spike")).count(), "a falling loss is no spike: " + rec.messages);
    }

    @Test
    void twoAccumulatedHalfBatchesGiveTheFullBatchGradient() {
        int B = 4, T = 8;
        int[] x = new int[B * T], y = new int[B * T];
        SplittableRandom r = new SplittableRandom(9);
        for (int i = 0; i < x.length; i++) { x[i] = r.nextInt(64); y[i] = r.nextInt(64); }
        try (dev.jllm.tensor.Parallel pool = new dev.jllm.tensor.Parallel(2)) {
            LlamaModel full = new LlamaModel(tinyModel().params(), pool), acc = new LlamaModel(tinyModel().params(), pool);
            full.forward(x, y, B, T);
            full.backward(1f);
            int h = B / 2 * T;
            acc.forward(java.util.Arrays.copyOf(x, h), java.util.Arrays.copyOf(y, h), B / 2, T);
            acc.backward(0.5f);
            acc.forward(java.util.Arrays.copyOfRange(x, h, 2 * h), java.util.Arrays.copyOfRange(y, h, 2 * h), B / 2, T);
            acc.backward(0.5f);
            for (int i = 0; i < full.grads.tensors().size(); i++) {
                float[] a = full.grads.tensors().get(i).data(), b = acc.grads.tensors().get(i).data();
                double max = 0;
                for (float v : a) max = Math.max(max, Math.abs(v));
                for (int k = 0; k < a.length; k++) assertEquals(a[k], b[k], 1e-5 * max, full.grads.tensors().get(i).name());
            }
        }
    }

    @Test
    void configDefaultsFileThenFlagsAndUnknownKeysFail() {
        Map<String, String> yaml = TrainConfig.parseYaml("""
                # a run
                model: m.gguf
                data: "shards"   # quoted
                out: o.gguf
                steps: 50
                lr: 1e-3
                """, "run.yaml");
        TrainConfig c = TrainConfig.of(yaml, Map.of("steps", "70"));
        assertEquals(70, c.steps());
        assertEquals("shards", c.data());
        assertEquals("o.gguf.ckpt", c.checkpoint());
        assertEquals(c, TrainConfig.of(TrainConfig.parseYaml(c.render(), "rendered")), "render() reads back to the same config");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TrainConfig.of(yaml, Map.of("learning_rate", "1")));
        assertTrue(e.getMessage().contains("unknown training setting 'learning_rate'"));
        assertThrows(IllegalArgumentException.class, () -> TrainConfig.parseYaml("opt:\n  lr: 1\n", "nested.yaml"));
        assertThrows(IllegalArgumentException.class, () -> TrainConfig.of(yaml, Map.of("steps", "0")));
    }

    @Test
    void lrWarmsUpLinearlyThenFollowsACosineToTheFloor() {
        TrainConfig c = TrainConfig.of(Map.of("model", "m", "data", "d", "out", "o", "steps", "110", "warmup", "10", "lr", "1", "min_lr_ratio", "0.1"));
        assertEquals(0.1f, c.lrAt(0), 1e-6f);
        assertEquals(1f, c.lrAt(9), 1e-6f);
        assertEquals(1f, c.lrAt(10), 1e-6f);
        assertEquals(0.55f, c.lrAt(60), 1e-6f);
        assertEquals(0.1f, c.lrAt(110), 1e-6f);
    }
}

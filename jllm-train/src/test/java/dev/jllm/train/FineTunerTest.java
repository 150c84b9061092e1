package dev.jllm.train;

import static org.junit.jupiter.api.Assertions.*;

import dev.jllm.model.LoraAdapter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The fine-tuning loop on synthetic rows: two sources of fixed "prompt → answer" samples packed two
 * per row. LoRA learns them (the masked loss falls, per source), the base stays frozen, the adapter
 * file is written, and a run stopped and resumed repeats the uninterrupted run's losses exactly.
 */
class FineTunerTest {
    /** 8 samples per source: 4 prompt tokens (masked) then the source's 4-token answer (learned). */
    static final class Rows implements SftRows {
        final int[][][] samples = new int[2][8][];

        Rows() {
            SplittableRandom r = new SplittableRandom(7);
            for (int s = 0; s < 2; s++) {
                for (int i = 0; i < 8; i++) {
                    int[] x = new int[8];
                    for (int k = 0; k < 4; k++) x[k] = 1 + 10 * s + r.nextInt(9);  // prompts: 1..9 for alpha, 11..19 for beta
                    for (int k = 4; k < 8; k++) x[k] = 10 * s + 2 * k - 6;          // the answer each source teaches
                    samples[s][i] = x;
                }
            }
        }

        @Override
        public List<String> sources() {
            return List.of("alpha", "beta");
        }

        @Override
        public void trainBatch(long seed, int step, int micro, int B, int T, int[] in, int[] tg, int[] pos, int[] st, int[] src) {
            SplittableRandom r = new SplittableRandom(seed * 31 + step * 7L + micro);
            fill(B, T, in, tg, pos, st, src, () -> r.nextInt(2), () -> r.nextInt(8));
        }

        @Override
        public int validationBatches(int B, int T) {
            return 1;
        }

        @Override
        public void validationBatch(int i, int B, int T, int[] in, int[] tg, int[] pos, int[] st, int[] src) {
            int[] k = {0};
            fill(B, T, in, tg, pos, st, src, () -> k[0] % 2, () -> (k[0]++ / 2) % 8);
        }

        private void fill(int B, int T, int[] in, int[] tg, int[] pos, int[] st, int[] src, java.util.function.IntSupplier source,
                          java.util.function.IntSupplier index) {
            for (int b = 0; b < B; b++) {
                for (int half = 0; half < 2; half++) { // two samples of 8 per row of 16
                    int s = source.getAsInt();
                    int[] x = samples[s][index.getAsInt()];
                    int o = b * T + half * 8;
                    for (int t = 0; t < 8; t++) {
                        in[o + t] = x[t];
                        tg[o + t] = t >= 3 && t < 7 ? x[t + 1] : Layers.IGNORE;
                        pos[o + t] = t;
                        st[o + t] = half * 8;
                        src[o + t] = s;
                    }
                }
            }
        }
    }

    static TrainConfig config(Path dir, int steps, boolean resume) {
        Map<String, String> m = new HashMap<>(Map.of("model", "x.gguf", "data", "synthetic", "out", dir.resolve("adapter.gguf").toString(),
                "log", dir.resolve("log").toString(), "steps", String.valueOf(steps), "batch", "2", "seq", "16", "lr", "5e-2", "warmup", "2"));
        m.put("eval_every", "10");
        m.put("checkpoint_every", "5");
        m.put("threads", "2");
        m.put("resume", String.valueOf(resume));
        m.put("weight_decay", "0");
        return TrainConfig.of(m);
    }

    static List<Float> losses(FineTuner.Result r) {
        List<Float> l = new ArrayList<>();
        for (FineTuner.StepReport s : r.history()) l.add(s.loss());
        return l;
    }

    static final FineTuner.Listener QUIET = new FineTuner.Listener() {
        @Override
        public void step(FineTuner.StepReport r) {}

        @Override
        public void message(String text) {}
    };

    @Test
    void loraLearnsTheAnswersPerSourceAndResumesExactly(@TempDir Path dir) throws Exception {
        Params base = LoraGradientTest.randomBase(1);
        float[] before = base.layers[0].wq().clone();
        LoraConfig lc = new LoraConfig(4, 8f, LoraConfig.parseTargets("q,v,o,up,down"), false);
        FineTuner.Result full = new FineTuner(config(dir.resolve("a"), 40, false), new ModelIO.Loaded(base, Map.of()), lc, new Rows(), QUIET).run();
        List<Float> l = losses(full);
        double first = (l.get(0) + l.get(1) + l.get(2)) / 3, lastFive = 0;
        for (int i = 35; i < 40; i++) lastFive += l.get(i) / 5;
        assertTrue(lastFive < 0.6 * first, "the masked loss falls: " + l);
        assertTrue(full.history().get(39).valLoss() < full.history().get(9).valLoss(), "held-out loss falls too");
        FineTuner.StepReport last = full.history().getLast();
        assertFalse(Float.isNaN(last.sourceLoss()[0]) || Float.isNaN(last.sourceLoss()[1]), "both sources logged");
        assertArrayEquals(before, base.layers[0].wq(), "the base is frozen");
        assertTrue(Files.readString(dir.resolve("a/log/train.csv")).startsWith("step,loss,lr,grad_norm,tokens_per_s,loss_alpha,loss_beta"));
        LoraAdapter a = LoraAdapter.read(dir.resolve("a/adapter.gguf"));
        assertEquals(5 * 2, a.pairs.size());
        assertEquals(2f, a.scale(), 0f);

        // the same run in two parts: stopped after step 17 (Ctrl-C: a checkpoint), then resumed to 40
        Path b = dir.resolve("b");
        FineTuner[] part1 = new FineTuner[1];
        part1[0] = new FineTuner(config(b, 40, false), new ModelIO.Loaded(LoraGradientTest.randomBase(1), Map.of()), lc, new Rows(),
                new FineTuner.Listener() {
                    @Override
                    public void step(FineTuner.StepReport r) {
                        if (r.step() == 17) part1[0].requestStop();
                    }

                    @Override
                    public void message(String text) {}
                });
        assertTrue(part1[0].run().interrupted());
        FineTuner.Result resumed = new FineTuner(config(b, 40, true), new ModelIO.Loaded(LoraGradientTest.randomBase(1), Map.of()), lc, new Rows(), QUIET).run();
        assertEquals(l.subList(17, 40), losses(resumed), "resume repeats the uninterrupted losses exactly");
    }

    @Test
    void dropoutRunsResumeExactly(@TempDir Path dir) throws Exception {
        LoraConfig lc = new LoraConfig(4, 8f, LoraConfig.parseTargets("q,v"), false);
        FineTuner.Result whole = new FineTuner(config(dir.resolve("a"), 10, false), new ModelIO.Loaded(LoraGradientTest.randomBase(1), Map.of()), lc, 0.2f,
                new Rows(), QUIET).run();
        FineTuner[] part1 = new FineTuner[1];
        part1[0] = new FineTuner(config(dir.resolve("b"), 10, false), new ModelIO.Loaded(LoraGradientTest.randomBase(1), Map.of()), lc, 0.2f, new Rows(),
                new FineTuner.Listener() {
                    @Override
                    public void step(FineTuner.StepReport r) {
                        if (r.step() == 4) part1[0].requestStop();
                    }

                    @Override
                    public void message(String text) {}
                });
        part1[0].run();
        FineTuner.Result rest = new FineTuner(config(dir.resolve("b"), 10, true), new ModelIO.Loaded(LoraGradientTest.randomBase(1), Map.of()), lc, 0.2f,
                new Rows(), QUIET).run();
        assertEquals(losses(whole).subList(4, 10), losses(rest), "the same dropout masks after a resume");
        FineTuner.Result none = new FineTuner(config(dir.resolve("c"), 10, false), new ModelIO.Loaded(LoraGradientTest.randomBase(1), Map.of()), lc,
                new Rows(), QUIET).run();
        assertNotEquals(losses(whole), losses(none), "dropout changes the run");
    }

    @Test
    void fullFineTuningUpdatesTheModel(@TempDir Path dir) throws Exception {
        Params base = LoraGradientTest.randomBase(2);
        float[] before = base.layers[0].wq().clone();
        Map<String, String> m = new HashMap<>(Map.of("model", "x.gguf", "data", "synthetic", "out", dir.resolve("full.gguf").toString(),
                "steps", "8", "batch", "2", "seq", "16", "lr", "1e-2", "warmup", "1", "threads", "1"));
        m.put("weight_decay", "0");
        FineTuner.Result r = new FineTuner(TrainConfig.of(m), new ModelIO.Loaded(base, Map.of()), null, new Rows(), QUIET).run();
        assertTrue(r.history().getLast().loss() < r.history().getFirst().loss());
        assertFalse(java.util.Arrays.equals(before, base.layers[0].wq()), "full fine-tuning moves the base");
    }
}

package dev.jllm.train.pref;

import static org.junit.jupiter.api.Assertions.*;

import dev.jllm.model.ModelConfig;
import dev.jllm.tensor.Parallel;
import dev.jllm.train.LlamaModel;
import dev.jllm.train.LoraConfig;
import dev.jllm.train.LoraParams;
import dev.jllm.train.Params;
import dev.jllm.train.Tensors;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code jllm dpo --resume} and {@code jllm rm train --resume}: a run killed after step 6 (its last
 * checkpoint at step 4, its logs already holding steps 5 and 6) and resumed in fresh objects ends with
 * the uninterrupted run's weights bit for bit and the same train.csv and eval.csv; so does a run
 * stopped (Ctrl-C) after step 5, which saves a checkpoint there.
 */
class PrefResumeTest {
    static final ModelConfig C = new ModelConfig("llama", 16, 32, 2, 4, 2, 4, 24, 64, 1e-5f, 10000f, false);
    static final LoraConfig LORA = new LoraConfig(4, 8f, LoraConfig.parseTargets("q,v,o,up,down"), false);
    static final PrefOptions OPT = new PrefOptions(12, 4, 5e-3f, 3, 0.1f, 0f, 1f, 7, 4);
    @TempDir Path dir;

    static Params base() {
        Params p = new Params(C);
        SplittableRandom r = new SplittableRandom(1);
        for (Params.Tensor t : p.tensors()) {
            float[] d = t.data();
            for (int i = 0; i < d.length; i++) d[i] = t.isNorm() ? 1f + 0.1f * (float) r.nextGaussian() : 0.2f * (float) r.nextGaussian();
        }
        return p;
    }

    /** Pairs of different lengths: a prompt after token 1, two answers of tokens 2..23. */
    static List<PreferencePair> pairs(int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        List<PreferencePair> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            int[] prompt = seq(r, 1 + r.nextInt(4));
            prompt[0] = 1;
            int[] c = concat(prompt, seq(r, 2 + r.nextInt(5))), j = concat(prompt, seq(r, 2 + r.nextInt(5)));
            out.add(new PreferencePair(c, prompt.length, j, prompt.length, Double.NaN));
        }
        return out;
    }

    static int[] seq(SplittableRandom r, int n) {
        int[] s = new int[n];
        for (int i = 0; i < n; i++) s[i] = 2 + r.nextInt(C.vocabSize() - 2);
        return s;
    }

    static int[] concat(int[] a, int[] b) {
        int[] c = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, c, a.length, b.length);
        return c;
    }

    /** One run of a trainer: built fresh (as a new process would), then run with the given checkpointing and progress. */
    interface Run {
        Tensors run(Parallel pool, Path log, Checkpointing ck, Consumer<String> progress, Object[] trainer) throws Exception;
    }

    @Test
    void dpoResumesExactly() throws Exception {
        List<PreferencePair> train = pairs(20, 3), val = pairs(6, 4);
        DpoTrainer.Settings st = new DpoTrainer.Settings(0.1, PreferenceLoss.Kind.SIGMOID, 0);
        check((pool, log, ck, progress, holder) -> {
            LlamaModel m = new LlamaModel(base(), LoraParams.init(C, LORA, 7), pool);
            DpoTrainer t = new DpoTrainer(m, null, st, OPT, pool, train.size(), val.size());
            holder[0] = (Runnable) t::requestStop;
            DpoTrainer.Result r = t.run(train, val, log, ck, progress);
            holder[1] = r.step();
            holder[2] = r.interrupted();
            return m.trainable();
        });
    }

    @Test
    void rewardModelResumesExactlyWithShuffledLabels() throws Exception {
        List<PreferencePair> train = pairs(20, 5), val = pairs(6, 6);
        check((pool, log, ck, progress, holder) -> {
            LlamaModel m = new LlamaModel(base(), LoraParams.init(C, LORA, 7), pool);
            ScalarHead head = ScalarHead.init(RewardModel.HEAD, C.dim(), 7);
            RewardTrainer t = new RewardTrainer(m, head, OPT, pool, true);
            holder[0] = (Runnable) t::requestStop;
            RewardTrainer.Result r = t.run(train, val, log, ck, progress);
            holder[1] = r.step();
            holder[2] = r.interrupted();
            return RewardTrainer.concat(m.trainable(), head);
        });
    }

    private void check(Run run) throws Exception {
        try (Parallel pool = new Parallel(2)) {
            Object[] h = new Object[3];
            Tensors whole = run.run(pool, dir.resolve("a"), Checkpointing.NONE, null, h);
            assertEquals(12, h[1]);

            // killed after step 6: the checkpoint of step 4 is the last, the logs already have steps 5 and 6
            Path ck = dir.resolve("b.ckpt");
            Object[] h1 = new Object[3];
            assertThrows(IllegalStateException.class, () -> run.run(pool, dir.resolve("b"), new Checkpointing(ck, 4, true), line -> {
                if (line.startsWith("step 6/")) throw new IllegalStateException("killed");
            }, h1));
            assertTrue(Files.readString(dir.resolve("b/train.csv")).contains("\n6,"), "the killed run logged step 6");
            Object[] h2 = new Object[3];
            List<String> said = new ArrayList<>();
            Tensors resumed = run.run(pool, dir.resolve("b"), new Checkpointing(ck, 4, true), said::add, h2);
            assertTrue(said.contains("resumed from " + ck + " at step 4"), said.toString());
            assertEquals(12, h2[1]);
            assertSame(false, h2[2]);
            same(whole, resumed, "b");

            // stopped (Ctrl-C) after step 5: a checkpoint at step 5, then resumed
            Path ck2 = dir.resolve("c.ckpt");
            Object[] h3 = new Object[3];
            run.run(pool, dir.resolve("c"), new Checkpointing(ck2, 0, true), line -> {
                if (line.startsWith("step 5/")) ((Runnable) h3[0]).run();
            }, h3);
            assertEquals(5, h3[1]);
            assertSame(true, h3[2]);
            Object[] h4 = new Object[3];
            same(whole, run.run(pool, dir.resolve("c"), new Checkpointing(ck2, 0, true), null, h4), "c");
        }
    }

    private void same(Tensors whole, Tensors resumed, String log) throws Exception {
        for (int i = 0; i < whole.tensors().size(); i++) {
            assertArrayEquals(whole.tensors().get(i).data(), resumed.tensors().get(i).data(), whole.tensors().get(i).name() + ": resumed = uninterrupted");
        }
        for (String f : List.of("train.csv", "eval.csv")) {
            assertEquals(Files.readString(dir.resolve("a").resolve(f)), Files.readString(dir.resolve(log).resolve(f)), f + " of the resumed run");
        }
    }
}

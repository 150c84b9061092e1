package dev.jllm.engine;

import static org.junit.jupiter.api.Assertions.*;

import dev.jllm.model.KvCacheManager;
import dev.jllm.model.LoraAdapter;
import dev.jllm.model.LoraWeights;
import dev.jllm.model.ModelConfig;
import dev.jllm.model.SamplingParams;
import dev.jllm.model.Transformer;
import dev.jllm.tensor.GgmlType;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Adapters chosen per request (Punica / S-LoRA's per-row adapters): sequences with two different
 * LoRA adapters and the bare base share batched steps, and each gives exactly the text it gives
 * alone; the run-time adapter equals the adapter merged into the weights; KV is never reused across
 * adapters.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class LoraServingTest {
    static TestModel m;
    static LoraWeights a1, a2;
    static LoraAdapter raw1;

    /** A random adapter for stories260K on the given matrices (B not zero: it changes the text). */
    static LoraAdapter random(ModelConfig c, long seed, String... names) {
        SplittableRandom r = new SplittableRandom(seed);
        List<LoraAdapter.Pair> pairs = new ArrayList<>();
        int rank = 4;
        for (int l = 0; l < c.nLayers(); l++) {
            for (String n : names) {
                int in = n.equals("attn_output") ? c.qDim() : n.equals("ffn_down") ? c.hiddenDim() : c.dim();
                int out = switch (n) {
                    case "attn_q" -> c.qDim();
                    case "attn_k", "attn_v" -> c.kvDim();
                    case "ffn_gate", "ffn_up" -> c.hiddenDim();
                    default -> c.dim();
                };
                float[] a = new float[rank * in], b = new float[out * rank];
                for (int i = 0; i < a.length; i++) a[i] = (float) r.nextGaussian() * 0.3f;
                for (int i = 0; i < b.length; i++) b[i] = (float) r.nextGaussian() * 0.3f;
                pairs.add(new LoraAdapter.Pair("blk." + l + "." + n + ".weight", in, out, rank, a, b));
            }
        }
        return new LoraAdapter(c.architecture(), 8f, pairs);
    }

    @BeforeAll
    static void open() throws Exception {
        m = new TestModel();
        ModelConfig c = m.weights.config;
        raw1 = random(c, 1, "attn_q", "attn_v", "ffn_down");
        a1 = new LoraWeights("one", raw1, c, 1f);
        a2 = new LoraWeights("two", random(c, 2, "attn_k", "attn_output", "ffn_gate", "ffn_up"), c, 1f);
    }

    @AfterAll
    static void close() {
        m.close();
    }

    static String alone(int[] prompt, SamplingParams sp, LoraWeights adapter) {
        Transformer tr = new Transformer(m.weights, new KvCacheManager(m.weights.config, GgmlType.F16, 16, 16), m.matmul);
        return new Generator(tr, m.tokenizer, adapter).generate(prompt, sp, null).text();
    }

    @Test
    void aMixedBatchEqualsEachSequenceAlone() throws Exception {
        SamplingParams sp = SamplingParams.GREEDY.withMaxTokens(40);
        String[] prompts = {"Once upon a time", "Tim had a big red ball", "The cat sat", "Lily went to the park and", "One day"};
        LoraWeights[] which = {a1, a2, null, a1, a2};
        try (Scheduler s = new Scheduler(m.weights, m.matmul, m.tokenizer, 64, new Scheduler.Limits(5, 8, 12, 0), SchedulerMetrics.NONE)) {
            List<Generation> gens = new ArrayList<>();
            for (int i = 0; i < prompts.length; i++) {
                gens.add(s.submit(new GenerationRequest(m.tokenizer.encode(prompts[i], true, false), sp, null, true, null, which[i])));
            }
            for (int i = 0; i < prompts.length; i++) {
                String want = alone(m.tokenizer.encode(prompts[i], true, false), sp, which[i]);
                assertEquals(want, TestModel.collect(gens.get(i)).finished().text(), prompts[i] + " with " + (which[i] == null ? "the base" : which[i].name));
            }
        }
        int[] p = m.tokenizer.encode("Once upon a time", true, false);
        assertNotEquals(alone(p, sp, null), alone(p, sp, a1), "precondition: the adapter changes the text");
        assertNotEquals(alone(p, sp, a1), alone(p, sp, a2));
    }

    @Test
    void theRunTimeAdapterIsTheMergedAdapter() {
        SamplingParams sp = SamplingParams.GREEDY.withMaxTokens(40);
        int[] p = m.tokenizer.encode("Tim had a big red ball", true, false);
        Transformer merged = new Transformer(m.weights.withAdapter(raw1, 1f), new KvCacheManager(m.weights.config, GgmlType.F16, 16, 16), m.matmul);
        assertEquals(new Generator(merged, m.tokenizer).generate(p, sp, null).text(), alone(p, sp, a1));
    }

    @Test
    void kvIsNeverReusedAcrossAdapters() throws Exception {
        SamplingParams sp = SamplingParams.GREEDY.withMaxTokens(8);
        int[] p = m.tokenizer.encode("Once upon a time, there was a little girl named Lily. She liked to play with her toys.", true, false);
        try (Scheduler s = new Scheduler(m.weights, m.matmul, m.tokenizer, 64, new Scheduler.Limits(2, 4, 64, 8), SchedulerMetrics.NONE)) {
            TestModel.collect(s.submit(new GenerationRequest(p, sp, "conv", true, null, a1))).finished();
            GenerationEvent.Started base = TestModel.collect(s.submit(new GenerationRequest(p, sp, null, true, null, null))).started();
            assertEquals(0, base.cachedTokens(), "the base does not reuse an adapter's KV");
            GenerationEvent.Started two = TestModel.collect(s.submit(new GenerationRequest(p, sp, "conv", true, null, a2))).started();
            assertEquals(0, two.cachedTokens(), "nor does another adapter, even in the same conversation");
            GenerationEvent.Started same = TestModel.collect(s.submit(new GenerationRequest(p, sp, null, true, null, a2))).started();
            assertTrue(same.cachedTokens() > 0, "the same adapter does");
        }
    }
}

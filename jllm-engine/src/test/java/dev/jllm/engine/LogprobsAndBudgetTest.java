package dev.jllm.engine;

import static org.junit.jupiter.api.Assertions.*;

import dev.jllm.model.KvCacheManager;
import dev.jllm.model.LogLikelihood;
import dev.jllm.model.SamplingParams;
import dev.jllm.model.Transformer;
import dev.jllm.tensor.GgmlType;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Logprobs are the model's own log-softmax (checked against model.LogLikelihood, the perplexity
 * path, on the same tokens), for generated tokens and for the prompt (echo); the character budget
 * never lets an answer pass it and cuts at sentence boundaries.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class LogprobsAndBudgetTest {
    static TestModel m;

    @BeforeAll
    static void open() throws Exception {
        m = new TestModel();
    }

    @AfterAll
    static void close() {
        m.close();
    }

    private static Scheduler scheduler(int stepTokens) {
        return new Scheduler(m.weights, m.matmul, m.tokenizer, 64, new Scheduler.Limits(4, 8, stepTokens, 4), SchedulerMetrics.NONE);
    }

    /**
     * log p(tokens[i] | tokens[..i]) by the perplexity path: LogLikelihood of one token after its
     * context. The same arithmetic in double on logits that differ only by float rounding (a batch of
     * other shape sums the matmuls in another order), hence 1e-5, not bit equality.
     */
    private static double reference(int[] tokens, int i) {
        Transformer tr = new Transformer(m.weights, new KvCacheManager(m.weights.config, GgmlType.F16, 16, 16), m.matmul);
        return LogLikelihood.of(tr, java.util.Arrays.copyOf(tokens, i), new int[] {tokens[i]}).sum();
    }

    @Test
    void promptAndGeneratedLogprobsEqualTheLogLikelihoodPath() throws Exception {
        int[] prompt = m.tokenizer.encode("Once upon a time, there was a little girl named Lily", true, false);
        // with temperature and penalties on: logprobs still describe the raw model, not the sampler
        SamplingParams sp = new SamplingParams(0.9f, 0, 0.95f, 0f, 1.3f, 0.5f, 0.5f, 64, java.util.Map.of(), 7, 12, List.of(), false);
        try (Scheduler s = scheduler(5)) { // prompt chunks of 5: rows of several steps are stitched together
            GenerationRequest r = new GenerationRequest(prompt, sp, "conv").withLogprobs(new Logprobs.Request(3, true));
            GenerationEvent.Finished f = TestModel.collect(s.submit(r)).finished();
            assertEquals(prompt.length, f.promptLogprobs().size());
            assertNull(f.promptLogprobs().get(0), "nothing precedes the first token");
            for (int i = 1; i < prompt.length; i++) {
                Logprobs.Token t = f.promptLogprobs().get(i);
                assertEquals(prompt[i], t.id());
                assertEquals(reference(prompt, i), t.logprob(), 1e-5, "prompt token " + i);
                assertEquals(3, t.topIds().length);
                assertTrue(t.topLogprobs()[0] >= t.topLogprobs()[1] && t.topLogprobs()[1] >= t.topLogprobs()[2]);
                assertTrue(t.logprob() <= t.topLogprobs()[0] + 1e-12);
            }
            int[] seq = f.sequence();
            List<Logprobs.Token> gen = f.logprobs();
            assertEquals(seq.length - prompt.length, gen.size());
            for (int j = 0; j < gen.size(); j++) {
                assertEquals(seq[prompt.length + j], gen.get(j).id());
                // decoded one token at a time (the decode attention kernel over the F16 cache) vs. one fresh
                // prefill: the logits differ by float rounding, ~3e-4 relative at most on this model
                double want = reference(seq, prompt.length + j);
                assertEquals(want, gen.get(j).logprob(), 1e-3 * Math.max(1, Math.abs(want)), "generated token " + j);
            }
            // a second request on the same conversation would reuse KV; with prompt logprobs it is computed from scratch
            GenerationEvent.Finished again = TestModel.collect(s.submit(r)).finished();
            assertEquals(0, again.cachedTokens());
            // bit for bit, although the first request ran partly in code the JIT had not compiled yet: the kernels
            // give the same bits in every tier (JitTierInvariantTest); before, this differed by up to 1.3e-6 relative
            assertEquals(f.promptLogprobs().size(), again.promptLogprobs().size());
            assertNull(again.promptLogprobs().get(0));
            for (int i = 1; i < prompt.length; i++) {
                Logprobs.Token a = f.promptLogprobs().get(i), b = again.promptLogprobs().get(i);
                assertEquals(a.id(), b.id(), "prompt token " + i);
                assertArrayEquals(a.topIds(), b.topIds(), "top ids of prompt token " + i);
                assertEquals(Double.doubleToLongBits(a.logprob()), Double.doubleToLongBits(b.logprob()), "prompt token " + i);
                assertArrayEquals(a.topLogprobs(), b.topLogprobs(), 0.0, "top logprobs of prompt token " + i);
            }
        }
    }

    @Test
    void streamedLogprobsAddUpToTheFinalList() throws Exception {
        int[] prompt = m.tokenizer.encode("The cat sat", true, false);
        try (Scheduler s = scheduler(64)) {
            GenerationRequest r = new GenerationRequest(prompt, SamplingParams.GREEDY.withMaxTokens(30), null)
                    .withLogprobs(new Logprobs.Request(1, false));
            Generation g = s.submit(r);
            java.util.List<Logprobs.Token> streamed = new java.util.ArrayList<>();
            GenerationEvent.Finished f;
            while (true) {
                GenerationEvent e = g.poll(60, TimeUnit.SECONDS);
                if (e instanceof GenerationEvent.Text t) streamed.addAll(t.logprobs());
                if (e instanceof GenerationEvent.Finished fin) {
                    f = fin;
                    break;
                }
                assertFalse(e instanceof GenerationEvent.Failed, String.valueOf(e));
            }
            assertNull(f.promptLogprobs());
            assertTrue(f.logprobs().subList(0, streamed.size()).equals(streamed));
            // greedy: every token is its row's argmax, so it is its own top-1 with the very same logprob
            for (Logprobs.Token t : f.logprobs()) {
                assertArrayEquals(new int[] {t.id()}, t.topIds());
                assertEquals(t.logprob(), t.topLogprobs()[0]);
                assertTrue(t.logprob() <= 0);
            }
        }
    }

    @Test
    void topIdsAreTheLargestFirstTiesByLowerId() {
        float[] x = {1, 5, 3, 5, -2, 4};
        assertArrayEquals(new int[] {1, 3, 5}, Logprobs.topIds(x, 3));
        assertArrayEquals(new int[] {1, 3, 5, 2, 0, 4}, Logprobs.topIds(x, 10));
        assertArrayEquals(new int[0], Logprobs.topIds(x, 0));
    }

    @Test
    void theCutEndsAtTheLastSentenceBoundaryThatFits() {
        CharBudget b = new CharBudget(20);
        assertEquals("Tom ran. He sat.".length(), b.cutAt("Tom ran. He sat. Then the dog came."));
        assertEquals("猫が来た。".length(), b.cutAt("猫が来た。犬も来たのでとても嬉しかったです、そして"));
        assertEquals("a b c d e f g h i j".length(), b.cutAt("a b c d e f g h i j k l m n"));
        assertEquals(20, b.cutAt("x".repeat(30)));
        assertEquals("3.5 is a number and".length(), new CharBudget(22).cutAt("3.5 is a number and so on"));
        // code points, not chars: 20 emoji are 40 chars
        assertEquals(40, b.cutAt("😀".repeat(25)));
    }

    @Test
    void aBudgetIsNeverExceededAndStreamedTextIsNeverTakenBack() throws Exception {
        int cut = 0, n = 0;
        try (Scheduler s = scheduler(64)) {
            for (String p : List.of("Once upon a time", "Tim had a big red ball", "The cat sat", "Lily went to the park and", "Mom said")) {
                for (int budget : new int[] {10, 40, 100}) {
                    SamplingParams sp = new SamplingParams(0.8f, 0, 1f, 0f, 1f, 0f, 0f, 64, java.util.Map.of(), budget, 100, List.of(), false);
                    GenerationRequest r = new GenerationRequest(m.tokenizer.encode(p, true, false), sp, null).withBudget(new CharBudget(budget));
                    TestModel.Outcome o = TestModel.collect(s.submit(r));
                    GenerationEvent.Finished f = o.finished();
                    String text = f.text();
                    assertEquals(text, o.streamed(), "what was streamed is the final text");
                    assertTrue(text.codePointCount(0, text.length()) <= budget, text.length() + " > " + budget + ": " + text);
                    assertEquals(text.codePointCount(0, text.length()), f.budget().outputChars());
                    if (f.budget().cut()) {
                        cut++;
                        assertEquals(FinishReason.LENGTH, f.reason());
                    }
                    n++;
                }
            }
        }
        System.out.printf("char budget on stories260K: %d of %d answers cut%n", cut, n);
    }
}

package dev.jllm.engine;

import static org.junit.jupiter.api.Assertions.*;

import dev.jllm.model.KvCacheManager;
import dev.jllm.model.SamplingParams;
import dev.jllm.model.Transformer;
import dev.jllm.tensor.GgmlType;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 120, unit = TimeUnit.SECONDS)
class SchedulerTest {
    static TestModel m;

    @BeforeAll
    static void open() throws Exception {
        m = new TestModel();
    }

    @AfterAll
    static void close() {
        m.close();
    }

    /** An opening longer than one KV block, shared by the prefix tests' prompts. */
    private static final String SYSTEM = "Once upon a time, there was a little girl named Lily. She liked to play with her toys in the garden.";

    private static final List<String> PROMPTS = List.of("Once upon a time", "Tim had a big red ball", "The cat sat",
            "Lily went to the park and", "One day, a little bird", "Sam was sad because", "The sun was", "Mom said");

    /** The reference: the single-sequence Generator, one prompt at a time, fresh cache. */
    private static Generator.Result reference(int[] prompt, SamplingParams sp) {
        Transformer tr = new Transformer(m.weights, new KvCacheManager(m.weights.config, GgmlType.F16, 16, 16), m.matmul);
        return new Generator(tr, m.tokenizer).generate(prompt, sp, null);
    }

    private static Scheduler scheduler(int maxRunning, int maxWaiting, int stepTokens, int idle, int blocks) {
        return new Scheduler(m.weights, m.matmul, m.tokenizer, blocks, new Scheduler.Limits(maxRunning, maxWaiting, stepTokens, idle),
                SchedulerMetrics.NONE);
    }

    private static <T> T onThread(Scheduler s, java.util.function.Supplier<T> f) throws Exception {
        CompletableFuture<T> r = new CompletableFuture<>();
        s.onSchedulerThread(() -> r.complete(f.get()));
        return r.get(30, TimeUnit.SECONDS);
    }

    @Test
    void concurrentRequestsProduceTheSameGreedyTextAsOneAtATime() throws Exception {
        SamplingParams sp = SamplingParams.GREEDY.withMaxTokens(40);
        // a small step budget forces chunked prefills mixed with decodes of other sequences
        try (Scheduler s = scheduler(5, 8, 12, 0, 64)) {
            List<Generation> gens = new ArrayList<>();
            for (String p : PROMPTS) gens.add(s.submit(new GenerationRequest(m.tokenizer.encode(p, true, false), sp, null)));
            for (int i = 0; i < PROMPTS.size(); i++) {
                int[] prompt = m.tokenizer.encode(PROMPTS.get(i), true, false);
                Generator.Result want = reference(prompt, sp);
                TestModel.Outcome got = TestModel.collect(gens.get(i));
                assertEquals(want.text(), got.finished().text(), PROMPTS.get(i));
                assertEquals(want.text(), got.streamed(), "streamed text equals the final text");
                assertEquals(want.tokens().length, got.finished().completionTokens());
                assertEquals(want.finish(),
                        got.finished().reason());
                assertEquals(prompt.length, got.started().promptTokens());
            }
            assertEquals(0, (int) onThread(s, () -> s.kvForTests().blocksUsed()), "no idle cache: every block is free again");
        }
    }

    @Test
    void secondTurnPrefillsOnlyTheNewTokensAndMatchesAColdRun() throws Exception {
        SamplingParams sp = SamplingParams.GREEDY.withMaxTokens(24);
        try (Scheduler s = scheduler(2, 2, 64, 4, 32)) {
            int[] p1 = m.tokenizer.encode("Once upon a time", true, false);
            TestModel.Outcome t1 = TestModel.collect(s.submit(new GenerationRequest(p1, sp, "conv-1")));
            assertEquals(0, t1.started().cachedTokens());
            String history = "Once upon a time" + t1.finished().text() + " Then the dog";
            int[] p2 = m.tokenizer.encode(history, true, false);
            TestModel.Outcome t2 = TestModel.collect(s.submit(new GenerationRequest(p2, sp, "conv-1")));
            int cached = t2.started().cachedTokens();
            // everything the first turn put in the cache that the re-tokenized history still starts with
            assertTrue(cached >= p1.length, "cached " + cached + " of " + p2.length + " (turn 1 prompt " + p1.length + ")");
            assertEquals(reference(p2, sp).text(), t2.finished().text(), "reused KV gives the same text as a cold prefill");
            assertEquals(1, (int) onThread(s, () -> s.kvForTests().sequenceCount()), "one resident sequence per conversation");
        }
    }

    /** The block-hash index finds, among many idle conversations, the one sharing the longest prefix. */
    @Test
    void amongManyIdleConversationsTheLongestSharedPrefixIsFound() throws Exception {
        SamplingParams sp = SamplingParams.GREEDY.withMaxTokens(2);
        String[] stories = {"Tim had a big red ball and he liked to throw it very high in the sky.",
                "The cat sat on the mat and looked at the bird in the tree for a long time.",
                "Lily went to the park with her mom and they saw a big dog with a red hat.",
                "One day, a little bird flew over the house and sang a happy song to the sun.",
                "Sam was sad because his toy car was broken and he could not play with it."};
        try (Scheduler s = scheduler(2, 8, 64, 16, 64)) {
            for (int i = 0; i < stories.length; i++) {
                TestModel.collect(s.submit(new GenerationRequest(m.tokenizer.encode(stories[i], true, false), sp, "c" + i))).finished();
            }
            int[] third = m.tokenizer.encode(stories[2], true, false);
            int[] q = m.tokenizer.encode(stories[2] + " Then it rained.", true, false);
            int common = 0;
            while (common < third.length && third[common] == q[common]) common++;
            TestModel.Outcome o = TestModel.collect(s.submit(new GenerationRequest(q, sp, "other")));
            assertTrue(common >= Scheduler.BLOCK_TOKENS, "precondition: a whole block in common, got " + common);
            assertEquals(common, o.started().cachedTokens(), "everything story 2's conversation holds in common with the prompt");
            assertEquals(reference(q, sp).text(), o.finished().text());
            TestModel.Outcome again = TestModel.collect(s.submit(new GenerationRequest(third, sp, "c2")));
            assertEquals(third.length - 1, again.started().cachedTokens(), "conversation c2 kept its cache");
        }
    }

    /**
     * Two idle requests hold the same whole blocks and part of the next: the prompt reuses the one sharing more of that
     * partial block, not the older one (a stateless client's own last turn, found behind an earlier request that only
     * starts alike; recomputing its tokens by prefill rounds differently from the decode that produced them).
     */
    @Test
    void ofTheEntriesHoldingTheDeepestSharedBlockTheOneSharingMostOfTheRestIsReused() throws Exception {
        SamplingParams sp = SamplingParams.GREEDY.withMaxTokens(1);
        try (Scheduler s = scheduler(2, 8, 64, 16, 64)) {
            int[] older = m.tokenizer.encode(SYSTEM + " The dog ran.", true, false);
            int[] mine = m.tokenizer.encode(SYSTEM + " The cat sat on the mat.", true, false);
            int[] q = m.tokenizer.encode(SYSTEM + " The cat sat on the mat. Then it rained.", true, false);
            int blocks = 0;
            while ((blocks + 1) * Scheduler.BLOCK_TOKENS <= Math.min(older.length, mine.length)
                    && Arrays.equals(older, 0, (blocks + 1) * Scheduler.BLOCK_TOKENS, mine, 0, (blocks + 1) * Scheduler.BLOCK_TOKENS)) blocks++;
            assertTrue(blocks >= 1 && mine.length < (blocks + 1) * Scheduler.BLOCK_TOKENS,
                    "precondition: both share whole blocks and differ within the next, which neither fills; " + older.length + ", " + mine.length);
            TestModel.collect(s.submit(new GenerationRequest(older, sp, null)));
            TestModel.collect(s.submit(new GenerationRequest(mine, sp, null)));
            int common = Arrays.mismatch(mine, q);
            assertTrue(common > Arrays.mismatch(older, q), "precondition: the younger request shares more of the prompt");
            TestModel.Outcome o = TestModel.collect(s.submit(new GenerationRequest(q, sp, null)));
            assertEquals(common, o.started().cachedTokens(), "all the younger request's KV the prompt repeats");
            assertEquals(reference(q, sp).text(), o.finished().text());
        }
    }

    @Test
    void aSharedPrefixIsForkedAndTheOtherConversationKeepsItsCache() throws Exception {
        SamplingParams sp = SamplingParams.GREEDY.withMaxTokens(16);
        try (Scheduler s = scheduler(2, 2, 64, 4, 32)) {
            int[] a = m.tokenizer.encode(SYSTEM + " One day", true, false);
            int[] b = m.tokenizer.encode(SYSTEM + " The dog", true, false);
            TestModel.collect(s.submit(new GenerationRequest(a, sp, "a")));
            TestModel.Outcome ob = TestModel.collect(s.submit(new GenerationRequest(b, sp, "b")));
            assertTrue(ob.started().cachedTokens() >= Scheduler.BLOCK_TOKENS, "shared prefix reused: " + ob.started().cachedTokens());
            assertTrue(ob.started().cachedTokens() < b.length - 1);
            assertEquals(reference(b, sp).text(), ob.finished().text());
            TestModel.Outcome oa = TestModel.collect(s.submit(new GenerationRequest(a, sp, "a")));
            assertEquals(a.length - 1, oa.started().cachedTokens(), "conversation a kept its whole cache");
            assertEquals(reference(a, sp).text(), oa.finished().text());
        }
    }

    @Test
    void cancellationDropsTheRequestAndFreesItsBlocks() throws Exception {
        SamplingParams sp = new SamplingParams(0f, 0, 1f, 0f, 1f, 0f, 0f, 64, java.util.Map.of(), 0, 120, List.of(), true);
        try (Scheduler s = scheduler(2, 2, 64, 4, 32)) {
            Generation g = s.submit(new GenerationRequest(m.tokenizer.encode("Once upon a time", true, false), sp, "c"));
            GenerationEvent first;
            do first = g.poll(30, TimeUnit.SECONDS); while (!(first instanceof GenerationEvent.Text));
            assertTrue(onThread(s, () -> s.kvForTests().blocksUsed()) > 0);
            g.cancel();
            GenerationEvent e;
            do e = g.poll(30, TimeUnit.SECONDS); while (e instanceof GenerationEvent.Text);
            assertEquals(new GenerationEvent.Failed(GenerationEvent.Cause.CANCELLED, "cancelled"), e);
            assertEquals(0, (int) onThread(s, () -> s.kvForTests().blocksUsed()), "cancelled sequences are not cached");
            assertEquals(0, (int) onThread(s, () -> s.kvForTests().sequenceCount()));
        }
    }

    @Test
    void fullQueueIsRejectedAsBusy() throws Exception {
        SamplingParams sp = new SamplingParams(0f, 0, 1f, 0f, 1f, 0f, 0f, 64, java.util.Map.of(), 0, 100, List.of(), true);
        try (Scheduler s = scheduler(1, 1, 64, 0, 32)) {
            int[] p = m.tokenizer.encode("The cat sat", true, false);
            Generation g1 = s.submit(new GenerationRequest(p, sp, null));
            Generation g2 = s.submit(new GenerationRequest(p, sp, null));
            EngineBusyException busy = assertThrows(EngineBusyException.class, () -> s.submit(new GenerationRequest(p, sp, null)));
            assertTrue(busy.retryAfterSeconds() >= 1);
            g1.cancel();
            g2.cancel();
            assertInstanceOf(GenerationEvent.Failed.class, TestModel.collect(g1).terminal());
            assertInstanceOf(GenerationEvent.Failed.class, TestModel.collect(g2).terminal());
            // slots are released: a new request is accepted and completes
            assertEquals(100, TestModel.collect(s.submit(new GenerationRequest(p, sp, null))).finished().completionTokens());
        }
    }

    @Test
    void idleConversationsAreEvictedLeastRecentlyUsedWhenBlocksRunOut() throws Exception {
        SamplingParams sp = new SamplingParams(0f, 0, 1f, 0f, 1f, 0f, 0f, 64, java.util.Map.of(), 0, 100, List.of(), true);
        // 9 blocks = exactly one full context (128 tokens) + 1: every new request needs most of the cache
        try (Scheduler s = scheduler(1, 4, 64, 8, 9)) {
            TestModel.collect(s.submit(new GenerationRequest(m.tokenizer.encode("Once upon a time", true, false), sp, "x")));
            TestModel.collect(s.submit(new GenerationRequest(m.tokenizer.encode("The cat sat", true, false), sp, "y")));
            assertEquals(1, (int) onThread(s, () -> s.kvForTests().sequenceCount()), "x was evicted to make room for y");
            TestModel.Outcome again = TestModel.collect(s.submit(new GenerationRequest(m.tokenizer.encode("The cat sat on", true, false), sp, "y")));
            assertTrue(again.started().cachedTokens() > 0, "y is still resident");
        }
    }

    @Test
    void closingFailsWhatIsInFlightAndRefusesNewWork() throws Exception {
        SamplingParams sp = new SamplingParams(0f, 0, 1f, 0f, 1f, 0f, 0f, 64, java.util.Map.of(), 0, 120, List.of(), true);
        Scheduler s = scheduler(1, 4, 64, 0, 32);
        int[] p = m.tokenizer.encode("Once upon a time", true, false);
        List<Generation> gens = new ArrayList<>();
        for (int i = 0; i < 3; i++) gens.add(s.submit(new GenerationRequest(p, sp, null)));
        s.close();
        for (Generation g : gens) {
            GenerationEvent end = TestModel.collect(g).terminal();
            // each one either finished before the close reached it or was told the server is shutting down
            if (end instanceof GenerationEvent.Failed f) assertEquals("the server is shutting down", f.message());
        }
        assertThrows(EngineBusyException.class, () -> s.submit(new GenerationRequest(p, sp, null)));
    }

    @Test
    void promptsThatCannotRunAreRejectedUpFront() throws Exception {
        try (Scheduler s = scheduler(1, 1, 64, 0, 32)) {
            assertThrows(IllegalArgumentException.class, () -> s.submit(new GenerationRequest(new int[128], SamplingParams.GREEDY, null)));
            assertThrows(IllegalArgumentException.class, () -> s.submit(new GenerationRequest(new int[] {1, 9999}, SamplingParams.GREEDY, null)));
            assertThrows(IllegalArgumentException.class, () -> scheduler(1, 1, 64, 0, 8));
        }
    }

    /**
     * The order requests start and end in, seen from the scheduler thread (through the metrics hooks),
     * for 3 requests on 2 slots: A long (60 tokens), B (4) and C (5) short. Admission is FIFO, so the
     * n-th admission is the n-th request; an end is told apart by its token count.
     */
    private static List<String> timeline(Scheduler.Batching batching) throws Exception {
        SamplingParams a = new SamplingParams(0f, 0, 1f, 0f, 1f, 0f, 0f, 64, java.util.Map.of(), 0, 60, List.of(), true);
        List<String> events = java.util.Collections.synchronizedList(new ArrayList<>());
        SchedulerMetrics order = new SchedulerMetrics() {
            int admitted;

            @Override
            public void admitted(int promptTokens, int cachedTokens, long queuedNanos) {
                events.add("ABC".charAt(admitted++) + " started");
            }

            @Override
            public void finished(FinishReason reason, int tokens, long e2e, long ttft) {
                events.add((tokens == 60 ? "A" : tokens == 4 ? "B" : "C") + " ended");
            }
        };
        try (Scheduler s = new Scheduler(m.weights, m.matmul, m.tokenizer, 32, new Scheduler.Limits(2, 4, 64, 0, batching), order)) {
            int[] p = m.tokenizer.encode("Once upon a time", true, false);
            // submitted from the scheduler thread, so all three are queued before the first admission (static's first batch is A and B)
            List<Generation> gens = onThread(s, () -> {
                try {
                    return List.of(s.submit(new GenerationRequest(p, a, null)), s.submit(new GenerationRequest(p, a.withMaxTokens(4), null)),
                            s.submit(new GenerationRequest(p, a.withMaxTokens(5), null)));
                } catch (EngineBusyException e) {
                    throw new AssertionError(e);
                }
            });
            for (Generation g : gens) TestModel.collect(g).finished();
        }
        return events;
    }

    @Test
    void cachePromptFalsePrefillsFromScratchAndKeepsNothing() throws Exception {
        SamplingParams sp = SamplingParams.GREEDY.withMaxTokens(4);
        int[] p = m.tokenizer.encode("Once upon a time there was a little girl named Lily. She liked to play in the park with her big red ball and her dog Max.", true, false);
        try (Scheduler s = scheduler(2, 4, 64, 8, 32)) {
            TestModel.collect(s.submit(new GenerationRequest(p, sp, null))).finished();
            assertTrue(TestModel.collect(s.submit(new GenerationRequest(p, sp, null))).started().cachedTokens() > 0, "reused by default");
            int idle = onThread(s, () -> s.stats().idleConversations());
            TestModel.Outcome cold = TestModel.collect(s.submit(new GenerationRequest(p, sp, null, false)));
            assertEquals(0, cold.started().cachedTokens(), "cache_prompt false: nothing reused");
            assertEquals(idle, (int) onThread(s, () -> s.stats().idleConversations()), "and nothing kept");
        }
    }

    /** PPO's rollouts: requests submitted together join the same step, whatever the scheduler was doing; all or none. */
    @Test
    void submitAllAdmitsTheRequestsTogetherOrRefusesThemAll() throws Exception {
        java.util.concurrent.atomic.AtomicInteger steps = new java.util.concurrent.atomic.AtomicInteger();
        List<Integer> admittedAt = java.util.Collections.synchronizedList(new ArrayList<>());
        SchedulerMetrics record = new SchedulerMetrics() {
            @Override
            public void step(int decodeSequences, int prefillTokens, long nanos) {
                steps.incrementAndGet();
            }

            @Override
            public void admitted(int promptTokens, int cachedTokens, long queuedNanos) {
                admittedAt.add(steps.get());
            }
        };
        SamplingParams sp = SamplingParams.GREEDY.withMaxTokens(30);
        try (Scheduler s = new Scheduler(m.weights, m.matmul, m.tokenizer, 64, new Scheduler.Limits(6, 6, 256, 0, Scheduler.Batching.CONTINUOUS), record)) {
            // a running sequence keeps the scheduler stepping while the batch arrives
            Generation busy = s.submit(new GenerationRequest(m.tokenizer.encode("Once upon a time", true, false), SamplingParams.GREEDY.withMaxTokens(60), null));
            while (steps.get() < 3) Thread.onSpinWait();
            List<GenerationRequest> rs = new ArrayList<>();
            for (String p : PROMPTS.subList(1, 6)) rs.add(new GenerationRequest(m.tokenizer.encode(p, true, false), sp, null));
            List<Generation> gens = s.submitAll(rs);
            for (int i = 0; i < gens.size(); i++) {
                assertEquals(reference(rs.get(i).prompt(), sp).text(), TestModel.collect(gens.get(i)).finished().text(), PROMPTS.get(i + 1));
            }
            TestModel.collect(busy);
            assertEquals(6, admittedAt.size());
            assertEquals(1, admittedAt.subList(1, 6).stream().distinct().count(), "the five joined one step: " + admittedAt);

            // all or none: a prompt outside the vocabulary, or more than the queue holds, queues nothing
            List<GenerationRequest> bad = List.of(rs.get(0), new GenerationRequest(new int[] {1, 1 << 20}, sp, null));
            var e = assertThrows(IllegalArgumentException.class, () -> s.submitAll(bad));
            assertTrue(e.getMessage().contains("outside"), e.getMessage());
            List<GenerationRequest> tooMany = java.util.Collections.nCopies(13, rs.get(0));
            assertThrows(EngineBusyException.class, () -> s.submitAll(tooMany));
            assertEquals(0, (int) onThread(s, () -> s.stats().running() + s.stats().waiting()), "nothing was queued");
            assertEquals(6, s.submitAll(java.util.Collections.nCopies(6, rs.get(0))).size(), "the refused ones left no reservation behind");
        }
    }

    /** Acceptance: a cancelled (client gone) sequence leaves the running set within one scheduler step. */
    @Test
    void aCancelledSequenceLeavesWithinOneStep() throws Exception {
        java.util.concurrent.atomic.AtomicInteger steps = new java.util.concurrent.atomic.AtomicInteger();
        java.util.concurrent.atomic.AtomicInteger droppedAt = new java.util.concurrent.atomic.AtomicInteger(-1);
        SchedulerMetrics count = new SchedulerMetrics() {
            @Override
            public void step(int decodeSequences, int prefillTokens, long nanos) {
                steps.incrementAndGet();
            }

            @Override
            public void cancelled() {
                droppedAt.set(steps.get());
            }
        };
        SamplingParams long100 = new SamplingParams(0f, 0, 1f, 0f, 1f, 0f, 0f, 64, java.util.Map.of(), 0, 100, List.of(), true);
        try (Scheduler s = new Scheduler(m.weights, m.matmul, m.tokenizer, 32, new Scheduler.Limits(2, 4, 64, 0, Scheduler.Batching.CONTINUOUS), count)) {
            Generation other = s.submit(new GenerationRequest(m.tokenizer.encode("The cat sat", true, false), long100, null));
            Generation g = s.submit(new GenerationRequest(m.tokenizer.encode("Once upon a time", true, false), long100, null));
            int texts = 0;
            while (texts < 3) if (g.poll(30, TimeUnit.SECONDS) instanceof GenerationEvent.Text) texts++;
            int atCancel = steps.get();
            g.cancel();
            GenerationEvent e;
            do e = g.poll(30, TimeUnit.SECONDS); while (e instanceof GenerationEvent.Text);
            assertTrue(e instanceof GenerationEvent.Failed f && f.message().equals("cancelled"), "ends as cancelled: " + e);
            int after = droppedAt.get() - atCancel;
            System.out.printf("cancelled sequence dropped %d scheduler step(s) after cancel()%n", after);
            assertTrue(after >= 0 && after <= 1, "dropped " + after + " steps after cancel(): at most the step already running may finish");
            assertEquals(1, (int) onThread(s, () -> s.stats().running()), "the other sequence runs on");
            assertEquals(100, TestModel.collect(other).finished().completionTokens());
        }
    }

    @Test
    void continuousBatchingFillsAFreedSlotAtOnceStaticWaitsForTheWholeBatch() throws Exception {
        List<String> continuous = timeline(Scheduler.Batching.CONTINUOUS);
        assertTrue(continuous.indexOf("C started") < continuous.indexOf("A ended"), "C joins when B leaves: " + continuous);
        List<String> stat = timeline(Scheduler.Batching.STATIC);
        assertTrue(stat.indexOf("C started") > stat.indexOf("A ended"), "C waits for the batch {A, B} to finish: " + stat);
        assertTrue(stat.indexOf("B ended") < stat.indexOf("A ended"), "B is short: " + stat);
    }

    @Test
    void aRequestArrivingWhileAnotherRunsSharesTheCommonPrefixBlocks() throws Exception {
        // the donor decodes to the end of the context (~90 steps), so it is still running when b arrives
        SamplingParams runLong = new SamplingParams(0f, 0, 1f, 0f, 1f, 0f, 0f, 64, java.util.Map.of(), 0, 127, List.of(), true);
        SamplingParams sp = SamplingParams.GREEDY.withMaxTokens(16);
        // no idle cache at all: any reuse can only come from the running sequence
        try (Scheduler s = scheduler(2, 2, 64, 0, 32)) {
            int[] a = m.tokenizer.encode(SYSTEM + " One day", true, false);
            int[] b = m.tokenizer.encode(SYSTEM + " The dog", true, false);
            Generation ga = s.submit(new GenerationRequest(a, runLong, "a"));
            GenerationEvent e;
            do e = ga.poll(30, TimeUnit.SECONDS); while (!(e instanceof GenerationEvent.Text)); // a's prompt is in its KV
            TestModel.Outcome ob = TestModel.collect(s.submit(new GenerationRequest(b, sp, "b")));
            int common = 0;
            while (a[common] == b[common]) common++;
            assertEquals(common - common % Scheduler.BLOCK_TOKENS, ob.started().cachedTokens(), "whole shared blocks of the common prefix");
            assertTrue(ob.started().cachedTokens() >= Scheduler.BLOCK_TOKENS);
            assertEquals(reference(b, sp).text(), ob.finished().text(), "shared blocks give the same text as a cold prefill");
            assertEquals(reference(a, runLong).text(), TestModel.collect(ga).finished().text(), "the donor is unaffected");
            assertEquals(0, (int) onThread(s, () -> s.kvForTests().blocksUsed()), "every block is free again");
        }
    }

    @Test
    void aTokenMaskConfinesSampledTokensAndSeesEveryOne() throws Exception {
        // allow only the ids of a few words (+ EOS): sampling at temperature 1 must never leave them
        java.util.Set<Integer> allowed = new java.util.TreeSet<>();
        for (String w : List.of(" cat", " dog", " sun", " big")) for (int id : m.tokenizer.encode(w, false, false)) allowed.add(id);
        List<Integer> seen = new ArrayList<>();
        TokenMask mask = new TokenMask() {
            @Override
            public void apply(float[] logits) {
                for (int i = 0; i < logits.length; i++) if (!allowed.contains(i)) logits[i] = Float.NEGATIVE_INFINITY;
            }

            @Override
            public void accept(int token) {
                seen.add(token);
            }
        };
        SamplingParams sp = SamplingParams.defaults(7).withMaxTokens(24);
        try (Scheduler s = scheduler(2, 2, 64, 0, 32)) {
            int[] p = m.tokenizer.encode("Once upon a time", true, false);
            GenerationEvent.Finished f = TestModel.collect(s.submit(new GenerationRequest(p, sp, null, true, mask))).finished();
            assertEquals(f.completionTokens(), seen.size(), "the mask saw every sampled token");
            for (int t : seen) assertTrue(allowed.contains(t), "token " + t + " is outside the mask " + allowed);
            for (int i = p.length; i < f.sequence().length; i++) assertTrue(allowed.contains(f.sequence()[i]));
            // without the mask the same seed wanders outside those words
            GenerationEvent.Finished free = TestModel.collect(s.submit(new GenerationRequest(p, sp, null))).finished();
            boolean outside = false;
            for (int i = p.length; i < free.sequence().length; i++) outside |= !allowed.contains(free.sequence()[i]);
            assertTrue(outside, "precondition: the unconstrained text uses other tokens: " + free.text());
        }
    }
}

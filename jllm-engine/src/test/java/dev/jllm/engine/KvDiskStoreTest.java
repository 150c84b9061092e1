package dev.jllm.engine;

import static org.junit.jupiter.api.Assertions.*;

import dev.jllm.model.SamplingParams;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Conversation KV on disk: written on eviction and shutdown, loaded on the next turn; every bad file is ignored, never used. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class KvDiskStoreTest {
    static TestModel m;
    static byte[] modelHash;
    static final SamplingParams SP = SamplingParams.GREEDY.withMaxTokens(20);

    @TempDir
    Path dir;

    @BeforeAll
    static void open() throws Exception {
        m = new TestModel();
        modelHash = KvDiskStore.sha256(TestModel.path("models/stories260K.gguf"));
    }

    @AfterAll
    static void close() {
        m.close();
    }

    private KvDiskStore store(byte[] hash) throws Exception {
        return new KvDiskStore(dir, 1L << 30, Scheduler.kvLayout(m.weights.config, hash));
    }

    private Scheduler scheduler(KvDiskStore disk, int idle, int blocks) {
        return new Scheduler(m.weights, m.matmul, m.tokenizer, blocks, new Scheduler.Limits(1, 4, 64, idle), SchedulerMetrics.NONE,
                m.weights.config.contextLength(), disk);
    }

    private static int[] concat(int[] a, int[] b) {
        int[] r = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, r, a.length, b.length);
        return r;
    }

    private static final String TURN1 = "Once upon a time, there was a little girl named Lily.";
    private static final String TURN2 = " She liked to play";

    /** The uninterrupted run: two turns on one scheduler, the second prompted with the first's sequence + new tokens. */
    private static TestModel.Outcome[] uninterrupted() throws Exception {
        try (Scheduler s = new Scheduler(m.weights, m.matmul, m.tokenizer, 32, new Scheduler.Limits(1, 4, 64, 4), SchedulerMetrics.NONE)) {
            TestModel.Outcome t1 = TestModel.collect(s.submit(new GenerationRequest(m.tokenizer.encode(TURN1, true, false), SP, "c")));
            int[] p2 = concat(t1.finished().sequence(), m.tokenizer.encode(TURN2, false, false));
            TestModel.Outcome t2 = TestModel.collect(s.submit(new GenerationRequest(p2, SP, "c")));
            return new TestModel.Outcome[] {t1, t2};
        }
    }

    /** Turn 1 on a scheduler that is then closed (its drain writes the conversation's KV). */
    private int[] turnOneThenShutdown() throws Exception {
        try (Scheduler s = scheduler(store(modelHash), 4, 32)) {
            TestModel.collect(s.submit(new GenerationRequest(m.tokenizer.encode(TURN1, true, false), SP, "c")));
            return s.lastSequence("c");
        }
    }

    @Test
    void afterARestartTheNextTurnLoadsTheHistoryAndAnswersAsIfUninterrupted() throws Exception {
        TestModel.Outcome[] want = uninterrupted();
        int[] seq1 = turnOneThenShutdown();
        assertArrayEquals(want[0].finished().sequence(), seq1);
        try (Scheduler s = scheduler(store(modelHash), 4, 32)) {
            assertArrayEquals(seq1, s.lastSequence("c"), "the sequence comes back from disk after the restart");
            int[] p2 = concat(s.lastSequence("c"), m.tokenizer.encode(TURN2, false, false));
            TestModel.Outcome t2 = TestModel.collect(s.submit(new GenerationRequest(p2, SP, "c")));
            assertEquals(want[1].finished().text(), t2.finished().text());
            assertEquals(want[1].started().cachedTokens(), t2.started().cachedTokens(), "as many cached tokens as the warm turn");
            assertEquals(seq1.length - 1, t2.started().cachedTokens(), "the whole history in the KV (the last sampled token is never fed)");
            assertEquals(1, s.kvDisk().hits());
        }
    }

    @Test
    void anEvictedConversationIsWrittenAndLoadedOnItsNextTurn() throws Exception {
        TestModel.Outcome[] want = uninterrupted();
        // 9 blocks: one full context + 1, so another conversation's turn evicts "c"
        try (Scheduler s = scheduler(store(modelHash), 8, 9)) {
            TestModel.Outcome t1 = TestModel.collect(s.submit(new GenerationRequest(m.tokenizer.encode(TURN1, true, false), SP, "c")));
            TestModel.collect(s.submit(new GenerationRequest(m.tokenizer.encode("The cat sat", true, false),
                    SamplingParams.GREEDY.withMaxTokens(100), "other")));
            s.kvDisk().flush();
            assertTrue(Files.exists(s.kvDisk().file("c")), "c was evicted to disk");
            int[] p2 = concat(s.lastSequence("c"), m.tokenizer.encode(TURN2, false, false));
            assertArrayEquals(t1.finished().sequence(), s.lastSequence("c"));
            TestModel.Outcome t2 = TestModel.collect(s.submit(new GenerationRequest(p2, SP, "c")));
            assertEquals(want[1].finished().text(), t2.finished().text());
            assertEquals(t1.finished().sequence().length - 1, t2.started().cachedTokens());
            assertEquals(1, s.kvDisk().hits());
        }
    }

    @Test
    void anEvictionOnRequestIsTheLrusOwnAndItsNextTurnLoadsTheFile() throws Exception {
        TestModel.Outcome[] want = uninterrupted();
        try (Scheduler s = scheduler(store(modelHash), 8, 32)) {
            TestModel.Outcome t1 = TestModel.collect(s.submit(new GenerationRequest(m.tokenizer.encode(TURN1, true, false), SP, "c")));
            TestModel.collect(s.submit(new GenerationRequest(m.tokenizer.encode("The cat sat", true, false), SP, null))); // an anonymous entry
            java.util.List<Scheduler.Evicted> ev = s.evict("c");
            assertEquals(java.util.List.of(new Scheduler.Evicted("c", t1.finished().sequence().length - 1, true)), ev);
            assertTrue(Files.exists(s.kvDisk().file("c")), "written before evict returned");
            assertEquals(java.util.List.of(), s.evict("c"), "nothing resident any more");
            assertArrayEquals(t1.finished().sequence(), s.lastSequence("c"), "the sequence now comes from the file");
            int[] p2 = concat(s.lastSequence("c"), m.tokenizer.encode(TURN2, false, false));
            TestModel.Outcome t2 = TestModel.collect(s.submit(new GenerationRequest(p2, SP, "c")));
            assertEquals(t1.finished().sequence().length - 1, t2.started().cachedTokens(), "the history came back from disk");
            assertEquals(want[1].finished().text(), t2.finished().text());
            assertEquals(1, s.kvDisk().hits());
            java.util.List<Scheduler.Evicted> all = s.evict(null);
            assertEquals(2, all.size(), "c again and the anonymous prompt: " + all);
            assertTrue(all.stream().anyMatch(e -> e.key() == null && !e.spilled()), "anonymous KV is dropped, never written");
            assertTrue(all.stream().anyMatch(e -> "c".equals(e.key()) && e.spilled()));
            assertEquals(0, (int) onThread(s, () -> s.kvForTests().sequenceCount()), "nothing left resident");
        }
        try (Scheduler s = new Scheduler(m.weights, m.matmul, m.tokenizer, 32, new Scheduler.Limits(1, 4, 64, 4), SchedulerMetrics.NONE)) {
            TestModel.collect(s.submit(new GenerationRequest(m.tokenizer.encode(TURN1, true, false), SP, "c")));
            assertFalse(s.evict("c").getFirst().spilled(), "without a disk store the KV is dropped");
            assertNull(s.lastSequence("c"));
        }
    }

    private static <T> T onThread(Scheduler s, java.util.concurrent.Callable<T> c) throws Exception {
        var f = new java.util.concurrent.CompletableFuture<T>();
        s.onSchedulerThread(() -> {
            try {
                f.complete(c.call());
            } catch (Exception e) {
                f.completeExceptionally(e);
            }
        });
        return f.get(30, TimeUnit.SECONDS);
    }

    @Test
    void aConversationEvictedWhileItsTurnWaitedIsReadBackBeforeTheTurnRuns() throws Exception {
        TestModel.Outcome[] want = uninterrupted();
        try (Scheduler s = scheduler(store(modelHash), 8, 9)) {
            TestModel.Outcome t1 = TestModel.collect(s.submit(new GenerationRequest(m.tokenizer.encode(TURN1, true, false), SP, "c")));
            int[] p2 = concat(s.lastSequence("c"), m.tokenizer.encode(TURN2, false, false));
            // hold the scheduler so that both requests queue while "c" is still resident
            java.util.concurrent.CountDownLatch hold = new java.util.concurrent.CountDownLatch(1);
            s.onSchedulerThread(() -> {
                try {
                    hold.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            Generation other = s.submit(new GenerationRequest(m.tokenizer.encode("The cat sat", true, false),
                    SamplingParams.GREEDY.withMaxTokens(100), "other")); // its blocks evict "c"
            Generation c2 = s.submit(new GenerationRequest(p2, SP, "c"));
            hold.countDown();
            TestModel.collect(other);
            TestModel.Outcome t2 = TestModel.collect(c2);
            assertEquals(t1.finished().sequence().length - 1, t2.started().cachedTokens(), "the evicted KV came back from disk");
            assertEquals(want[1].finished().text(), t2.finished().text());
            assertEquals(1, s.kvDisk().hits());
            assertEquals(2L, s.kvDisk().misses().get("missing"), "only the first turns of c and other looked: c was resident at its second");
        }
    }

    @Test
    void deletingAConversationDeletesItsFile() throws Exception {
        turnOneThenShutdown();
        try (KvDiskStore d = store(modelHash); Scheduler s = scheduler(d, 4, 32)) {
            assertTrue(Files.exists(d.file("c")));
            s.forget("c");
            TestModel.collect(s.submit(new GenerationRequest(m.tokenizer.encode("x", true, false), SP, null))); // the Forget was handled
            d.flush();
            assertFalse(Files.exists(d.file("c")));
            assertNull(s.lastSequence("c"));
        }
    }

    @Test
    void theBudgetDeletesTheLeastRecentlyUsedFiles() throws Exception {
        KvDiskStore.Layout layout = Scheduler.kvLayout(m.weights.config, modelHash);
        long block = layout.blockBytes();
        try (KvDiskStore d = new KvDiskStore(dir, 2 * block + 4096, layout)) {
            d.write("a", new int[] {1, 2, 3}, 3, new byte[][] {new byte[(int) block]});
            d.flush();
            Files.setLastModifiedTime(d.file("a"), java.nio.file.attribute.FileTime.fromMillis(System.currentTimeMillis() - 60_000));
            d.write("b", new int[] {4, 5, 6}, 3, new byte[][] {new byte[(int) block]});
            d.flush();
            assertTrue(Files.exists(d.file("a")) && Files.exists(d.file("b")), "two files fit");
            d.write("c", new int[] {7, 8, 9}, 3, new byte[][] {new byte[(int) block]});
            d.flush();
            assertFalse(Files.exists(d.file("a")), "the oldest file went");
            assertTrue(Files.exists(d.file("b")) && Files.exists(d.file("c")));
            assertEquals(1, d.deletedForBudget());
            assertNotNull(d.load("b"));
        }
    }

    /** A damaged or foreign file: the turn prefills (cached 0) and answers exactly as a cold run. */
    private void assertIgnored(String reason, java.util.function.Consumer<Path> damage, byte[] hash) throws Exception {
        TestModel.Outcome[] want = uninterrupted();
        int[] seq1 = turnOneThenShutdown();
        Path f;
        try (KvDiskStore d = store(hash)) {
            f = d.file("c");
        }
        damage.accept(f);
        try (Scheduler s = scheduler(store(hash), 4, 32)) {
            int[] p2 = concat(seq1, m.tokenizer.encode(TURN2, false, false));
            TestModel.Outcome t2 = TestModel.collect(s.submit(new GenerationRequest(p2, SP, "c")));
            assertEquals(0, t2.started().cachedTokens(), reason + ": nothing loaded");
            assertEquals(want[1].finished().text(), t2.finished().text(), reason + ": the same answer");
            assertEquals(0, s.kvDisk().hits());
            assertEquals(1L, s.kvDisk().misses().get(reason), reason + " counted: " + s.kvDisk().misses());
        }
    }

    private static void edit(Path f, java.util.function.Consumer<RandomAccessFile> how) {
        try (RandomAccessFile r = new RandomAccessFile(f.toFile(), "rw")) {
            how.accept(r);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static void flip(RandomAccessFile r, long at) {
        try {
            r.seek(at);
            int b = r.read();
            r.seek(at);
            r.write(b ^ 0x5A);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Test
    void aTruncatedFileIsIgnored() throws Exception {
        assertIgnored("truncated", f -> edit(f, r -> {
            try {
                r.setLength(r.length() - 100);
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }), modelHash);
    }

    @Test
    void aCorruptedBlockIsIgnored() throws Exception {
        assertIgnored("corrupt", f -> edit(f, r -> {
            try {
                flip(r, r.length() - 50); // inside the last block
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }), modelHash);
    }

    @Test
    void aCorruptedTokenIdIsIgnored() throws Exception {
        // byte 100 lies among the token ids (the header is 8 + 52 + 4 + 1 + 16 = 81 bytes before them): the header checksum fails
        assertIgnored("corrupt", f -> edit(f, r -> flip(r, 100)), modelHash);
    }

    @Test
    void anotherModelsFileIsIgnored() throws Exception {
        byte[] other = modelHash.clone();
        other[0] ^= 1;
        // the model hash is in the file name, so another model never opens the file; one renamed to its name is refused by the header
        assertIgnored("model", f -> {
            try (KvDiskStore d = store(modelHash)) {
                Files.copy(d.file("c"), f);
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        }, other);
    }

    @Test
    void versionsOfAModelKeepTheirOwnFilesOfAConversationAndADeleteRemovesAll() throws Exception {
        turnOneThenShutdown();
        byte[] other = modelHash.clone();
        other[0] ^= 1;
        try (KvDiskStore d = store(modelHash)) {
            KvDiskStore.Entry e = d.load("c");
            KvDiskStore v2 = d.forModel(new KvDiskStore.Layout(other, d.layout().cacheType(), d.layout().blockTokens(), d.layout().layers(),
                    d.layout().kvDim()));
            assertNull(v2.load("c"), "version 2 has no KV of c yet");
            v2.write("c", e.tokens(), e.kvLength(), e.blocks());
            v2.close(); // waits for its write; the shared writer goes on
            assertNotEquals(d.file("c"), v2.file("c"));
            assertTrue(Files.exists(d.file("c")) && Files.exists(v2.file("c")), "one file per version: a rollback finds its own again");
            assertNotNull(d.load("c"));
            d.delete("c");
            d.flush();
            assertFalse(Files.exists(d.file("c")) || Files.exists(v2.file("c")), "deleting the conversation deletes every version's file");
        }
    }

    @Test
    void anotherConversationsFileIsIgnored() throws Exception {
        assertIgnored("key", f -> { // the file of "c" holds what was written for "z"
            try (KvDiskStore d = store(modelHash)) {
                KvDiskStore.Entry e = d.load("c");
                d.write("z", e.tokens(), e.kvLength(), e.blocks());
                d.flush();
                Files.move(d.file("z"), f, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        }, modelHash);
    }

    @Test
    void aFileOfAnotherCacheLayoutIsIgnored() throws Exception {
        turnOneThenShutdown();
        KvDiskStore.Layout l = Scheduler.kvLayout(m.weights.config, modelHash);
        try (KvDiskStore d = new KvDiskStore(dir, 1L << 30, new KvDiskStore.Layout(modelHash, 0, l.blockTokens(), l.layers(), l.kvDim()))) {
            assertNull(d.load("c"));
            assertNull(d.tokens("c"));
            assertEquals(2L, d.misses().get("cache_type"));
        }
    }

    @Test
    void otherTokensAreNotUsed() throws Exception {
        turnOneThenShutdown();
        try (Scheduler s = scheduler(store(modelHash), 4, 32)) {
            int[] other = m.tokenizer.encode("The dog ran", false, false); // no BOS: shares no first token with the file
            TestModel.Outcome t = TestModel.collect(s.submit(new GenerationRequest(other, SP, "c")));
            assertEquals(0, t.started().cachedTokens());
            assertEquals(1L, s.kvDisk().misses().get("tokens"));
        }
    }

    @Test
    void aWriteCutShortByACrashLeavesNoFileThatCouldBeRead() throws Exception {
        turnOneThenShutdown();
        Path tmp, f;
        try (KvDiskStore d = store(modelHash)) {
            f = d.file("c");
            // a crash mid-write leaves the temporary file (the move into place never happened): removed at the next start
            tmp = f.resolveSibling(f.getFileName() + ".7.tmp");
            Files.write(tmp, Arrays.copyOf(Files.readAllBytes(f), 1000));
        }
        try (KvDiskStore d = store(modelHash)) {
            assertFalse(Files.exists(tmp), "the temporary file of an interrupted write is deleted at start");
            assertNotNull(d.load("c"), "the complete file is untouched");
        }
    }

    @Test
    void aMissingFileIsAMiss() throws Exception {
        try (Scheduler s = scheduler(store(modelHash), 4, 32)) {
            TestModel.Outcome t = TestModel.collect(s.submit(new GenerationRequest(m.tokenizer.encode(TURN1, true, false), SP, "new")));
            assertEquals(0, t.started().cachedTokens());
            assertEquals(1L, s.kvDisk().misses().get("missing"));
        }
    }

    /** A stateless request's sequence is readable from any thread for the client's next turn, and gone once its entry is. */
    @Test
    void anAnonymousTurnLeavesItsSequenceForTheNextStatelessPromptUntilEvicted() throws Exception {
        try (Scheduler s = scheduler(null, 4, 32)) {
            int[] p1 = m.tokenizer.encode(TURN1, true, false);
            assertTrue(s.idleSequences().isEmpty(), "nothing resident yet");
            TestModel.Outcome t1 = TestModel.collect(s.submit(new GenerationRequest(p1, SP, null)));
            TestModel.collect(s.submit(new GenerationRequest(m.tokenizer.encode("The cat sat", true, false), SP, null)));
            int[] p2 = concat(t1.finished().sequence(), m.tokenizer.encode(TURN2, false, false));
            assertTrue(s.idleSequences().stream().anyMatch(q -> Arrays.equals(q, t1.finished().sequence())),
                    "the turn's entry, with its reply's ids (" + p2.length + "-token resend to build from)");
            assertEquals(2, s.idleSequences().size());
            assertEquals(2, s.evict(null).size());
            assertTrue(s.idleSequences().isEmpty(), "evicted: no sequence to build from");
        }
    }

    /** A stored turn's sequence (a conversation or a stored response) serves a later resend of its history too. */
    @Test
    void aStoredTurnLeavesItsSequenceForAStatelessResendOfItsHistory() throws Exception {
        try (Scheduler s = scheduler(null, 4, 32)) {
            int[] p1 = m.tokenizer.encode(TURN1, true, false);
            TestModel.Outcome t1 = TestModel.collect(s.submit(new GenerationRequest(p1, SP, "resp_1")));
            int[] p2 = concat(t1.finished().sequence(), m.tokenizer.encode(TURN2, false, false));
            assertEquals(1, s.idleSequences().size(), "only the stored turn (" + p2.length + "-token resend to build from)");
            assertArrayEquals(t1.finished().sequence(), s.idleSequences().getFirst(), "the stored turn's prompt and reply");
        }
    }
}

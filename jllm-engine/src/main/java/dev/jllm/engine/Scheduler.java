package dev.jllm.engine;

import dev.jllm.model.Batch;
import dev.jllm.model.KvCacheManager;
import dev.jllm.model.Matmul;
import dev.jllm.model.MemoryPlan;
import dev.jllm.model.Transformer;
import dev.jllm.model.Weights;
import dev.jllm.tensor.GgmlType;
import dev.jllm.tokenizer.Tokenizer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The one owner of model state: a thread that holds the {@link Transformer} and its
 * {@link KvCacheManager}, takes requests from a queue and runs continuous batching — every step is
 * ONE forward call with a decode token for each running sequence plus chunks of waiting prompts, up
 * to a per-step token budget; each sequence's logits go to its {@link Slot}. Clients (the HTTP
 * handlers) talk to it only through {@link #submit}, {@link #forget} and {@link #evict} (commands on one queue) and
 * the returned {@link Generation} (events back, cancellation in).
 *
 * <p>Seams for what comes next, all at a step boundary on this thread: per-request token masks
 * ({@link GenerationRequest#mask}, in place); per-request adapters and logprobs (fields of the
 * request, applied where {@link #step} builds the batch and where the slot samples); a model swap
 * and KV export/import for a conversation (new {@link Command}s).
 *
 * <p>Admission reserves KV blocks for the whole request (prompt + max new tokens) before it runs, so
 * a running request never hits a full cache; idle conversation caches ({@link PrefixCache}) are
 * evicted LRU-first to make room. The reservation of a running sequence is
 * {@code ceil(final/B) - floor(current/B)} blocks — conservative by at most one block, which also
 * covers the copy-on-write of a partly shared block after a fork.
 */
public final class Scheduler implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(Scheduler.class.getName());
    /** KV block size in tokens. */
    public static final int BLOCK_TOKENS = MemoryPlan.KV_BLOCK_TOKENS;
    /** A prompt chunk still advances by this much per step when decodes use up the budget (no starvation). */
    private static final int MIN_PREFILL_CHUNK = 16;
    /** Logits floats one prompt-logprobs chunk may produce (32 MiB): with a 150k vocabulary, ~55 prompt tokens per step. */
    private static final int PROMPT_LOGITS_FLOATS = 8 << 20;

    /**
     * How requests join the batch. CONTINUOUS (iteration-level, as vLLM): a waiting request joins at
     * the next step whenever a slot and blocks are free. STATIC (for comparison, as a plain batched
     * generate loop): a batch is formed from what is waiting when the previous one has completely
     * finished, and nobody joins until all of its sequences are done.
     */
    public enum Batching { CONTINUOUS, STATIC }

    /**
     * @param maxRunning     sequences decoding/prefilling at once
     * @param maxWaiting     requests queued behind them; more is rejected (429)
     * @param stepTokens     tokens per forward call (decode tokens + prefill chunk)
     * @param maxIdleEntries conversation caches kept resident at most
     * @param batching       continuous (default) or static
     */
    public record Limits(int maxRunning, int maxWaiting, int stepTokens, int maxIdleEntries, Batching batching) {
        public Limits {
            if (maxRunning < 1) throw new IllegalArgumentException("max running must be >= 1, got " + maxRunning);
            if (maxWaiting < 0) throw new IllegalArgumentException("max waiting must be >= 0, got " + maxWaiting);
            if (stepTokens < 1) throw new IllegalArgumentException("step token budget must be >= 1, got " + stepTokens);
            if (maxIdleEntries < 0) throw new IllegalArgumentException("max idle cache entries must be >= 0, got " + maxIdleEntries);
            java.util.Objects.requireNonNull(batching, "batching");
        }

        public Limits(int maxRunning, int maxWaiting, int stepTokens, int maxIdleEntries) {
            this(maxRunning, maxWaiting, stepTokens, maxIdleEntries, Batching.CONTINUOUS);
        }
    }

    /** A snapshot for /ready and metrics. */
    public record Stats(int running, int waiting, int blocksUsed, int blocksTotal, int idleConversations) {}

    /**
     * One idle entry {@link #evict} freed: its cache key (a conversation; null for an anonymous prompt's
     * cache), its tokens of KV, and whether that KV is now in the disk store's file (else it is gone and
     * the next turn prefills).
     */
    public record Evicted(String key, int tokens, boolean spilled) {}

    /** What the inbox carries: every way a client thread reaches the scheduler thread. */
    private sealed interface Command {
        /** A new request. */
        record Submit(Active request) implements Command {}

        /** Several requests that join the queue together, in order ({@link #submitAll}). */
        record SubmitAll(List<Active> requests) implements Command {}

        /** A conversation was deleted: drop its resident KV and sequence. */
        record Forget(String cacheKey) implements Command {}

        /** Run code on the scheduler thread (tests inspect state this way). */
        record Inspect(Runnable action) implements Command {}

        /** An embedding: the tokens' final hidden states, pooled. */
        record Embed(EmbedJob job) implements Command {}

        /** Evict idle KV now, as the LRU does: one conversation's ({@code cacheKey}), or every entry (null). */
        record Evict(String cacheKey, java.util.concurrent.CompletableFuture<List<Evicted>> done) implements Command {}
    }

    /** An embedding in progress: prefilled chunk by chunk (one chunk per loop turn, so decodes keep going), then pooled. */
    private static final class EmbedJob {
        final int[] tokens;
        final Pooling pooling;
        final java.util.concurrent.CompletableFuture<float[]> result = new java.util.concurrent.CompletableFuture<>();
        final float[][] hidden;
        int seq = -1;
        int done;

        EmbedJob(int[] tokens, Pooling pooling) {
            this.tokens = tokens;
            this.pooling = pooling;
            this.hidden = new float[tokens.length][];
        }
    }

    /** Per-request state; touched only by the scheduler thread (except the Generation it owns). */
    private static final class Active {
        final GenerationRequest req;
        final Generation out;
        final Slot slot;
        final long submittedNanos = System.nanoTime();
        long firstTokenNanos, lastTokenNanos;
        int seq = -1;
        int cached;    // prompt tokens reused from the cache
        int prefilled; // prompt tokens whose K/V are in the cache
        KvDiskStore.Entry fromDisk; // the conversation's KV read from disk at submit (not resident then), or null
        int diskCommon;             // how many of the prompt's tokens it holds
        boolean diskTried;          // the disk was asked already (at submit, or when placing found the conversation evicted)
        java.util.concurrent.CompletableFuture<Void> loading; // a read of its KV under way on another thread
        final Logprobs.Token[] promptLogprobs; // echo: one per prompt token, [0] stays null; null when not requested

        Active(GenerationRequest req, Slot slot) {
            this.req = req;
            this.slot = slot;
            this.out = new Generation(slot.maxNew());
            this.promptLogprobs = req.logprobs() != null && req.logprobs().prompt() ? new Logprobs.Token[req.prompt().length] : null;
        }

        /** A cached prefix has no logits: a request that wants its prompt's logprobs is prefilled from scratch. */
        boolean reusesKv() { return req.reuseKv() && promptLogprobs == null; }

        int promptLen() { return slot.promptLength(); }

        int finalLen() { return promptLen() + slot.maxNew(); }
    }

    private final Transformer tr;
    private final KvCacheManager kv;
    private final Tokenizer tok;
    private final Limits limits;
    private final SchedulerMetrics metrics;
    private final int ctx;
    private final LinkedBlockingQueue<Command> inbox = new LinkedBlockingQueue<>();
    private final AtomicInteger inSystem = new AtomicInteger(); // submitted and not yet ended (running + waiting)
    private final ArrayDeque<Active> waiting = new ArrayDeque<>();
    private final List<Active> running = new ArrayList<>();
    private final ArrayDeque<EmbedJob> embeds = new ArrayDeque<>();
    private final PrefixCache cache;
    private final KvDiskStore disk; // null: no KV on disk
    private final Thread thread;
    private volatile boolean closed;
    private final Object gate = new Object(); // orders submit()'s enqueue against the thread's final drain
    private boolean accepting = true;         // guarded by gate
    private volatile Stats stats;

    /** Builds the KV cache ({@code kvBlocks} blocks of {@link #BLOCK_TOKENS}, F16) for the model's whole context and starts the thread. */
    public Scheduler(Weights weights, Matmul matmul, Tokenizer tokenizer, int kvBlocks, Limits limits, SchedulerMetrics metrics) {
        this(weights, matmul, tokenizer, kvBlocks, limits, metrics, weights.config.contextLength());
    }

    /** @param contextLength tokens per sequence at most (prompt + reply), at most the model's trained context */
    public Scheduler(Weights weights, Matmul matmul, Tokenizer tokenizer, int kvBlocks, Limits limits, SchedulerMetrics metrics, int contextLength) {
        this(weights, matmul, tokenizer, kvBlocks, limits, metrics, contextLength, null);
    }

    /**
     * @param disk where conversations' KV goes when evicted and at {@link #close} and comes back from on
     *             their next turn (also after a restart); null for memory only. Its layout must be
     *             {@link #kvLayout} of these weights. The scheduler closes it.
     */
    public Scheduler(Weights weights, Matmul matmul, Tokenizer tokenizer, int kvBlocks, Limits limits, SchedulerMetrics metrics, int contextLength,
            KvDiskStore disk) {
        if (contextLength < 1 || contextLength > weights.config.contextLength()) {
            throw new IllegalArgumentException("context length must be 1.." + weights.config.contextLength() + ", got " + contextLength);
        }
        this.ctx = contextLength;
        int minBlocks = MemoryPlan.minKvBlocks(ctx, BLOCK_TOKENS);
        if (kvBlocks < minBlocks) {
            throw new IllegalArgumentException("the KV cache must hold at least one full context: " + minBlocks + " blocks of "
                    + BLOCK_TOKENS + " tokens for context " + ctx + ", got " + kvBlocks);
        }
        this.kv = new KvCacheManager(weights.config, GgmlType.F16, BLOCK_TOKENS, kvBlocks);
        this.tr = new Transformer(weights, kv, matmul);
        this.tok = tokenizer;
        this.limits = limits;
        this.metrics = metrics;
        if (disk != null) {
            KvDiskStore.Layout want = kvLayout(weights.config, disk.layout().modelHash());
            if (!want.equals(disk.layout())) throw new IllegalArgumentException("KV disk store layout " + disk.layout() + " does not match this cache's " + want);
        }
        this.disk = disk;
        this.cache = new PrefixCache(kv, limits.maxIdleEntries(), BLOCK_TOKENS, disk);
        this.stats = new Stats(0, 0, 0, kvBlocks, 0);
        this.thread = Thread.ofPlatform().name("jllm-scheduler").daemon(true).unstarted(this::loop);
        thread.start();
    }

    public int contextLength() { return ctx; }

    /**
     * Runs the forward pass once on throwaway KV — a prefill of {@code tokens} positions, then two
     * decode steps over them — so the JIT has compiled the prefill, decode and attention paths before
     * the first client arrives (as llama-server's warm-up run). Without it the first turns of a fresh
     * server run several times slower: a conversation's first turn after a restart, its KV loaded from
     * disk, took 4–9 s instead of ~1 s on the Qwen2.5-0.5B shape. Nothing is counted in metrics.
     */
    public static void warmUp(Weights weights, Matmul matmul, int tokens) {
        int n = Math.min(tokens, weights.config.contextLength() - 2);
        if (n < 1) return;
        KvCacheManager kv = new KvCacheManager(weights.config, GgmlType.F16, BLOCK_TOKENS, MemoryPlan.kvBlocks(n + 2, BLOCK_TOKENS));
        Transformer tr = new Transformer(weights, kv, matmul);
        int vocab = weights.config.vocabSize();
        int[] prompt = new int[n];
        for (int i = 0; i < n; i++) prompt[i] = (int) ((i * 7919L + 13) % vocab);
        int seq = kv.allocate();
        tr.forward(Batch.of(seq, prompt, 0, Batch.Logits.LAST));
        for (int i = 0; i < 2; i++) tr.forward(Batch.of(seq, new int[] {prompt[i]}, n + i, Batch.Logits.LAST));
        kv.free(seq);
    }

    /** The KV layout this scheduler's cache has (F16, {@link #BLOCK_TOKENS}), for a {@link KvDiskStore} of the model with SHA-256 {@code modelHash}. */
    public static KvDiskStore.Layout kvLayout(dev.jllm.model.ModelConfig c, byte[] modelHash) {
        return new KvDiskStore.Layout(modelHash, GgmlType.F16.id, BLOCK_TOKENS, c.nLayers(), c.kvDim());
    }

    /** The disk store of conversations' KV, or null. */
    public KvDiskStore kvDisk() { return disk; }

    public Stats stats() { return stats; }

    /** The tokenizer requests are decoded with. */
    public Tokenizer tokenizer() {
        return tok;
    }

    /** Tokens of KV per block (what {@link Stats} counts in). */
    public int blockTokens() {
        return BLOCK_TOKENS;
    }

    /**
     * Queues a request. Throws {@link EngineBusyException} when max waiting requests are already
     * queued (or the scheduler is closed), {@link IllegalArgumentException} for a prompt that cannot
     * run (the HTTP layer checks sizes first and reports them as 400).
     */
    public Generation submit(GenerationRequest r) throws EngineBusyException {
        check(r);
        reserve(1);
        Active a = prepare(r);
        enqueue(new Command.Submit(a), 1);
        return a.out;
    }

    /**
     * Queues several requests as one: they reach the queue together, in order, so the steps they run in
     * do not depend on how fast the caller submits (PPO's rollouts: the same seeds give the same batches,
     * hence the same numbers). All or none: a request that cannot run, or too little room for all of
     * them, throws before any is queued.
     */
    public List<Generation> submitAll(List<GenerationRequest> rs) throws EngineBusyException {
        for (GenerationRequest r : rs) check(r);
        if (rs.isEmpty()) return List.of();
        reserve(rs.size());
        List<Active> as = new ArrayList<>(rs.size());
        for (GenerationRequest r : rs) as.add(prepare(r));
        enqueue(new Command.SubmitAll(List.copyOf(as)), rs.size());
        List<Generation> out = new ArrayList<>(as.size());
        for (Active a : as) out.add(a.out);
        return out;
    }

    private void check(GenerationRequest r) {
        int p = r.prompt().length;
        if (p >= ctx) throw new IllegalArgumentException("the prompt has " + p + " tokens; the model's context is " + ctx);
        int vocab = tr.config().vocabSize();
        for (int t : r.prompt()) if (t < 0 || t >= vocab) throw new IllegalArgumentException("token id " + t + " is outside 0.." + (vocab - 1));
    }

    /** Counts {@code n} requests into the system, or refuses them all. */
    private void reserve(int n) throws EngineBusyException {
        if (closed) throw new EngineBusyException("the server is shutting down", 5, true);
        if (inSystem.addAndGet(n) > limits.maxRunning() + limits.maxWaiting()) {
            inSystem.addAndGet(-n);
            metrics.rejected("queue_full");
            throw new EngineBusyException("server busy: " + limits.maxRunning() + " requests running and " + limits.maxWaiting()
                    + " waiting; retry later", 1, false);
        }
    }

    private Active prepare(GenerationRequest r) {
        Active a = new Active(r, new Slot(tok, r.prompt(), r.params(), ctx, r.mask(), r.logprobs(), r.budget()));
        if (disk != null && r.cacheKey() != null && a.reusesKv() && r.adapter() == null && !cache.resident(r.cacheKey())) {
            a.diskTried = true;
            loadFromDisk(a);
        }
        return a;
    }

    private void enqueue(Command c, int n) throws EngineBusyException {
        synchronized (gate) {
            if (!accepting) {
                inSystem.addAndGet(-n);
                throw new EngineBusyException("the server is shutting down", 5, true);
            }
            inbox.add(c);
        }
    }

    /**
     * The embedding of a token sequence: its final hidden states (after the output norm) pooled and
     * L2-normalised ({@link Pooling}). Computed on this thread between steps, in chunks of the step
     * token budget, in a KV sequence of its own that is freed at once; never reuses or leaves cache.
     * Throws {@link EngineBusyException} when max waiting embeddings are queued or the engine is
     * stopping, {@link IllegalArgumentException} for an input longer than the context. Cancelling the
     * future drops the work at the next step.
     */
    public java.util.concurrent.CompletableFuture<float[]> embed(int[] tokens, Pooling pooling) throws EngineBusyException {
        if (tokens.length == 0) throw new IllegalArgumentException("nothing to embed: the input has no tokens");
        if (tokens.length > ctx) throw new IllegalArgumentException("the input has " + tokens.length + " tokens; the model's context is " + ctx);
        int vocab = tr.config().vocabSize();
        for (int t : tokens) if (t < 0 || t >= vocab) throw new IllegalArgumentException("token id " + t + " is outside 0.." + (vocab - 1));
        if (closed) throw new EngineBusyException("the server is shutting down", 5, true);
        if (pendingEmbeds.incrementAndGet() > limits.maxRunning() + limits.maxWaiting()) {
            pendingEmbeds.decrementAndGet();
            metrics.rejected("queue_full");
            throw new EngineBusyException("server busy: too many embedding inputs queued; retry later", 1, false);
        }
        EmbedJob job = new EmbedJob(tokens.clone(), java.util.Objects.requireNonNull(pooling, "pooling"));
        synchronized (gate) {
            if (!accepting) {
                pendingEmbeds.decrementAndGet();
                throw new EngineBusyException("the server is shutting down", 5, true);
            }
            inbox.add(new Command.Embed(job));
        }
        return job.result;
    }

    private final AtomicInteger pendingEmbeds = new AtomicInteger();

    /** On the client's thread: reads the conversation's KV from disk, kept for {@link #place} if it starts the prompt. */
    private void loadFromDisk(Active a) {
        KvDiskStore.Entry e = disk.load(a.req.cacheKey());
        if (e == null) return;
        int[] prompt = a.req.prompt();
        int n = Math.min(e.kvLength(), prompt.length - 1), c = 0;
        while (c < n && e.tokens()[c] == prompt[c]) c++;
        if (c == 0) {
            disk.tokensMismatch(a.req.cacheKey());
            return;
        }
        a.fromDisk = e;
        a.diskCommon = c;
    }

    /** The model's hidden size: the length of every embedding. */
    public int embeddingDimension() {
        return tr.config().dim();
    }

    /** Runs one chunk of the oldest embedding, when blocks allow (idle caches are evicted for it, as for a request). */
    private void embedStep() {
        EmbedJob j = embeds.peek();
        if (j == null) return;
        if (j.result.isCancelled()) { // the client went away
            embeds.poll();
            if (j.seq >= 0 && kv.exists(j.seq)) kv.free(j.seq);
            pendingEmbeds.decrementAndGet();
            return;
        }
        try {
            if (j.seq < 0) {
                long reserved = 0;
                for (Active r : running) reserved += Math.max(0, MemoryPlan.kvBlocks(r.finalLen(), BLOCK_TOKENS) - kv.length(r.seq) / BLOCK_TOKENS);
                long need = MemoryPlan.kvBlocks(j.tokens.length, BLOCK_TOKENS);
                for (int ev; kv.freeBlocks() - reserved < need && (ev = cache.evictOldest(null)) >= 0; ) metrics.evicted(ev);
                if (kv.freeBlocks() - reserved < need) return; // running requests hold the blocks: wait for one to end
                j.seq = kv.allocate();
            }
            int n = Math.min(limits.stepTokens(), j.tokens.length - j.done);
            float[][] rows = tr.forward(Batch.of(j.seq, Arrays.copyOfRange(j.tokens, j.done, j.done + n), j.done, Batch.Logits.HIDDEN)).get(0);
            System.arraycopy(rows, 0, j.hidden, j.done, n);
            j.done += n;
            if (j.done < j.tokens.length) return;
            embeds.poll();
            kv.free(j.seq);
            pendingEmbeds.decrementAndGet();
            j.result.complete(j.pooling.pool(j.hidden));
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.ERROR, "embedding failed", e);
            embeds.poll();
            if (j.seq >= 0 && kv.exists(j.seq)) kv.free(j.seq);
            pendingEmbeds.decrementAndGet();
            j.result.completeExceptionally(e);
        }
    }

    /** How long {@link #evict} waits for the scheduler thread: a step, however long, is far shorter. */
    private static final long EVICT_WAIT_SECONDS = 120;

    /**
     * Evicts idle KV now, exactly as the LRU under the cache's memory does when blocks run short (the
     * same {@link PrefixCache} eviction: the conversation's blocks written to the disk store when there
     * is one, else dropped): the conversation's ({@code cacheKey}), or with null every idle entry.
     * Done on the scheduler thread between two steps; returns after the disk writes too, so the next
     * turn finds the file (a {@code spilled} entry's file exists then). A conversation whose turn is
     * running or waiting is not idle and is left alone (an empty list). For operators and benchmarks
     * ({@code POST /admin/kv/evict}); throws {@link EngineBusyException} when the scheduler is closed.
     */
    public List<Evicted> evict(String cacheKey) throws EngineBusyException, InterruptedException {
        var done = new java.util.concurrent.CompletableFuture<List<Evicted>>();
        synchronized (gate) {
            if (!accepting || closed) throw new EngineBusyException("the server is shutting down", 5, true);
            inbox.add(new Command.Evict(cacheKey, done));
        }
        List<Evicted> ev;
        try {
            ev = done.get(EVICT_WAIT_SECONDS, TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException e) {
            if (e.getCause() instanceof EngineBusyException b) throw b;
            throw new IllegalStateException("eviction failed", e.getCause());
        } catch (java.util.concurrent.TimeoutException e) {
            throw new EngineBusyException("the scheduler did not get to the eviction within " + EVICT_WAIT_SECONDS + " s", 5, false);
        }
        if (disk == null || ev.stream().noneMatch(Evicted::spilled)) return ev;
        disk.flush(); // the writes queued by this eviction (and any before them) are on disk now
        List<Evicted> out = new ArrayList<>(ev.size());
        for (Evicted e : ev) out.add(e.spilled() && !disk.mayHave(e.key()) ? new Evicted(e.key(), e.tokens(), false) : e); // a failed write
        return out;
    }

    /** Drops a conversation's resident KV and token sequence (conversation deleted); asynchronous. */
    public void forget(String cacheKey) {
        inbox.add(new Command.Forget(cacheKey));
    }

    /**
     * The token sequence the last finished turn under {@code cacheKey} left (prompt and reply, as the
     * model saw and said it), or null when none is resident; any thread. Build the next turn's prompt
     * from it and its KV is reused to the last token.
     */
    public int[] lastSequence(String cacheKey) {
        return cache.sequence(cacheKey);
    }

    /**
     * Every idle sequence the prefix cache holds (anonymous and conversations' last turns), with the ids they hold: a stateless
     * request picks the one whose ids spell most of its text ({@code PromptBuilder.closest}); any thread.
     */
    public List<int[]> idleSequences() {
        return cache.idleSequences();
    }

    /** Runs {@code action} on the scheduler thread (tests inspect state this way). */
    void onSchedulerThread(Runnable action) {
        inbox.add(new Command.Inspect(action));
    }

    KvCacheManager kvForTests() { return kv; }

    private void loop() {
        try {
            while (!closed) {
                drainInbox(running.isEmpty() && embeds.isEmpty());
                dropCancelled();
                admit();
                embedStep();
                if (!running.isEmpty()) {
                    try {
                        step();
                    } catch (RuntimeException e) {
                        // the engine failed mid-step: its sequences are in an unknown state, so fail them all
                        LOG.log(System.Logger.Level.ERROR, "forward step failed", e);
                        for (Active a : List.copyOf(running)) fail(a, GenerationEvent.Cause.INTERNAL, "internal error while generating");
                    }
                }
                refreshStats();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            synchronized (gate) {
                accepting = false; // from here on submit() refuses, so nothing lands in the inbox unanswered
            }
            GenerationEvent.Failed bye = new GenerationEvent.Failed(GenerationEvent.Cause.SHUTTING_DOWN, "the server is shutting down");
            for (Active a : List.copyOf(running)) fail(a, bye.cause(), bye.message());
            for (Active a : waiting) end(a, bye);
            for (Command c : inbox) {
                if (c instanceof Command.Submit(Active a)) end(a, bye);
                if (c instanceof Command.SubmitAll(List<Active> as)) for (Active a : as) end(a, bye);
                if (c instanceof Command.Embed(EmbedJob j)) embeds.add(j);
                if (c instanceof Command.Evict(String k, var done)) done.completeExceptionally(new EngineBusyException("the server is shutting down", 5, true));
            }
            for (EmbedJob j : embeds) {
                if (j.seq >= 0 && kv.exists(j.seq)) kv.free(j.seq);
                j.result.completeExceptionally(new EngineBusyException("the server is shutting down", 5, true));
            }
            embeds.clear();
            waiting.clear();
            inbox.clear();
            cache.clear();
        }
    }

    private void drainInbox(boolean idle) throws InterruptedException {
        Command c = idle ? inbox.poll(50, TimeUnit.MILLISECONDS) : inbox.poll();
        while (c != null) {
            switch (c) {
                case Command.Submit(Active a) -> waiting.add(a);
                case Command.SubmitAll(List<Active> as) -> waiting.addAll(as);
                case Command.Forget(String key) -> cache.forget(key);
                case Command.Inspect(Runnable action) -> action.run();
                case Command.Embed(EmbedJob job) -> embeds.add(job);
                case Command.Evict(String key, var done) -> {
                    List<Evicted> ev = new ArrayList<>();
                    if (key == null) {
                        ev.addAll(cache.evictAll());
                    } else {
                        Evicted e = cache.evict(key);
                        if (e != null) ev.add(e);
                    }
                    for (Evicted e : ev) metrics.evicted(e.tokens());
                    done.complete(List.copyOf(ev));
                }
            }
            c = inbox.poll();
        }
    }

    private void dropCancelled() {
        for (Iterator<Active> it = waiting.iterator(); it.hasNext(); ) {
            Active a = it.next();
            if (a.out.isCancelled()) {
                it.remove();
                metrics.cancelled();
                end(a, new GenerationEvent.Failed(GenerationEvent.Cause.CANCELLED, "cancelled"));
            }
        }
        for (Active a : List.copyOf(running)) {
            if (a.out.isCancelled()) {
                metrics.cancelled();
                fail(a, GenerationEvent.Cause.CANCELLED, "cancelled");
            }
        }
    }

    private void admit() {
        if (limits.batching() == Batching.STATIC && !running.isEmpty()) return; // the current batch runs to its end first
        while (running.size() < limits.maxRunning() && !waiting.isEmpty()) {
            Active a = waiting.peek();
            if (!place(a)) return; // first come, first served: later requests wait behind it
            waiting.poll();
            running.add(a);
            a.prefilled = a.cached;
            metrics.admitted(a.promptLen(), a.cached, System.nanoTime() - a.submittedNanos);
            a.out.emit(new GenerationEvent.Started(a.promptLen(), a.cached));
        }
    }

    /** Finds the request a KV sequence (reusing a cached prefix when one matches); false if blocks are short. */
    private boolean place(Active a) {
        long reserved = 0;
        for (Active r : running) reserved += Math.max(0, MemoryPlan.kvBlocks(r.finalLen(), BLOCK_TOKENS) - kv.length(r.seq) / BLOCK_TOKENS);
        String key = a.req.cacheKey();
        if (a.loading != null) {
            if (!a.loading.isDone()) return false; // its KV is being read: the queue waits, running sequences step on
            a.loading = null;
        }
        if (disk != null && !a.diskTried && key != null && a.reusesKv() && a.req.adapter() == null && !cache.resident(key) && disk.mayHave(key)) {
            // resident when it was submitted, evicted (to disk) while it waited: read it back off this thread
            a.diskTried = true;
            a.loading = java.util.concurrent.CompletableFuture.runAsync(() -> loadFromDisk(a), r -> Thread.ofVirtual().name("jllm-kv-load").start(r));
            return false;
        }
        PrefixCache.Match m = a.reusesKv() ? cache.longestPrefix(a.req.prompt(), key, a.req.adapter()) : null;
        if (a.fromDisk != null) {
            if (m == null || a.diskCommon > m.common()) return placeFromDisk(a, reserved);
            a.fromDisk = null; // memory holds as much
        }
        if (a.reusesKv() && shareWithRunning(a, m, reserved)) return true;
        // The conversation moved on (or its whole cache is a prefix of this prompt): take its sequence
        // over, dropping what diverged now, so those blocks count as free below.
        boolean takeOver = m != null && (m.common() == m.entry().kvLength || (key != null && key.equals(m.entry().key)));
        if (takeOver) kv.truncate(m.entry().seq, m.common());
        // Sharing with another conversation pays only for whole blocks (a partial one is copied on write).
        if (m != null && !takeOver && m.common() < BLOCK_TOKENS) m = null;
        while (true) {
            int common = m == null ? 0 : m.common();
            long need = MemoryPlan.kvBlocks(a.finalLen(), BLOCK_TOKENS) - common / BLOCK_TOKENS;
            if (kv.freeBlocks() - reserved >= need) break;
            int evicted = cache.evictOldest(m == null ? null : m.entry());
            if (evicted >= 0) {
                metrics.evicted(evicted);
            } else if (m != null) {
                m = null; // only the match itself is left: give up the reuse so it can be evicted too
            } else {
                return false;
            }
        }
        if (m == null) {
            a.seq = kv.allocate();
        } else if (takeOver) {
            cache.take(m.entry());
            a.seq = m.entry().seq;
            a.cached = m.common();
        } else {
            // another conversation shares a prefix (e.g. the system prompt): share its blocks, keep it intact
            a.seq = kv.fork(m.entry().seq, m.common());
            cache.touch(m.entry());
            a.cached = m.common();
        }
        return true;
    }

    /** Imports the conversation's KV read from disk into a new sequence (blocks permitting); the prompt prefills past it. */
    private boolean placeFromDisk(Active a, long reserved) {
        long need = MemoryPlan.kvBlocks(a.finalLen(), BLOCK_TOKENS);
        for (int ev; kv.freeBlocks() - reserved < need && (ev = cache.evictOldest(null)) >= 0; ) metrics.evicted(ev);
        if (kv.freeBlocks() - reserved < need) return false;
        a.seq = kv.allocate();
        kv.importBlocks(a.seq, a.diskCommon, a.fromDisk.blocks());
        a.cached = a.diskCommon;
        a.fromDisk = null;
        disk.hit();
        return true;
    }

    /**
     * Requests with a common prefix (a shared system prompt) that arrive while another one is running:
     * fork the running sequence's whole blocks of that prefix. They are fully written and their owner
     * only appends past them, so neither side ever copies; only a match longer than the best idle one
     * ({@code idle}, which is kept: the caller falls back to it if blocks are short here) is worth it.
     */
    private boolean shareWithRunning(Active a, PrefixCache.Match idle, long reserved) {
        Active donor = null;
        int shared = 0;
        int[] prompt = a.req.prompt();
        for (Active r : running) {
            if (r.req.adapter() != a.req.adapter()) continue; // KV of other weights
            int n = Math.min(kv.length(r.seq), prompt.length - 1), c = 0; // its slot's tokens [0, kv length) are in its KV
            while (c < n && r.slot.token(c) == prompt[c]) c++;
            c -= c % BLOCK_TOKENS;
            if (c > shared) {
                shared = c;
                donor = r;
            }
        }
        if (donor == null || shared <= (idle == null ? 0 : idle.common())) return false;
        long need = MemoryPlan.kvBlocks(a.finalLen(), BLOCK_TOKENS) - shared / BLOCK_TOKENS;
        for (int evicted; kv.freeBlocks() - reserved < need && (evicted = cache.evictOldest(idle == null ? null : idle.entry())) >= 0; ) {
            metrics.evicted(evicted);
        }
        if (kv.freeBlocks() - reserved < need) return false;
        a.seq = kv.fork(donor.seq, shared);
        a.cached = shared;
        return true;
    }

    /** One forward call: a decode token for each sequence past its prompt, then prompt chunks in arrival order. */
    private void step() {
        List<Batch.Entry> entries = new ArrayList<>();
        List<Active> owners = new ArrayList<>();
        List<Boolean> isPrefill = new ArrayList<>();
        int decodes = 0;
        for (Active a : running) {
            if (a.prefilled < a.promptLen()) continue;
            entries.add(new Batch.Entry(a.seq, new int[] {a.slot.lastToken()}, a.slot.position(), Batch.Logits.LAST, a.req.adapter()));
            owners.add(a);
            isPrefill.add(false);
            decodes++;
        }
        int budget = Math.max(limits.stepTokens() - decodes, MIN_PREFILL_CHUNK), prefill = 0;
        for (Active a : running) {
            if (a.prefilled >= a.promptLen() || budget <= 0) continue;
            int n = Math.min(budget, a.promptLen() - a.prefilled);
            if (a.promptLogprobs != null) n = Math.min(n, Math.max(1, PROMPT_LOGITS_FLOATS / tr.config().vocabSize()));
            boolean last = a.prefilled + n == a.promptLen();
            Batch.Logits want = a.promptLogprobs != null ? Batch.Logits.ALL : last ? Batch.Logits.LAST : Batch.Logits.NONE;
            entries.add(new Batch.Entry(a.seq, Arrays.copyOfRange(a.req.prompt(), a.prefilled, a.prefilled + n), a.prefilled,
                    want, a.req.adapter()));
            owners.add(a);
            isPrefill.add(true);
            budget -= n;
            prefill += n;
        }
        long t0 = System.nanoTime();
        List<float[][]> logits = tr.forward(new Batch(entries));
        metrics.step(decodes, prefill, System.nanoTime() - t0);
        for (int i = 0; i < owners.size(); i++) {
            Active a = owners.get(i);
            float[][] rows = logits.get(i);
            if (isPrefill.get(i)) {
                int start = a.prefilled;
                a.prefilled += entries.get(i).tokens().length;
                if (a.promptLogprobs != null) promptLogprobs(a, start, rows);
                if (a.prefilled < a.promptLen()) continue;
            }
            sample(a, rows[rows.length - 1]);
        }
    }

    /** Row j of a prompt chunk starting at {@code start} predicts prompt token start + j + 1. */
    private static void promptLogprobs(Active a, int start, float[][] rows) {
        int[] prompt = a.req.prompt();
        for (int j = 0; j < rows.length && start + j + 1 < prompt.length; j++) {
            a.promptLogprobs[start + j + 1] = Logprobs.of(rows[j], prompt[start + j + 1], a.req.logprobs().top());
        }
    }

    /** The sequence's logits → its slot (the one decode loop body); text out; the end when the slot says so. */
    private void sample(Active a, float[] logits) {
        String text = a.slot.next(logits);
        long now = System.nanoTime();
        if (a.slot.generated() == 1) {
            a.firstTokenNanos = now;
            metrics.token(true, now - a.submittedNanos);
        } else {
            metrics.token(false, now - a.lastTokenNanos);
        }
        a.lastTokenNanos = now;
        if (!text.isEmpty()) a.out.emit(new GenerationEvent.Text(text, a.slot.takeLogprobs()));
        if (a.slot.finished()) finish(a);
    }

    /** Ends a request normally: Finished event, and its KV stays resident (with its sequence) for the next turn. */
    private void finish(Active a) {
        running.remove(a);
        Slot s = a.slot;
        int[] sequence = s.sequence();
        if (limits.maxIdleEntries() > 0 && a.req.reuseKv()) cache.put(a.req.cacheKey(), a.seq, sequence, a.req.adapter());
        else kv.free(a.seq);
        long e2e = System.nanoTime() - a.submittedNanos, ttft = a.firstTokenNanos - a.submittedNanos;
        metrics.finished(s.finishReason(), s.generated(), e2e, ttft);
        end(a, new GenerationEvent.Finished(s.finishReason(), s.text(), a.promptLen(), a.cached, s.generated(), sequence, s.logprobs(),
                a.promptLogprobs == null ? null : java.util.Collections.unmodifiableList(Arrays.asList(a.promptLogprobs)), s.budgetOutcome(),
                s.endToken(), ttft, e2e));
    }

    private void fail(Active a, GenerationEvent.Cause cause, String message) {
        running.remove(a);
        if (a.seq >= 0 && kv.exists(a.seq)) kv.free(a.seq);
        end(a, new GenerationEvent.Failed(cause, message));
    }

    /** The one place a request leaves the system: its slot is released before the consumer sees the end. */
    private void end(Active a, GenerationEvent terminal) {
        inSystem.decrementAndGet();
        refreshStats(); // a client that saw its request end and then reads the gauges sees it gone
        a.out.emit(terminal);
    }

    private void refreshStats() {
        stats = new Stats(running.size(), waiting.size() + inbox.size(), kv.blocksUsed(), kv.blocksTotal(), cache.size());
    }

    /**
     * Stops the thread: requests still queued or running get a Failed event; resident KV is freed,
     * conversations' KV written to the disk store first (the writes finish before this returns).
     */
    @Override
    public void close() {
        closed = true;
        try {
            thread.join(TimeUnit.SECONDS.toMillis(30));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (disk != null) disk.close();
    }
}

package dev.jllm.server;

import dev.jllm.chat.ChatRenderer;
import dev.jllm.chat.ChatTemplate;
import dev.jllm.chat.PromptBuilder;
import dev.jllm.engine.KvDiskStore;
import dev.jllm.engine.LoadedModel;
import dev.jllm.engine.Pooling;
import dev.jllm.engine.Scheduler;
import dev.jllm.gguf.GgufFormatException;
import dev.jllm.model.MemoryPlan;
import dev.jllm.model.ModelConfig;
import dev.jllm.model.ModelFile;
import dev.jllm.server.http.ApiKeys;
import dev.jllm.server.http.HttpApi;
import dev.jllm.server.http.AdminApi;
import dev.jllm.server.http.ServedModels;
import dev.jllm.server.registry.Registry;
import dev.jllm.server.store.ConversationStore;
import dev.jllm.server.store.ModelRegistry;
import dev.jllm.server.metrics.PrometheusMetrics;
import dev.jllm.server.store.PostgresConversationStore;
import dev.jllm.server.store.SqlConversationStore;
import dev.jllm.server.store.SqliteConversationStore;
import dev.jllm.tensor.GgmlType;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.function.Function;

/**
 * {@code jllm serve}, wired by hand: model file → {@link LoadedModel} (tokenizer + weights) →
 * {@link Scheduler} (the engine: owns the KV cache) → store → {@link HttpApi}. {@link #shutdown} stops accepting, lets requests in flight
 * finish within a grace period, then stops the scheduler and closes the store.
 */
public final class ChatServer implements AutoCloseable {

    /**
     * @param kvCacheBytes   memory for the KV cache (F16); decides how many conversations stay warm
     * @param stepTokens     tokens per forward step (decodes + prefill chunk)
     * @param maxPerKey      concurrent generation requests per API key
     * @param store          null for SQLite under {@code dataDir}, or a {@code postgres://} URL
     * @param batching       continuous (production) or static (the baseline to compare with)
     * @param ctxSize        tokens of context served per conversation; 0 = the model's trained context
     *                       capped at {@link #DEFAULT_CTX} (llama-server's default), so a 32k-context
     *                       model starts with the default KV memory
     */
    public record Options(Path model, String host, int port, Path dataDir, int threads, ApiKeys apiKeys, boolean insecure,
                          int maxRunning, int maxWaiting, long kvCacheBytes, int stepTokens, int maxBodyBytes, long heartbeatMillis,
                          int maxPerKey, Duration shutdownGrace, String store, Scheduler.Batching batching, int ctxSize,
                          Map<String, Path> adapters, int maxOutputChars, Pooling pooling, Path kvDiskDir, long kvDiskBudget, int warmupTokens,
                          String registry, dev.jllm.server.http.AdminKey adminKey, long registryPollMillis, long driftIntervalMillis) {
        public static final int DEFAULT_CTX = 4096;
        /** {@code --kv-disk-budget} by default: conversations' KV on disk, LRU beyond it. */
        public static final long DEFAULT_KV_DISK_BUDGET = 4L << 30;
        /** {@code --warmup-tokens} by default: one prefill of this many tokens before the server answers. */
        public static final int DEFAULT_WARMUP_TOKENS = 256;

        public Options {
            if (ctxSize < 0) throw new IllegalArgumentException("--ctx-size must be >= 0 (0 = the model's, up to " + DEFAULT_CTX + "), got " + ctxSize);
            adapters = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(adapters));
            if (maxOutputChars < 0) throw new IllegalArgumentException("--max-output-chars must be >= 0 (0 = no budget), got " + maxOutputChars);
            java.util.Objects.requireNonNull(pooling, "pooling");
            if (warmupTokens < 0) throw new IllegalArgumentException("--warmup-tokens must be >= 0 (0 = no warm-up), got " + warmupTokens);
            if (kvDiskBudget < 0) throw new IllegalArgumentException("--kv-disk-budget must be >= 0 (0 = no KV on disk), got " + kvDiskBudget);
            java.util.Objects.requireNonNull(adminKey, "adminKey");
            if (registryPollMillis < 1) throw new IllegalArgumentException("the registry poll interval must be >= 1 ms, got " + registryPollMillis);
        }

        /**
         * {@code --registry NAME}: serve the registry's promoted version of NAME (instead of {@code model}) and follow
         * promotions and rollbacks, looking every {@code pollMillis}.
         */
        public Options withRegistry(String name, long pollMillis) {
            return new Options(model, host, port, dataDir, threads, apiKeys, insecure, maxRunning, maxWaiting, kvCacheBytes, stepTokens,
                    maxBodyBytes, heartbeatMillis, maxPerKey, shutdownGrace, store, batching, ctxSize, adapters, maxOutputChars, pooling, kvDiskDir,
                    kvDiskBudget, warmupTokens, name, adminKey, pollMillis, driftIntervalMillis);
        }

        /** {@code --drift-interval}: how often the drift alarm reads the generations log (0: only on demand, {@link ChatServer#drift()}). */
        public Options withDriftInterval(long millis) {
            if (millis < 0) throw new IllegalArgumentException("--drift-interval must be >= 0, got " + millis);
            return new Options(model, host, port, dataDir, threads, apiKeys, insecure, maxRunning, maxWaiting, kvCacheBytes, stepTokens,
                    maxBodyBytes, heartbeatMillis, maxPerKey, shutdownGrace, store, batching, ctxSize, adapters, maxOutputChars, pooling, kvDiskDir,
                    kvDiskBudget, warmupTokens, registry, adminKey, registryPollMillis, millis);
        }

        /** {@code --admin-key FILE}: the key of the admin endpoints (model registry), separate from the users' keys. */
        public Options withAdminKey(dev.jllm.server.http.AdminKey key) {
            return new Options(model, host, port, dataDir, threads, apiKeys, insecure, maxRunning, maxWaiting, kvCacheBytes, stepTokens,
                    maxBodyBytes, heartbeatMillis, maxPerKey, shutdownGrace, store, batching, ctxSize, adapters, maxOutputChars, pooling, kvDiskDir,
                    kvDiskBudget, warmupTokens, registry, key, registryPollMillis, driftIntervalMillis);
        }

        /** Where conversations' KV goes when evicted and at shutdown: {@code --kv-disk-dir}, else {@code DATA_DIR/kv}. */
        public Path kvDiskDirectory() {
            return kvDiskDir != null ? kvDiskDir : dataDir.resolve("kv");
        }

        /** {@code --warmup-tokens}: a throwaway prefill of this many tokens before the server answers (0: none). */
        public Options withWarmup(int tokens) {
            return new Options(model, host, port, dataDir, threads, apiKeys, insecure, maxRunning, maxWaiting, kvCacheBytes, stepTokens,
                    maxBodyBytes, heartbeatMillis, maxPerKey, shutdownGrace, store, batching, ctxSize, adapters, maxOutputChars, pooling, kvDiskDir,
                    kvDiskBudget, tokens, registry, adminKey, registryPollMillis, driftIntervalMillis);
        }

        /** {@code --kv-disk-dir} (null: under the data dir) and {@code --kv-disk-budget} in bytes (0: KV stays in memory only). */
        public Options withKvDisk(Path dir, long budget) {
            return new Options(model, host, port, dataDir, threads, apiKeys, insecure, maxRunning, maxWaiting, kvCacheBytes, stepTokens,
                    maxBodyBytes, heartbeatMillis, maxPerKey, shutdownGrace, store, batching, ctxSize, adapters, maxOutputChars, pooling, dir, budget, warmupTokens, registry, adminKey, registryPollMillis, driftIntervalMillis);
        }

        /** Defaults for everything but the model, data dir and keys. */
        public static Options defaults(Path model, Path dataDir, ApiKeys keys) {
            return new Options(model, "127.0.0.1", 8080, dataDir, Runtime.getRuntime().availableProcessors(), keys, false, 8, 64,
                    256L << 20, 512, 4 << 20, 2_000, 4, Duration.ofSeconds(30), null, Scheduler.Batching.CONTINUOUS, 0, Map.of(), 0, Pooling.MEAN, null, DEFAULT_KV_DISK_BUDGET, DEFAULT_WARMUP_TOKENS, null, dev.jllm.server.http.AdminKey.disabled(), 2_000, 60_000);
        }

        public Options withPort(int p) {
            return new Options(model, host, p, dataDir, threads, apiKeys, insecure, maxRunning, maxWaiting, kvCacheBytes, stepTokens,
                    maxBodyBytes, heartbeatMillis, maxPerKey, shutdownGrace, store, batching, ctxSize, adapters, maxOutputChars, pooling, kvDiskDir, kvDiskBudget, warmupTokens, registry, adminKey, registryPollMillis, driftIntervalMillis);
        }

        public Options withHost(String h, boolean insecureOk) {
            return new Options(model, h, port, dataDir, threads, apiKeys, insecureOk, maxRunning, maxWaiting, kvCacheBytes, stepTokens,
                    maxBodyBytes, heartbeatMillis, maxPerKey, shutdownGrace, store, batching, ctxSize, adapters, maxOutputChars, pooling, kvDiskDir, kvDiskBudget, warmupTokens, registry, adminKey, registryPollMillis, driftIntervalMillis);
        }

        public Options withLimits(int running, int waiting, int perKey, int bodyBytes, long heartbeat) {
            return new Options(model, host, port, dataDir, threads, apiKeys, insecure, running, waiting, kvCacheBytes, stepTokens,
                    bodyBytes, heartbeat, perKey, shutdownGrace, store, batching, ctxSize, adapters, maxOutputChars, pooling, kvDiskDir, kvDiskBudget, warmupTokens, registry, adminKey, registryPollMillis, driftIntervalMillis);
        }

        public Options withShutdownGrace(Duration d) {
            return new Options(model, host, port, dataDir, threads, apiKeys, insecure, maxRunning, maxWaiting, kvCacheBytes, stepTokens,
                    maxBodyBytes, heartbeatMillis, maxPerKey, d, store, batching, ctxSize, adapters, maxOutputChars, pooling, kvDiskDir, kvDiskBudget, warmupTokens, registry, adminKey, registryPollMillis, driftIntervalMillis);
        }

        public Options withStore(String url) {
            return new Options(model, host, port, dataDir, threads, apiKeys, insecure, maxRunning, maxWaiting, kvCacheBytes, stepTokens,
                    maxBodyBytes, heartbeatMillis, maxPerKey, shutdownGrace, url, batching, ctxSize, adapters, maxOutputChars, pooling, kvDiskDir, kvDiskBudget, warmupTokens, registry, adminKey, registryPollMillis, driftIntervalMillis);
        }

        public Options withBatching(Scheduler.Batching b) {
            return new Options(model, host, port, dataDir, threads, apiKeys, insecure, maxRunning, maxWaiting, kvCacheBytes, stepTokens,
                    maxBodyBytes, heartbeatMillis, maxPerKey, shutdownGrace, store, b, ctxSize, adapters, maxOutputChars, pooling, kvDiskDir, kvDiskBudget, warmupTokens, registry, adminKey, registryPollMillis, driftIntervalMillis);
        }

        public Options withCtxSize(int n) {
            return new Options(model, host, port, dataDir, threads, apiKeys, insecure, maxRunning, maxWaiting, kvCacheBytes, stepTokens,
                    maxBodyBytes, heartbeatMillis, maxPerKey, shutdownGrace, store, batching, n, adapters, maxOutputChars, pooling, kvDiskDir, kvDiskBudget, warmupTokens, registry, adminKey, registryPollMillis, driftIntervalMillis);
        }

        /** LoRA adapters served beside the base, as {@code MODEL:NAME} (GGUF files, llama.cpp's layout). */
        public Options withAdapters(Map<String, Path> a) {
            return new Options(model, host, port, dataDir, threads, apiKeys, insecure, maxRunning, maxWaiting, kvCacheBytes, stepTokens,
                    maxBodyBytes, heartbeatMillis, maxPerKey, shutdownGrace, store, batching, ctxSize, a, maxOutputChars, pooling, kvDiskDir, kvDiskBudget, warmupTokens, registry, adminKey, registryPollMillis, driftIntervalMillis);
        }

        /** {@code --max-output-chars} (the budget of requests that set none; 0 = none) and {@code --pooling} for /v1/embeddings. */
        public Options withOutputs(int maxChars, Pooling p) {
            return new Options(model, host, port, dataDir, threads, apiKeys, insecure, maxRunning, maxWaiting, kvCacheBytes, stepTokens,
                    maxBodyBytes, heartbeatMillis, maxPerKey, shutdownGrace, store, batching, ctxSize, adapters, maxChars, p, kvDiskDir, kvDiskBudget, warmupTokens, registry, adminKey, registryPollMillis, driftIntervalMillis);
        }

        public Options withResources(int threadCount, long kvBytes) {
            return new Options(model, host, port, dataDir, threadCount, apiKeys, insecure, maxRunning, maxWaiting, kvBytes, stepTokens,
                    maxBodyBytes, heartbeatMillis, maxPerKey, shutdownGrace, store, batching, ctxSize, adapters, maxOutputChars, pooling, kvDiskDir, kvDiskBudget, warmupTokens, registry, adminKey, registryPollMillis, driftIntervalMillis);
        }
    }

    private static final java.util.logging.Logger LOG = java.util.logging.Logger.getLogger(ChatServer.class.getName());

    private final Options options;
    private final Function<ModelFile, ChatRenderer> templates;
    private final PrometheusMetrics metrics;
    private final KvDiskStore disk; // the KV directory's shared store (each version gets its own view), or null
    private final SqlConversationStore store;
    private HttpApi api;
    private final String modelId;
    private final Duration grace;
    private final Object switching = new Object();
    private volatile Thread follower, heartbeat;
    /** How often this server tells the store it is alive (the lease is {@link ConversationStore#LEASE_MS}). */
    static final long HEARTBEAT_MS = 1_000;
    private volatile boolean stopped;
    private final java.util.concurrent.atomic.AtomicLong switches = new java.util.concurrent.atomic.AtomicLong(),
            switchFailures = new java.util.concurrent.atomic.AtomicLong();
    private volatile String lastFailure; // the last switch failure logged, so a failing version is not logged every poll
    private final Map<ServedModels, Integer> trainedContext = new java.util.concurrent.ConcurrentHashMap<>();
    private volatile dev.jllm.server.ops.DriftMonitor drift;
    /** How far back the drift alarm reads the generations log: a version's baseline must lie within. */
    static final long DRIFT_LOOKBACK_MS = java.util.concurrent.TimeUnit.DAYS.toMillis(14);

    private ChatServer(Options options, Function<ModelFile, ChatRenderer> templates, PrometheusMetrics metrics, KvDiskStore disk,
                       SqlConversationStore store, String modelId) {
        this.options = options;
        this.templates = templates;
        this.metrics = metrics;
        this.disk = disk;
        this.store = store;
        this.modelId = modelId;
        this.grace = options.shutdownGrace();
    }

    /** Loads the model, opens the store and starts listening, with the model's own chat template (ChatML if it has none). */
    public static ChatServer start(Options o) throws IOException {
        return start(o, f -> {
            try {
                return ChatTemplate.fromGguf(f.gguf());
            } catch (GgufFormatException e) {
                throw new IllegalArgumentException(f.path() + ": unreadable chat template metadata: " + e.getMessage(), e);
            }
        });
    }

    /** What one backend serves: a model file with its adapters, under an id, as a version (null: the file's hash names it). */
    private record ModelSpec(Path file, Map<String, Path> adapters, String id, String version, String sha256) {}

    /**
     * Loads the model, opens the store and starts listening.
     *
     * @param templates the model's chat template as a renderer (the CLI passes {@code ChatTemplate.fromGguf})
     */
    public static ChatServer start(Options o, Function<ModelFile, ChatRenderer> templates) throws IOException {
        InetAddress addr = InetAddress.getByName(o.host());
        if (!o.apiKeys().enabled() && !addr.isLoopbackAddress() && !o.insecure()) {
            throw new IllegalArgumentException("refusing to listen on " + o.host() + " without --api-keys: anyone on the network could use"
                    + " the model and read conversations; use --api-keys FILE, or --insecure if the network is trusted");
        }
        if (o.threads() < 1) throw new IllegalArgumentException("--threads must be >= 1, got " + o.threads());
        if (o.registry() != null && !o.adapters().isEmpty()) {
            throw new IllegalArgumentException("--lora cannot be combined with --registry: a registry version brings its adapters"
                    + " (jllm models add " + o.registry() + " FILE --adapter NAME=ADAPTER.gguf)");
        }
        SqlConversationStore store = openStore(o);
        KvDiskStore disk = null;
        HttpApi.Backend first = null;
        try {
            ModelSpec spec;
            if (o.registry() != null) {
                ModelRegistry.ModelVersion v = store.promoted(o.registry()).orElseThrow(() -> new IllegalArgumentException(
                        store.versions(o.registry()).isEmpty()
                                ? "no model named " + o.registry() + " in the registry of " + store.location() + "; add one: jllm models add "
                                        + o.registry() + " FILE, then jllm models promote " + o.registry() + " v1"
                                : "no version of " + o.registry() + " is promoted in " + store.location() + "; run: jllm models promote "
                                        + o.registry() + " VERSION"));
                spec = spec(v);
            } else {
                if (o.model() == null) throw new IllegalArgumentException("no model to serve: give -m FILE or --registry NAME");
                spec = new ModelSpec(o.model(), o.adapters(), modelId(o.model()), null, null);
            }
            PrometheusMetrics metrics = new PrometheusMetrics(spec.id());
            byte[] sha = KvDiskStore.sha256(spec.file()); // what answers were made by; KV is valid only for these weights
            if (o.kvDiskBudget() > 0 && (o.kvDiskDir() != null || o.dataDir() != null)) {
                // the directory's store; each version's scheduler gets a view of it for its own layout (forModel)
                disk = new KvDiskStore(o.kvDiskDirectory(), o.kvDiskBudget(), new KvDiskStore.Layout(sha, 1, Scheduler.BLOCK_TOKENS, 1, 1));
            }
            ChatServer server = new ChatServer(o, templates, metrics, disk, store, spec.id());
            first = server.open(spec, sha);
            HttpApi api = new HttpApi(first, metrics, store, o.apiKeys(),
                    new HttpApi.Settings(o.maxBodyBytes(), o.heartbeatMillis(), o.maxPerKey(), o.maxOutputChars(), o.pooling()),
                    new InetSocketAddress(addr, o.port()));
            server.api = api;
            metrics.bind(() -> api.backend().scheduler(), disk);
            ChatServer s = server;
            metrics.registerModelSwitches(s.switches::get, s.switchFailures::get);
            if (o.adminKey().enabled()) {
                api.enableAdmin(o.adminKey(), new Registry(store), new AdminApi.Follower() {
                    @Override
                    public String servedName() {
                        return o.registry();
                    }

                    @Override
                    public ServedModels follow() throws IOException {
                        s.follow();
                        return api.backend().models();
                    }
                });
            }
            s.drift = new dev.jllm.server.ops.DriftMonitor(store, metrics.registry(), dev.jllm.server.ops.DriftDetector.Params.DEFAULT,
                    o.driftIntervalMillis(), DRIFT_LOOKBACK_MS, System::currentTimeMillis);
            store.registerInstance(api.instance(), api.uri().toString());
            s.startHeartbeat();
            api.start();
            if (o.registry() != null) s.startFollowing();
            return s;
        } catch (IOException | RuntimeException | Error e) {
            if (first != null) first.close().run();
            if (disk != null) disk.close();
            store.close();
            throw e;
        }
    }

    private static ModelSpec spec(ModelRegistry.ModelVersion v) {
        Map<String, Path> adapters = new java.util.LinkedHashMap<>();
        for (ModelRegistry.Adapter a : v.adapters()) adapters.put(a.name(), Path.of(a.path()));
        return new ModelSpec(Path.of(v.path()), adapters, v.name(), v.version(), v.sha256());
    }

    /**
     * Loads one model version into a backend of its own: weights, warm-up, a scheduler with its own KV
     * cache (and a view of the KV directory keyed by this file's hash), the prompt builder. {@code sha}
     * is the file's SHA-256, checked against the registry's when the spec names one.
     */
    private HttpApi.Backend open(ModelSpec spec, byte[] sha) throws IOException {
        Options o = options;
        String shaHex = java.util.HexFormat.of().formatHex(sha);
        if (spec.sha256() != null && !spec.sha256().equals(shaHex)) {
            throw new ModelRegistry.RegistryException("hash mismatch: " + spec.file() + " (" + spec.id() + " " + spec.version() + ") has SHA-256 "
                    + shaHex.substring(0, 12) + "… but was added with " + spec.sha256().substring(0, 12) + "…; add the changed file as a new version");
        }
        LoadedModel model = LoadedModel.openGguf(spec.file(), o.threads());
        Scheduler scheduler = null;
        try {
            ModelConfig c = model.config();
            if (o.ctxSize() > c.contextLength()) {
                throw new IllegalArgumentException("--ctx-size " + o.ctxSize() + " exceeds the model's trained context of " + c.contextLength() + " tokens");
            }
            int ctx = o.ctxSize() > 0 ? o.ctxSize() : Math.min(c.contextLength(), Options.DEFAULT_CTX);
            int bt = Scheduler.BLOCK_TOKENS;
            int blocks = MemoryPlan.kvBlocksIn(o.kvCacheBytes(), c, GgmlType.F16, bt);
            int minBlocks = MemoryPlan.minKvBlocks(ctx, bt);
            if (blocks < minBlocks) {
                throw new IllegalArgumentException("--kv-cache-mem " + o.kvCacheBytes() + " bytes holds " + blocks + " KV blocks; a context of "
                        + ctx + " tokens needs at least " + minBlocks + " = " + minBlocks * MemoryPlan.kvBlockBytes(c, GgmlType.F16, bt)
                        + " bytes: raise --kv-cache-mem or lower --ctx-size");
            }
            Map<String, dev.jllm.model.LoraWeights> adapters = new java.util.LinkedHashMap<>();
            for (var e : spec.adapters().entrySet()) {
                try {
                    adapters.put(e.getKey(), new dev.jllm.model.LoraWeights(e.getKey(), dev.jllm.model.LoraAdapter.read(e.getValue()), c, 1f));
                } catch (IllegalArgumentException x) {
                    throw new IllegalArgumentException("--lora " + e.getKey() + "=" + e.getValue() + ": " + x.getMessage(), x);
                }
            }
            ServedModels served = new ServedModels(spec.id(), adapters, spec.version(), shaHex);
            trainedContext.put(served, c.contextLength());
            Scheduler.warmUp(model.weights, model.matmul, Math.min(o.warmupTokens(), ctx - 2)); // the JIT, before the first client
            // KV is valid only for the weights that computed it: files are named and headed by the model file's SHA-256
            KvDiskStore view = disk == null ? null : disk.forModel(Scheduler.kvLayout(c, sha));
            scheduler = new Scheduler(model.weights, model.matmul, model.tokenizer, blocks,
                    new Scheduler.Limits(o.maxRunning(), o.maxWaiting(), o.stepTokens(), 256, o.batching()), metrics, ctx, view);
            PromptBuilder prompts = new PromptBuilder(model.tokenizer, templates.apply(model.file), ctx);
            Scheduler sch = scheduler;
            return new HttpApi.Backend(served, scheduler, prompts, () -> {
                sch.close(); // idle conversations' KV to disk (this version's files), then the thread stops
                model.close();
                trainedContext.remove(served);
            });
        } catch (IOException | RuntimeException | Error e) {
            if (scheduler != null) scheduler.close();
            model.close();
            throw e;
        }
    }

    /**
     * Serves the registry's promoted version of {@code --registry NAME} if it is not the one served:
     * loads it beside the running one (the old keeps answering meanwhile), then switches — requests
     * from here on run on the new weights, requests in flight finish on the old ones, which are
     * released when the last of them ends. Conversations continue: their next turn is built from the
     * stored history for the new version (its KV is re-prefilled, or read from the new version's own KV
     * files). Returns true if it switched. A file that is missing or changed is refused and the old
     * version keeps serving.
     */
    public boolean follow() throws IOException {
        if (options.registry() == null) throw new IllegalStateException("this server serves a file, not a registry model (--registry NAME)");
        synchronized (switching) {
            if (stopped) return false;
            ModelRegistry.ModelVersion want = store.promoted(options.registry()).orElse(null);
            ServedModels now = api.backend().models();
            if (want == null || (want.version().equals(now.version()) && want.sha256().equals(now.sha256()))) return false;
            ModelSpec spec = spec(want);
            if (!java.nio.file.Files.isRegularFile(spec.file())) {
                throw new ModelRegistry.RegistryException("the model file of " + want.name() + " " + want.version() + " is missing: " + spec.file());
            }
            HttpApi.Backend next = open(spec, KvDiskStore.sha256(spec.file())); // refuses a file whose hash is not the registry's
            api.switchTo(next);
            switches.incrementAndGet();
            lastFailure = null;
            LOG.info("model " + spec.id() + ": now serving " + want.version() + " (sha256 " + want.shortHash() + "), was " + now.version()
                    + "; requests in flight finish on " + now.version());
            return true;
        }
    }

    /**
     * Every second: this instance is alive (for replicas on the same store), and responses left in
     * progress by instances that stopped heartbeating (kill -9, a lost machine) are marked incomplete,
     * which frees their conversations for a retry on this replica.
     */
    private void startHeartbeat() {
        heartbeat = Thread.ofVirtual().name("jllm-heartbeat").start(() -> {
            String failing = null;
            while (!stopped) {
                try {
                    Thread.sleep(HEARTBEAT_MS);
                } catch (InterruptedException e) {
                    return;
                }
                try {
                    int marked = store.heartbeat(api.instance());
                    if (marked > 0) LOG.warning("marked " + marked + " responses of a stopped replica incomplete (no heartbeat for "
                            + ConversationStore.LEASE_MS / 1000 + " s); their conversations take new turns again");
                    failing = null;
                } catch (RuntimeException e) {
                    if (!java.util.Objects.equals(failing, e.getMessage())) LOG.warning("heartbeat to the store failed: " + e.getMessage());
                    failing = e.getMessage();
                }
            }
        });
    }

    /** Polls the registry for promotions and rollbacks (other replicas, {@code jllm models promote}) on a thread of its own. */
    private void startFollowing() {
        follower = Thread.ofVirtual().name("jllm-registry-follower").start(() -> {
            while (!stopped) {
                try {
                    Thread.sleep(options.registryPollMillis());
                } catch (InterruptedException e) {
                    return;
                }
                try {
                    follow();
                } catch (IOException | RuntimeException e) {
                    switchFailures.incrementAndGet();
                    String m = e.getMessage();
                    if (!java.util.Objects.equals(m, lastFailure)) {
                        lastFailure = m;
                        LOG.warning("model " + options.registry() + ": cannot switch to the promoted version: " + m + "; still serving "
                                + api.backend().models().version());
                    }
                } catch (Error e) {
                    switchFailures.incrementAndGet();
                    LOG.severe("model " + options.registry() + ": loading the promoted version failed: " + e + "; still serving "
                            + api.backend().models().version());
                }
            }
        });
    }

    /** SQLite under the data dir unless a postgres:// URL is given; the pool gets a connection per possible concurrent request. */
    static SqlConversationStore openStore(Options o) throws IOException {
        if (o.store() == null) return SqliteConversationStore.open(o.dataDir());
        return PostgresConversationStore.open(o.store(), Math.max(4, Math.min(32, o.maxRunning() + 4)));
    }

    /** Where conversations are stored (a file, or the URL without its password). */
    public String storeLocation() {
        return store.location();
    }

    /** The model id clients send: the file name without .gguf (e.g. "stories260K"). */
    static String modelId(Path model) {
        String n = model.getFileName().toString();
        return n.endsWith(".gguf") ? n.substring(0, n.length() - 5) : n;
    }

    public URI uri() {
        return api.uri();
    }

    /** The HTTP edge (tests flush its generations log). */
    public HttpApi api() {
        return api;
    }

    /** The conversation store (tests and the ops report read it). */
    public SqlConversationStore store() {
        return store;
    }

    public String modelId() {
        return modelId;
    }

    /** The model version answering new requests (a registry version, or sha256: and the file hash's first 12 hex digits). */
    public String modelVersion() {
        return api.backend().models().version();
    }

    /** The drift alarm (its states; {@code refresh()} runs it now). */
    public dev.jllm.server.ops.DriftMonitor drift() {
        return drift;
    }

    /** Tokens of context each conversation gets (prompt + reply), as --ctx-size resolved it. */
    public int contextLength() {
        return api.backend().scheduler().contextLength();
    }

    /** The context the model was trained for. */
    public int trainedContextLength() {
        return trainedContext.getOrDefault(api.backend().models(), 0);
    }

    /** Graceful: stop accepting, wait for in-flight exchanges up to the grace period, then release everything. */
    public void shutdown() {
        synchronized (switching) {
            stopped = true;
        }
        Thread f = follower;
        if (f != null) f.interrupt();
        if (drift != null) drift.close();
        api.stop((int) Math.max(0, grace.toSeconds())); // closes every version's engine
        Thread h = heartbeat;
        if (h != null) h.interrupt();
        try {
            store.unregisterInstance(api.instance()); // drained: nothing of ours is in progress
        } catch (RuntimeException e) {
            LOG.warning("could not remove this instance from the store: " + e.getMessage());
        }
        if (disk != null) disk.close();
        store.close();
        metrics.close();
    }

    @Override
    public void close() {
        shutdown();
    }
}

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
import dev.jllm.server.http.ServedModels;
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
                          Map<String, Path> adapters, int maxOutputChars, Pooling pooling, Path kvDiskDir, long kvDiskBudget, int warmupTokens) {
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
        }

        /** Where conversations' KV goes when evicted and at shutdown: {@code --kv-disk-dir}, else {@code DATA_DIR/kv}. */
        public Path kvDiskDirectory() {
            return kvDiskDir != null ? kvDiskDir : dataDir.resolve("kv");
        }

        /** {@code --warmup-tokens}: a throwaway prefill of this many tokens before the server answers (0: none). */
        public Options withWarmup(int tokens) {
            return new Options(model, host, port, dataDir, threads, apiKeys, insecure, maxRunning, maxWaiting, kvCacheBytes, stepTokens,
                    maxBodyBytes, heartbeatMillis, maxPerKey, shutdownGrace, store, batching, ctxSize, adapters, maxOutputChars, pooling, kvDiskDir,
                    kvDiskBudget, tokens);
        }

        /** {@code --kv-disk-dir} (null: under the data dir) and {@code --kv-disk-budget} in bytes (0: KV stays in memory only). */
        public Options withKvDisk(Path dir, long budget) {
            return new Options(model, host, port, dataDir, threads, apiKeys, insecure, maxRunning, maxWaiting, kvCacheBytes, stepTokens,
                    maxBodyBytes, heartbeatMillis, maxPerKey, shutdownGrace, store, batching, ctxSize, adapters, maxOutputChars, pooling, dir, budget, warmupTokens);
        }

        /** Defaults for everything but the model, data dir and keys. */
        public static Options defaults(Path model, Path dataDir, ApiKeys keys) {
            return new Options(model, "127.0.0.1", 8080, dataDir, Runtime.getRuntime().availableProcessors(), keys, false, 8, 64,
                    256L << 20, 512, 4 << 20, 2_000, 4, Duration.ofSeconds(30), null, Scheduler.Batching.CONTINUOUS, 0, Map.of(), 0, Pooling.MEAN, null, DEFAULT_KV_DISK_BUDGET, DEFAULT_WARMUP_TOKENS);
        }

        public Options withPort(int p) {
            return new Options(model, host, p, dataDir, threads, apiKeys, insecure, maxRunning, maxWaiting, kvCacheBytes, stepTokens,
                    maxBodyBytes, heartbeatMillis, maxPerKey, shutdownGrace, store, batching, ctxSize, adapters, maxOutputChars, pooling, kvDiskDir, kvDiskBudget, warmupTokens);
        }

        public Options withHost(String h, boolean insecureOk) {
            return new Options(model, h, port, dataDir, threads, apiKeys, insecureOk, maxRunning, maxWaiting, kvCacheBytes, stepTokens,
                    maxBodyBytes, heartbeatMillis, maxPerKey, shutdownGrace, store, batching, ctxSize, adapters, maxOutputChars, pooling, kvDiskDir, kvDiskBudget, warmupTokens);
        }

        public Options withLimits(int running, int waiting, int perKey, int bodyBytes, long heartbeat) {
            return new Options(model, host, port, dataDir, threads, apiKeys, insecure, running, waiting, kvCacheBytes, stepTokens,
                    bodyBytes, heartbeat, perKey, shutdownGrace, store, batching, ctxSize, adapters, maxOutputChars, pooling, kvDiskDir, kvDiskBudget, warmupTokens);
        }

        public Options withShutdownGrace(Duration d) {
            return new Options(model, host, port, dataDir, threads, apiKeys, insecure, maxRunning, maxWaiting, kvCacheBytes, stepTokens,
                    maxBodyBytes, heartbeatMillis, maxPerKey, d, store, batching, ctxSize, adapters, maxOutputChars, pooling, kvDiskDir, kvDiskBudget, warmupTokens);
        }

        public Options withStore(String url) {
            return new Options(model, host, port, dataDir, threads, apiKeys, insecure, maxRunning, maxWaiting, kvCacheBytes, stepTokens,
                    maxBodyBytes, heartbeatMillis, maxPerKey, shutdownGrace, url, batching, ctxSize, adapters, maxOutputChars, pooling, kvDiskDir, kvDiskBudget, warmupTokens);
        }

        public Options withBatching(Scheduler.Batching b) {
            return new Options(model, host, port, dataDir, threads, apiKeys, insecure, maxRunning, maxWaiting, kvCacheBytes, stepTokens,
                    maxBodyBytes, heartbeatMillis, maxPerKey, shutdownGrace, store, b, ctxSize, adapters, maxOutputChars, pooling, kvDiskDir, kvDiskBudget, warmupTokens);
        }

        public Options withCtxSize(int n) {
            return new Options(model, host, port, dataDir, threads, apiKeys, insecure, maxRunning, maxWaiting, kvCacheBytes, stepTokens,
                    maxBodyBytes, heartbeatMillis, maxPerKey, shutdownGrace, store, batching, n, adapters, maxOutputChars, pooling, kvDiskDir, kvDiskBudget, warmupTokens);
        }

        /** LoRA adapters served beside the base, as {@code MODEL:NAME} (GGUF files, llama.cpp's layout). */
        public Options withAdapters(Map<String, Path> a) {
            return new Options(model, host, port, dataDir, threads, apiKeys, insecure, maxRunning, maxWaiting, kvCacheBytes, stepTokens,
                    maxBodyBytes, heartbeatMillis, maxPerKey, shutdownGrace, store, batching, ctxSize, a, maxOutputChars, pooling, kvDiskDir, kvDiskBudget, warmupTokens);
        }

        /** {@code --max-output-chars} (the budget of requests that set none; 0 = none) and {@code --pooling} for /v1/embeddings. */
        public Options withOutputs(int maxChars, Pooling p) {
            return new Options(model, host, port, dataDir, threads, apiKeys, insecure, maxRunning, maxWaiting, kvCacheBytes, stepTokens,
                    maxBodyBytes, heartbeatMillis, maxPerKey, shutdownGrace, store, batching, ctxSize, adapters, maxChars, p, kvDiskDir, kvDiskBudget, warmupTokens);
        }

        public Options withResources(int threadCount, long kvBytes) {
            return new Options(model, host, port, dataDir, threadCount, apiKeys, insecure, maxRunning, maxWaiting, kvBytes, stepTokens,
                    maxBodyBytes, heartbeatMillis, maxPerKey, shutdownGrace, store, batching, ctxSize, adapters, maxOutputChars, pooling, kvDiskDir, kvDiskBudget, warmupTokens);
        }
    }

    private final LoadedModel model;
    private final Scheduler scheduler;
    private final SqlConversationStore store;
    private final HttpApi api;
    private final String modelId;
    private final Duration grace;

    private ChatServer(LoadedModel model, Scheduler scheduler, SqlConversationStore store, HttpApi api, String modelId, Duration grace) {
        this.model = model;
        this.scheduler = scheduler;
        this.store = store;
        this.api = api;
        this.modelId = modelId;
        this.grace = grace;
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
        LoadedModel model = LoadedModel.openGguf(o.model(), o.threads());
        Scheduler scheduler = null;
        SqlConversationStore store = null;
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
            String modelId = modelId(o.model());
            Map<String, dev.jllm.model.LoraWeights> adapters = new java.util.LinkedHashMap<>();
            for (var e : o.adapters().entrySet()) {
                try {
                    adapters.put(e.getKey(), new dev.jllm.model.LoraWeights(e.getKey(), dev.jllm.model.LoraAdapter.read(e.getValue()), c, 1f));
                } catch (IllegalArgumentException x) {
                    throw new IllegalArgumentException("--lora " + e.getKey() + "=" + e.getValue() + ": " + x.getMessage(), x);
                }
            }
            ServedModels served = new ServedModels(modelId, adapters);
            PrometheusMetrics metrics = new PrometheusMetrics(modelId);
            Scheduler.warmUp(model.weights, model.matmul, Math.min(o.warmupTokens(), ctx - 2)); // the JIT, before the first client
            KvDiskStore disk = null;
            if (o.kvDiskBudget() > 0 && (o.kvDiskDir() != null || o.dataDir() != null)) {
                // KV is valid only for the weights that computed it: files carry the model file's SHA-256
                disk = new KvDiskStore(o.kvDiskDirectory(), o.kvDiskBudget(), Scheduler.kvLayout(c, KvDiskStore.sha256(o.model())));
            }
            try {
                scheduler = new Scheduler(model.weights, model.matmul, model.tokenizer, blocks,
                        new Scheduler.Limits(o.maxRunning(), o.maxWaiting(), o.stepTokens(), 256, o.batching()), metrics, ctx, disk);
            } catch (RuntimeException e) {
                if (disk != null) disk.close();
                throw e;
            }
            metrics.bind(scheduler);
            store = openStore(o);
            PromptBuilder prompts = new PromptBuilder(model.tokenizer, templates.apply(model.file), ctx);
            HttpApi api = new HttpApi(served, scheduler, metrics, prompts, store, o.apiKeys(),
                    new HttpApi.Settings(o.maxBodyBytes(), o.heartbeatMillis(), o.maxPerKey(), o.maxOutputChars(), o.pooling()), new InetSocketAddress(addr, o.port()));
            api.start();
            return new ChatServer(model, scheduler, store, api, modelId, o.shutdownGrace());
        } catch (IOException | RuntimeException | Error e) {
            if (scheduler != null) scheduler.close();
            if (store != null) store.close();
            model.close();
            throw e;
        }
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

    public String modelId() {
        return modelId;
    }

    /** Tokens of context each conversation gets (prompt + reply), as --ctx-size resolved it. */
    public int contextLength() {
        return scheduler.contextLength();
    }

    /** The context the model was trained for. */
    public int trainedContextLength() {
        return model.config().contextLength();
    }

    /** Graceful: stop accepting, wait for in-flight exchanges up to the grace period, then release everything. */
    public void shutdown() {
        api.stop((int) Math.max(0, grace.toSeconds()));
        scheduler.close();
        store.close();
        model.close();
    }

    @Override
    public void close() {
        shutdown();
    }
}

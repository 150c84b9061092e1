package dev.jllm.server.http;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.jllm.chat.PromptBuilder;
import dev.jllm.chat.PromptException;
import dev.jllm.engine.Pooling;
import dev.jllm.engine.Scheduler;
import dev.jllm.server.metrics.PrometheusMetrics;
import dev.jllm.server.store.ConversationStore;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The HTTP edge on the JDK's server, one virtual thread per exchange: routing, authentication,
 * per-key limits, and the rule that every failure is an OpenAI-shaped JSON error, never a trace.
 * It reaches the engine only through {@link Scheduler#submit}, {@link Scheduler#forget},
 * {@link Scheduler#lastSequence}, {@link Scheduler#evict} (admin) and the {@link dev.jllm.engine.Generation} handles — never KV blocks
 * or the forward pass — and the store only through {@link ConversationStore}.
 */
public final class HttpApi {
    private static final Logger LOG = Logger.getLogger(HttpApi.class.getName());
    /** Response header of the generating endpoints: the model version that answered. */
    public static final String VERSION_HEADER = "x-jllm-model-version";

    /**
     * @param maxBodyBytes        request bodies larger than this are a 413
     * @param heartbeatMillis     SSE comment after this long without output (detects gone clients during prefill)
     * @param maxConcurrentPerKey generation requests in flight per API key; more is a 429
     * @param maxOutputChars      {@code jllm serve --max-output-chars}: the character budget of requests that set none (0: none)
     * @param pooling             how /v1/embeddings pools the final hidden states
     */
    public record Settings(int maxBodyBytes, long heartbeatMillis, int maxConcurrentPerKey, int maxOutputChars, Pooling pooling) {
        public Settings(int maxBodyBytes, long heartbeatMillis, int maxConcurrentPerKey) {
            this(maxBodyBytes, heartbeatMillis, maxConcurrentPerKey, 0, Pooling.MEAN);
        }

        public Settings {
            if (maxOutputChars < 0) throw new IllegalArgumentException("--max-output-chars must be >= 0 (0 = none), got " + maxOutputChars);
            java.util.Objects.requireNonNull(pooling, "pooling");
        }
    }

    /**
     * What serves one model version: its ids and adapters, its engine, its prompt builder, and what to
     * release when it has been replaced and the last request that took it has ended ({@code close}).
     */
    public record Backend(ServedModels models, Scheduler scheduler, PromptBuilder prompts, Runnable close) {}

    /**
     * The API objects bound to one {@link Backend}. A request takes the current one ({@link #acquire})
     * and keeps it to its end, so a request that arrived before a switch finishes on the old version;
     * a replaced one is closed when its last request ends.
     */
    private final class Routes {
        final Backend backend;
        final ServedModels models;
        final Scheduler scheduler;
        final ChatApi chat;
        final ConversationsApi conversations;
        final ResponsesApi responses;
        final EmbeddingsApi embeddings;
        final java.util.concurrent.atomic.AtomicInteger leases = new java.util.concurrent.atomic.AtomicInteger();
        final java.util.concurrent.atomic.AtomicBoolean closed = new java.util.concurrent.atomic.AtomicBoolean();
        volatile boolean retired;

        Routes(Backend b) {
            this.backend = b;
            this.models = b.models();
            this.scheduler = b.scheduler();
            PromptBuilder prompts = b.prompts();
            this.chat = new ChatApi(models, scheduler, prompts, settings.heartbeatMillis(), settings.maxOutputChars(), log, replica);
            this.conversations = new ConversationsApi(store, scheduler, prompts);
            this.responses = new ResponsesApi(models, scheduler, prompts, store, settings.heartbeatMillis(), settings.maxOutputChars(), log, replica,
                    instance);
            this.embeddings = new EmbeddingsApi(models, scheduler, prompts, settings.pooling());
        }

        void release() {
            if (leases.decrementAndGet() == 0 && retired) closeOnce();
        }

        void closeOnce() {
            if (!closed.compareAndSet(false, true)) return;
            live.remove(this);
            try {
                backend.close().run();
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "closing the replaced model " + models.base() + " " + models.version() + " failed", e);
            }
        }
    }

    private final long startedAt = System.currentTimeMillis() / 1000;
    private final PrometheusMetrics metrics;
    private final ApiKeys keys;
    private final ConversationStore store;
    private final KeyLimiter limiter;
    private final Settings settings;
    private volatile Routes current;
    private final java.util.Set<Routes> live = java.util.concurrent.ConcurrentHashMap.newKeySet(); // current and replaced, not yet closed
    private final Object switching = new Object();
    private final HttpServer server;
    private final GenerationLog log;
    private final String replica;
    /** This server among replicas on one store: host:port and a random suffix (a restart is another instance). */
    private final String instance;
    private final ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
    private volatile boolean draining;
    private volatile AdminKey adminKey = AdminKey.disabled();
    private volatile AdminApi admin;

    /**
     * Turns on {@code /admin/*} behind {@code key} (never one of the users' keys: refused): the model
     * registry's operations, followed by this server through {@code follower}.
     */
    public void enableAdmin(AdminKey key, dev.jllm.server.registry.Registry registry, AdminApi.Follower follower) {
        if (!key.enabled()) return;
        if (key.isAmong(keys)) throw new IllegalArgumentException("--admin-key is also one of the users' API keys; the admin key must be a key of its own");
        this.admin = new AdminApi(registry, follower, () -> current.models, this::draining, new KvAdmin(store, this::schedulers));
        this.adminKey = key;
    }

    public HttpApi(ServedModels models, Scheduler scheduler, PrometheusMetrics metrics, PromptBuilder prompts, ConversationStore store, ApiKeys keys, Settings settings,
            InetSocketAddress bind) throws IOException {
        this(new Backend(models, scheduler, prompts, () -> {}), metrics, store, keys, settings, bind);
    }

    public HttpApi(Backend backend, PrometheusMetrics metrics, ConversationStore store, ApiKeys keys, Settings settings, InetSocketAddress bind)
            throws IOException {
        this.metrics = metrics;
        this.keys = keys;
        this.store = store;
        this.settings = settings;
        this.limiter = new KeyLimiter(settings.maxConcurrentPerKey());
        this.server = HttpServer.create(bind, 128);
        this.replica = replicaName(server.getAddress());
        this.instance = replica + "-" + dev.jllm.server.store.Ids.next("").substring(0, 8);
        this.log = new GenerationLog(store);
        this.current = new Routes(backend);
        live.add(current);
        server.createContext("/", this::handle);
        server.setExecutor(executor);
    }

    /**
     * Serves {@code next} from now on: requests that arrive from here take it; requests in flight keep
     * the version they started with to their end (every step of a generation runs on one set of
     * weights), and the replaced backend is closed when the last of them ends. Returns the replaced one.
     */
    public Backend switchTo(Backend next) {
        Routes old;
        synchronized (switching) {
            Routes r = new Routes(next);
            live.add(r);
            old = current;
            current = r; // from here acquire() hands out the new routes
            old.retired = true;
        }
        if (old.leases.get() == 0) old.closeOnce();
        return old.backend;
    }

    /** The backend serving new requests now. */
    public Backend backend() {
        return current.backend;
    }

    /** The engines of the current version (first) and of replaced ones still finishing requests. */
    private java.util.List<Scheduler> schedulers() {
        Routes now = current;
        java.util.List<Scheduler> all = new java.util.ArrayList<>();
        all.add(now.scheduler);
        for (Routes r : live) if (r != now && !r.closed.get()) all.add(r.scheduler);
        return all;
    }

    /** Backends replaced but still finishing requests. */
    public int draining() {
        return (int) live.stream().filter(r -> r.retired).count();
    }

    /** The current routes with a lease taken: release it when the request ends. */
    private Routes acquire() {
        while (true) {
            Routes r = current;
            r.leases.incrementAndGet();
            if (r == current) return r; // not replaced before the lease counted: it will not close under us
            r.release();
        }
    }

    public void start() {
        server.start();
    }

    /** This server in the generations log: host name and port. */
    private static String replicaName(InetSocketAddress a) {
        String host = System.getenv("HOSTNAME"); // no DNS lookup: getLocalHost() can hang for seconds where the name does not resolve
        try {
            if (host == null || host.isBlank()) host = java.nio.file.Files.readString(java.nio.file.Path.of("/proc/sys/kernel/hostname")).strip();
        } catch (IOException | RuntimeException e) {
            host = null;
        }
        if (host == null || host.isBlank()) host = a.getAddress().getHostAddress();
        return host + ":" + a.getPort();
    }

    /** This server's instance id in the store (heartbeats, the responses it runs). */
    public String instance() {
        return instance;
    }

    /** The name this server writes in the generations log's replica column. */
    public String replica() {
        return replica;
    }

    /** Waits until the generations log rows of requests answered so far are written (tests, reports). */
    public void flushGenerationLog() {
        log.flush(10_000);
    }

    public URI uri() {
        InetSocketAddress a = server.getAddress();
        String host = a.getAddress().getHostAddress();
        return URI.create("http://" + (host.contains(":") ? "[" + host + "]" : host) + ":" + a.getPort());
    }

    /**
     * Stops accepting (/ready turns 503 first), waits up to {@code seconds} for exchanges in flight,
     * writes the generations log's last rows and closes every backend (current and replaced).
     */
    public void stop(int seconds) {
        draining = true;
        server.stop(seconds);
        executor.shutdown();
        log.close();
        for (Routes r : java.util.List.copyOf(live)) r.closeOnce(); // every version's engine, the current one too
    }

    private void handle(HttpExchange ex) {
        String owner = null;
        Runnable permit = null;
        Routes routes = null;
        try {
            String path = ex.getRequestURI().getPath();
            String method = ex.getRequestMethod();
            if (path.equals("/health")) {
                allow(method, "GET");
                HttpIo.sendJson(ex, 200, HttpIo.JSON.createObjectNode().put("status", "ok"));
                return;
            }
            if (path.equals("/ready")) {
                allow(method, "GET");
                ready(ex);
                return;
            }
            if (path.equals("/metrics")) {
                allow(method, "GET");
                keys.owner(ex.getRequestHeaders().getFirst("Authorization")); // with API keys on, scrapers need one too
                byte[] text = metrics.scrape().getBytes(java.nio.charset.StandardCharsets.UTF_8);
                ex.getResponseHeaders().set("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
                ex.sendResponseHeaders(200, text.length);
                ex.getResponseBody().write(text);
                return;
            }
            if (path.equals("/") || path.startsWith("/web/")) {
                allow(method, "GET");
                WebPage.serve(ex, path);
                return;
            }
            if (path.equals("/admin") || path.startsWith("/admin/")) {
                AdminApi a = admin;
                if (a == null) throw ApiException.notFound("the admin endpoints are off; start jllm serve with --admin-key FILE to use " + path);
                adminKey.check(ex.getRequestHeaders().getFirst("Authorization"));
                String rest = path.length() > 7 ? path.substring(7) : "";
                a.handle(ex, method, rest.isEmpty() ? new String[0] : rest.split("/", -1));
                return;
            }
            if (!path.startsWith("/v1/")) throw ApiException.notFound("no route for " + method + " " + path);
            owner = keys.owner(ex.getRequestHeaders().getFirst("Authorization"));
            String[] seg = path.substring(4).split("/", -1);
            routes = acquire();
            switch (seg[0]) {
                case "models" -> models(ex, method, seg, routes.models);
                case "chat", "completions", "responses", "embeddings" -> {
                    boolean generates = method.equals("POST");
                    if (generates) {
                        try {
                            permit = limiter.take(owner);
                        } catch (ApiException e) {
                            if (e.status == 429) metrics.rejected("per_key_limit");
                            throw e;
                        }
                        ex.setAttribute(HttpIo.PERMIT, permit);
                    }
                    generation(ex, method, seg, owner, routes);
                }
                case "conversations" -> conversation(ex, method, seg, owner, routes);
                default -> throw ApiException.notFound("no route for " + method + " " + path);
            }
        } catch (ApiException e) {
            if (e.status >= 500) LOG.warning(() -> "request failed: " + e.getMessage());
            reply(ex, e);
        } catch (PromptException e) {
            ApiException a = Generations.failure(e);
            if (a.status >= 500) LOG.warning(() -> "request failed: " + e.getMessage());
            reply(ex, a);
        } catch (ConversationStore.ConversationBusyException e) {
            reply(ex, new ApiException(409, "invalid_request_error", "conversation", "conversation_busy", e.getMessage(), 1));
        } catch (ConversationStore.StoreException e) {
            LOG.log(Level.WARNING, "conversation store failed in " + ex.getRequestMethod() + " " + ex.getRequestURI().getPath(), e);
            reply(ex, new ApiException(503, "server_error", null, "store_unavailable", "the conversation store failed; retry later", 2));
        } catch (IOException e) {
            LOG.fine(() -> "client connection ended: " + e.getMessage());
            // The JDK server counts an exchange as finished only once a response was written; without
            // one, stop() would wait out its whole grace period for this dead exchange.
            if (ex.getResponseCode() == -1) {
                try {
                    ex.sendResponseHeaders(400, -1);
                } catch (IOException ignored) {
                    // the client is gone
                }
            }
        } catch (RuntimeException e) {
            LOG.log(Level.SEVERE, "unexpected error in " + ex.getRequestMethod() + " " + ex.getRequestURI().getPath(), e);
            reply(ex, new ApiException(500, "server_error", null, "internal_error", "internal server error", 0));
        } finally {
            if (permit != null) permit.run();
            ex.close();
            if (routes != null) routes.release();
        }
    }

    private static void reply(HttpExchange ex, ApiException e) {
        if (ex.getResponseCode() != -1) return; // headers already sent (a stream): nothing more can be said
        try {
            HttpIo.sendError(ex, e);
        } catch (IOException ignored) {
            // client gone
        }
    }

    private static void allow(String method, String allowed) {
        if (!method.equals(allowed)) {
            throw new ApiException(405, "invalid_request_error", null, "method_not_allowed", "method " + method + " is not allowed here; use " + allowed, 0);
        }
    }

    private void ready(HttpExchange ex) throws IOException {
        Routes routes = current;
        ServedModels models = routes.models;
        Scheduler.Stats s = routes.scheduler.stats();
        ObjectNode r = HttpIo.JSON.createObjectNode();
        String storeError = null;
        try {
            store.ping();
        } catch (ConversationStore.ConversationBusyException e) {
            reply(ex, new ApiException(409, "invalid_request_error", "conversation", "conversation_busy", e.getMessage(), 1));
        } catch (ConversationStore.StoreException e) {
            storeError = "the conversation store is unreachable";
            LOG.warning(() -> "/ready: " + e.getMessage());
        }
        r.put("status", draining ? "draining" : storeError != null ? "store_unreachable" : "ready");
        if (storeError != null) r.put("error", storeError);
        r.put("model", models.base());
        if (models.version() != null) r.put("version", models.version());
        r.put("running", s.running());
        r.put("waiting", s.waiting());
        r.put("kv_blocks_used", s.blocksUsed());
        r.put("kv_blocks_total", s.blocksTotal());
        r.put("idle_conversations", s.idleConversations());
        HttpIo.sendJson(ex, draining || storeError != null ? 503 : 200, r);
    }

    private void models(HttpExchange ex, String method, String[] seg, ServedModels models) throws IOException {
        allow(method, "GET");
        if (seg.length == 1) {
            ObjectNode list = HttpIo.JSON.createObjectNode().put("object", "list");
            var data = list.putArray("data");
            for (String id : models.ids()) data.add(model(id, models));
            HttpIo.sendJson(ex, 200, list);
            return;
        }
        String id = String.join("/", java.util.Arrays.copyOfRange(seg, 1, seg.length));
        if (!models.serves(id)) {
            throw new ApiException(404, "invalid_request_error", "model", "model_not_found", "the model '" + id + "' does not exist", 0);
        }
        HttpIo.sendJson(ex, 200, model(id, models));
    }

    /** A model object; an adapter's names its base in {@code parent} (vLLM's field for LoRA modules). */
    private ObjectNode model(String id, ServedModels models) {
        ObjectNode m = HttpIo.JSON.createObjectNode().put("id", id).put("object", "model").put("created", startedAt).put("owned_by", "jllm");
        if (!id.equals(models.base())) m.put("root", models.base()).put("parent", models.base());
        return m;
    }

    private void generation(HttpExchange ex, String method, String[] seg, String owner, Routes r) throws IOException {
        ServedModels models = r.models;
        String route = String.join("/", seg);
        if (route.equals("chat/completions") || route.equals("completions") || route.equals("responses") || route.equals("embeddings")) {
            allow(method, "POST");
            ObjectNode body = HttpIo.readJsonObject(ex, settings.maxBodyBytes());
            if (models.version() != null) ex.getResponseHeaders().set(VERSION_HEADER, models.version()); // what made the answer
            switch (route) {
                case "chat/completions" -> r.chat.chatCompletions(ex, body, owner);
                case "completions" -> r.chat.completions(ex, body, owner);
                case "embeddings" -> r.embeddings.create(ex, body);
                default -> r.responses.create(ex, body, owner);
            }
        } else if (seg[0].equals("responses") && seg.length == 2) {
            allow(method, "GET");
            r.responses.get(ex, owner, seg[1]);
        } else if (seg[0].equals("responses") && seg.length == 3 && seg[2].equals("input_items")) {
            allow(method, "GET");
            r.responses.inputItems(ex, owner, seg[1]);
        } else {
            throw ApiException.notFound("no route for " + method + " /v1/" + route);
        }
    }

    private void conversation(HttpExchange ex, String method, String[] seg, String owner, Routes r) throws IOException {
        ConversationsApi conversations = r.conversations;
        if (seg.length == 1) {
            switch (method) {
                case "POST" -> conversations.create(ex, HttpIo.readJsonObject(ex, settings.maxBodyBytes()), owner);
                case "GET" -> conversations.listConversations(ex, owner);
                default -> allow(method, "GET or POST");
            }
        } else if (seg.length == 2) {
            switch (method) {
                case "GET" -> conversations.get(ex, owner, seg[1]);
                case "DELETE" -> {
                    conversations.delete(ex, owner, seg[1]);
                    for (Routes other : live) if (other != r) other.scheduler.forget(seg[1]); // a replaced version still finishing
                }
                default -> allow(method, "GET or DELETE");
            }
        } else if (seg.length == 3 && seg[2].equals("items")) {
            switch (method) {
                case "GET" -> conversations.listItems(ex, owner, seg[1]);
                case "POST" -> conversations.addItems(ex, HttpIo.readJsonObject(ex, settings.maxBodyBytes()), owner, seg[1]);
                default -> allow(method, "GET or POST");
            }
        } else {
            throw ApiException.notFound("no route for " + method + " /v1/" + String.join("/", seg));
        }
    }
}

package dev.jllm.cli;

import dev.jllm.engine.Scheduler;
import dev.jllm.server.ChatServer;
import dev.jllm.server.http.ApiKeys;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code jllm serve}: the OpenAI-compatible chat service with conversations kept on the server. */
@Command(name = "serve", mixinStandardHelpOptions = true,
        description = {"Serve a model over an OpenAI-compatible HTTP API: /v1/chat/completions, /v1/completions (logprobs, echo), /v1/responses,",
            "/v1/conversations, /v1/embeddings, /v1/models, /health, /ready, /metrics (Prometheus). Conversations are stored in SQLite under --data-dir,",
            "or in PostgreSQL with --store postgres://user:pass@host:port/db.",
            "Stops gracefully on SIGTERM/Ctrl-C: no new requests, in-flight ones finish within --shutdown-grace."})
final class ServeCommand implements Callable<Integer> {

    @Spec CommandSpec spec;

    @Option(names = {"-m", "--model"}, description = "GGUF model (default: the bundled " + BundledModel.PATH + ")") Path model;
    @Option(names = "--registry", paramLabel = "NAME", description = "serve the promoted version of registry model NAME (jllm models) instead"
            + " of -m, and follow promotions and rollbacks: requests in flight finish on the old version, new ones use the new one")
    String registry;
    @Option(names = "--registry-poll", defaultValue = "2", paramLabel = "SECONDS", description = "with --registry: how often to look for a"
            + " promotion or rollback made elsewhere (jllm models, another replica; default ${DEFAULT-VALUE})") double registryPoll;
    @Option(names = "--admin-key", paramLabel = "FILE", description = "a file with the admin key (one line, 16+ characters): turns on"
            + " /admin/models (registry add/list/promote/rollback) and /admin/kv (resident KV; POST /admin/kv/evict evicts a conversation's KV"
            + " as the LRU would, for jllm loadtest --scenario stateful-evict) behind it; never one of the --api-keys") Path adminKey;
    @Option(names = "--host", defaultValue = "127.0.0.1", description = "address to bind (default ${DEFAULT-VALUE})") String host;
    @Option(names = "--port", defaultValue = "8080", description = "port; 0 = any free one (default ${DEFAULT-VALUE})") int port;
    @Option(names = "--data-dir", defaultValue = "./jllm-data", description = "where the conversation database lives (default ${DEFAULT-VALUE})")
    Path dataDir;
    @Option(names = "--store", paramLabel = "URL", description = "postgres://user:pass@host:port/db to keep conversations in PostgreSQL"
            + " (default: SQLite file under --data-dir)") String store;
    @Option(names = {"-t", "--threads"}, description = "threads for the model (default: all cores)") Integer threads;
    @Option(names = "--api-keys", paramLabel = "FILE", description = "one API key per line; without it only loopback is allowed") Path apiKeys;
    @Option(names = "--insecure", description = "allow a non-loopback --host without --api-keys") boolean insecure;
    @Option(names = "--max-running", defaultValue = "8", description = "sequences generated at once (default ${DEFAULT-VALUE})") int maxRunning;
    @Option(names = "--max-waiting", defaultValue = "64", description = "queued requests before 429 (default ${DEFAULT-VALUE})") int maxWaiting;
    @Option(names = "--max-per-key", defaultValue = "4", description = "concurrent generation requests per API key (default ${DEFAULT-VALUE})")
    int maxPerKey;
    @Option(names = "--batching", defaultValue = "continuous", description = "continuous (iteration-level, default) or static"
            + " (a batch runs to completion before the next one is formed; for comparison)") String batching;
    @Option(names = {"-c", "--ctx-size"}, defaultValue = "0",
            description = "context per conversation in tokens (default 0: the model's, at most 4096, as llama-server)") int ctxSize;
    @Option(names = "--kv-cache-mem", defaultValue = "256MiB", description = "KV cache memory, e.g. 512MiB, 2GiB (default ${DEFAULT-VALUE})")
    String kvCacheMem;
    @Option(names = "--kv-disk-dir", paramLabel = "DIR", description = "where conversations' KV is written when evicted from memory"
            + " and at shutdown, and loaded from on their next turn, also after a restart (default: DATA_DIR/kv)") Path kvDiskDir;
    @Option(names = "--kv-disk-budget", defaultValue = "4GiB", paramLabel = "SIZE", description = "disk space for conversations' KV,"
            + " least recently used files deleted beyond it; 0 = KV in memory only (default ${DEFAULT-VALUE})") String kvDiskBudget;
    @Option(names = "--warmup-tokens", defaultValue = "256", paramLabel = "N", description = "before answering, run the model once on N"
            + " throwaway tokens (prefill and two decode steps) so the first requests do not pay for JIT compilation, as llama-server's"
            + " warm-up; 0 = none (default ${DEFAULT-VALUE})") int warmupTokens;
    @Option(names = "--shutdown-grace", defaultValue = "30", description = "seconds in-flight requests get on shutdown (default ${DEFAULT-VALUE})")
    int grace;
    @Option(names = "--lora", paramLabel = "NAME=ADAPTER.gguf", description = "serve a LoRA adapter beside the base as model MODEL:NAME"
            + " (requests choose it by 'model'; sequences with different adapters share batched steps); repeatable")
    List<String> lora = new java.util.ArrayList<>();
    @Option(names = "--max-output-chars", defaultValue = "0", paramLabel = "N", description = "jllm extension: a length budget in Unicode code"
            + " points for answers whose request sets no 'max_output_chars' (ended at the last sentence boundary that fits, the model"
            + " steered toward ending; usage.jllm says whether it cut); 0 = none (default)") int maxOutputChars;
    @Option(names = "--pooling", defaultValue = "mean", description = "/v1/embeddings: mean or last (the final hidden states after the"
            + " output norm, pooled and L2-normalised, as llama-server's --pooling; default ${DEFAULT-VALUE})") String pooling;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        if (model != null && registry != null) throw new IllegalArgumentException("-m/--model and --registry exclude each other: serve a file, or a registry model");
        Path m = model != null ? model : registry != null ? null : BundledModel.path();
        ApiKeys keys = apiKeys != null ? ApiKeys.load(apiKeys) : ApiKeys.disabled();
        int th = threads != null ? threads : Runtime.getRuntime().availableProcessors();
        ChatServer.Options o = ChatServer.Options.defaults(m, dataDir, keys).withPort(port).withHost(host, insecure)
                .withResources(th, parseSize(kvCacheMem)).withShutdownGrace(Duration.ofSeconds(grace)).withStore(store).withBatching(batching(batching)).withCtxSize(ctxSize);
        o = o.withKvDisk(kvDiskDir, parseSize("--kv-disk-budget", kvDiskBudget, true)).withWarmup(warmupTokens);
        o = o.withLimits(maxRunning, maxWaiting, maxPerKey, o.maxBodyBytes(), o.heartbeatMillis());
        if (registry != null) {
            if (!(registryPoll > 0)) throw new IllegalArgumentException("--registry-poll must be > 0 seconds, got " + registryPoll);
            o = o.withRegistry(registry, Math.max(1, Math.round(registryPoll * 1000)));
        }
        if (adminKey != null) o = o.withAdminKey(dev.jllm.server.http.AdminKey.load(adminKey));
        java.util.Map<String, Path> adapters = new java.util.LinkedHashMap<>();
        for (String l : lora) {
            int eq = l.indexOf('=');
            Path f = Path.of(eq > 0 ? l.substring(eq + 1) : l);
            String name = eq > 0 ? l.substring(0, eq).strip() : f.getFileName().toString().replaceFirst("\\.gguf$", "");
            if (adapters.put(name, f) != null) throw new IllegalArgumentException("--lora: the name '" + name + "' is given twice");
        }
        o = o.withAdapters(adapters).withOutputs(maxOutputChars, switch (pooling) {
            case "mean" -> dev.jllm.engine.Pooling.MEAN;
            case "last" -> dev.jllm.engine.Pooling.LAST;
            default -> throw new IllegalArgumentException("--pooling must be mean or last, got '" + pooling + "'");
        });
        ChatServer server = ChatServer.start(o);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            System.err.println("jllm serve: stopping (finishing requests in flight, up to " + grace + " s)");
            server.shutdown();
            System.err.println("jllm serve: stopped");
            stopped.countDown();
        }, "jllm-serve-shutdown"));
        out.println("jllm serve: listening on " + server.uri() + " (model " + server.modelId() + " " + server.modelVersion()
                + (registry != null ? " from the registry" : "") + ", "
                + (keys.enabled() ? keys.size() + " API keys" : "no API keys, loopback only") + ", store " + server.storeLocation()
                + (o.batching() == Scheduler.Batching.STATIC ? ", STATIC batching" : "") + ")");
        if (adminKey != null) out.println("  admin: " + server.uri() + "/admin/models, " + server.uri() + "/admin/kv (Authorization: Bearer ADMIN_KEY)");
        if (!adapters.isEmpty()) out.println("  adapters: " + String.join(", ", adapters.keySet().stream().map(n -> server.modelId() + ":" + n).toList()));
        out.println("  context: " + server.contextLength() + " tokens per conversation"
                + (server.contextLength() < server.trainedContextLength() ? " (the model was trained for " + server.trainedContextLength() + "; -c to change)" : ""));
        out.println("  try: curl -s " + server.uri() + "/v1/chat/completions " + (keys.enabled() ? "-H 'Authorization: Bearer YOUR_KEY' " : "")
                + "-H 'Content-Type: application/json' -d '{\"model\":\"" + server.modelId()
                + "\",\"messages\":[{\"role\":\"user\",\"content\":\"Tell me a story\"}],\"max_tokens\":64}'");
        out.flush();
        stopped.await();
        return 0;
    }

    static Scheduler.Batching batching(String s) {
        return switch (s.toLowerCase(Locale.ROOT)) {
            case "continuous" -> Scheduler.Batching.CONTINUOUS;
            case "static" -> Scheduler.Batching.STATIC;
            default -> throw new IllegalArgumentException("--batching must be continuous or static, got '" + s + "'");
        };
    }

    /** "256MiB", "2GiB", "512MB", "1048576" → bytes. */
    static long parseSize(String s) {
        return parseSize("--kv-cache-mem", s, false);
    }

    /** A size for {@code option}; 0 allowed when {@code zeroOk}. */
    static long parseSize(String option, String s, boolean zeroOk) {
        String t = s.strip().toLowerCase(Locale.ROOT).replace("ib", "").replace("b", "");
        long mult = 1;
        if (t.endsWith("k")) mult = 1L << 10;
        else if (t.endsWith("m")) mult = 1L << 20;
        else if (t.endsWith("g")) mult = 1L << 30;
        if (mult != 1) t = t.substring(0, t.length() - 1);
        try {
            double v = Double.parseDouble(t.strip());
            if (v < 0 || v == 0 && !zeroOk || Double.isNaN(v)) throw new NumberFormatException();
            return (long) (v * mult);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(option + " must be a size like 256MiB or 2GiB" + (zeroOk ? " (0 = off)" : "") + ", got '" + s + "'");
        }
    }
}

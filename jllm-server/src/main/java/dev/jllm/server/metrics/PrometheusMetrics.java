package dev.jllm.server.metrics;

import dev.jllm.engine.FinishReason;
import dev.jllm.engine.Scheduler;
import dev.jllm.engine.SchedulerMetrics;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.ToDoubleFunction;

/**
 * The scheduler's numbers in Prometheus text ({@code GET /metrics}), through Micrometer. Names
 * follow vLLM's where one exists (TTFT, TPOT, ITL, E2E, queue time, running/waiting, KV usage, token
 * counters), prefixed {@code jllm_}; every series carries {@code model}. Histograms have fixed
 * buckets (so they can be aggregated across servers), spanning a tiny CPU model to a large one.
 */
public final class PrometheusMetrics implements SchedulerMetrics {
    private static final Duration[] LATENCY = seconds(0.001, 0.0025, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1, 2.5,
            5, 7.5, 10, 20, 40, 80, 160, 640);
    private static final Duration[] PER_TOKEN = seconds(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3,
            0.4, 0.5, 0.75, 1, 2.5, 5);

    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final Tags tags;
    private final Timer ttft, tpot, itl, e2e, queue, step;
    private final DistributionSummary stepTokens;
    private final Counter promptTokens, cachedTokens, generatedTokens, cancelled, evictedTokens;
    private final ConcurrentHashMap<String, Counter> rejected = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<FinishReason, Counter> finished = new ConcurrentHashMap<>();

    private final io.micrometer.core.instrument.binder.jvm.JvmGcMetrics gc = new io.micrometer.core.instrument.binder.jvm.JvmGcMetrics();

    /** Stops listening to the JVM's GC notifications (a server that stopped). */
    public void close() {
        gc.close();
    }

    public PrometheusMetrics(String modelId) {
        tags = Tags.of("model", modelId);
        ttft = timer("jllm.time_to_first_token", "Time from request arrival to its first token (queue + prefill + one step)", LATENCY);
        tpot = timer("jllm.time_per_output_token", "Per request: (E2E - TTFT) / (output tokens - 1)", PER_TOKEN);
        itl = timer("jllm.inter_token_latency", "Time between two consecutive tokens of a request", PER_TOKEN);
        e2e = timer("jllm.e2e_request_latency", "Time from request arrival to its last token", LATENCY);
        queue = timer("jllm.request_queue_time", "Time a request waited before it got a KV sequence", LATENCY);
        step = timer("jllm.scheduler_step", "Wall time of one forward call of the scheduler (a batch)", PER_TOKEN);
        stepTokens = DistributionSummary.builder("jllm.scheduler_step_tokens").description("Tokens in one forward call (decodes + prefill)")
                .tags(tags).serviceLevelObjectives(1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048).register(registry);
        promptTokens = counter("jllm.prompt_tokens", "Prompt tokens of admitted requests (cached ones included)");
        cachedTokens = counter("jllm.cached_prompt_tokens", "Prompt tokens whose KV was reused instead of recomputed");
        generatedTokens = counter("jllm.generation_tokens", "Tokens generated");
        cancelled = counter("jllm.requests_cancelled", "Requests dropped before they finished (client disconnect, cancel)");
        evictedTokens = counter("jllm.kv_evicted_tokens", "Tokens of idle conversation KV evicted to make room");
        for (FinishReason r : FinishReason.values()) finishedCounter(r);
        // the JVM's own numbers (heap by pool, GC, live data after GC, threads): what a soak watches stay flat
        new io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics().bindTo(registry);
        gc.bindTo(registry);
        new io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics().bindTo(registry);
        for (String r : new String[] {"queue_full", "per_key_limit"}) rejectedCounter(r);
    }

    /** Gauges read from the scheduler's last snapshot at scrape time. */
    public void bind(Scheduler s) {
        bind(() -> s, s.kvDisk());
    }

    /**
     * Gauges read at scrape time from whichever scheduler serves now ({@code current}: the model
     * version changes under a running server), and the KV disk store's counters ({@code d}, shared by
     * the versions; null without one).
     */
    public void bind(java.util.function.Supplier<Scheduler> current, dev.jllm.engine.KvDiskStore d) {
        java.util.function.Supplier<Scheduler> s = current;
        gauge("jllm.num_requests_running", "Sequences in the running batch", s, x -> x.get().stats().running());
        gauge("jllm.num_requests_waiting", "Requests queued for a sequence", s, x -> x.get().stats().waiting());
        gauge("jllm.kv_cache_blocks_used", "KV cache blocks in use (running and idle conversations)", s, x -> x.get().stats().blocksUsed());
        gauge("jllm.kv_cache_blocks_capacity", "KV cache blocks in all, " + Scheduler.BLOCK_TOKENS + " tokens each (not _total: Prometheus reserves that for counters)", s, x -> x.get().stats().blocksTotal());
        gauge("jllm.idle_conversations", "Conversations whose KV stays resident between turns", s, x -> x.get().stats().idleConversations());
        if (d != null) {
            fcounter("jllm.kv_disk_hits", "Turns whose conversation KV was loaded from disk instead of prefilled", d, x -> x.hits());
            for (String reason : d.misses().keySet()) {
                io.micrometer.core.instrument.FunctionCounter.builder("jllm.kv_disk_misses", d, x -> x.misses().getOrDefault(reason, 0L))
                        .description("Turns of a conversation not resident in memory whose KV file was missing or unusable, by reason")
                        .tags(tags).tag("reason", reason).register(registry);
            }
            fcounter("jllm.kv_disk_written_bytes", "Bytes of conversation KV files written (on eviction and at shutdown)", d, x -> x.bytesWritten());
            fcounter("jllm.kv_disk_read_bytes", "Bytes of conversation KV read back from disk", d, x -> x.bytesRead());
            fcounter("jllm.kv_disk_load_seconds", "Time spent reading and checking conversation KV files", d, x -> x.loadNanos() / 1e9);
            fcounter("jllm.kv_disk_write_failures", "Conversation KV files that could not be written", d, x -> x.writeFailures());
            fcounter("jllm.kv_disk_budget_deletions", "KV files deleted least recently used first to stay within --kv-disk-budget", d, x -> x.deletedForBudget());
            gauge("jllm.kv_disk_bytes", "Bytes the conversation KV files take on disk", d, x -> x.bytesOnDisk());
        }
    }

    /** Model version switches done ({@code --registry}) and attempts that failed (the old version kept serving). */
    public void registerModelSwitches(java.util.function.LongSupplier done, java.util.function.LongSupplier failed) {
        fcounter("jllm.model_switches", "Switches to another model version (promotion or rollback followed)", done, x -> x.getAsLong());
        fcounter("jllm.model_switch_failures", "Promoted versions this server could not load (it kept serving the old one)", failed, x -> x.getAsLong());
    }

    /** The registry metrics are kept in (drift gauges join it). */
    public io.micrometer.core.instrument.MeterRegistry registry() {
        return registry;
    }

    /** Prometheus text exposition format 0.0.4. */
    public String scrape() {
        return registry.scrape();
    }

    @Override
    public void step(int decodeSequences, int prefillTokens, long nanos) {
        step.record(nanos, TimeUnit.NANOSECONDS);
        stepTokens.record(decodeSequences + prefillTokens);
    }

    @Override
    public void admitted(int prompt, int cached, long queuedNanos) {
        promptTokens.increment(prompt);
        cachedTokens.increment(cached);
        queue.record(queuedNanos, TimeUnit.NANOSECONDS);
    }

    @Override
    public void token(boolean first, long nanos) {
        generatedTokens.increment();
        (first ? ttft : itl).record(nanos, TimeUnit.NANOSECONDS);
    }

    @Override
    public void finished(FinishReason reason, int completionTokens, long e2eNanos, long ttftNanos) {
        finishedCounter(reason).increment();
        e2e.record(e2eNanos, TimeUnit.NANOSECONDS);
        if (completionTokens > 1) tpot.record((e2eNanos - ttftNanos) / (completionTokens - 1), TimeUnit.NANOSECONDS);
    }

    @Override
    public void rejected(String reason) {
        rejectedCounter(reason).increment();
    }

    @Override
    public void cancelled() {
        cancelled.increment();
    }

    @Override
    public void evicted(int tokens) {
        evictedTokens.increment(tokens);
    }

    private Counter finishedCounter(FinishReason r) {
        return finished.computeIfAbsent(r, k -> Counter.builder("jllm.requests_finished").description("Requests that ended normally, by finish_reason")
                .tags(tags).tag("finish_reason", k.wire).register(registry));
    }

    private Counter rejectedCounter(String reason) {
        return rejected.computeIfAbsent(reason, k -> Counter.builder("jllm.requests_rejected").description("Requests refused with 429")
                .tags(tags).tag("reason", k).register(registry));
    }

    private Timer timer(String name, String help, Duration[] buckets) {
        return Timer.builder(name).description(help).tags(tags).serviceLevelObjectives(buckets).register(registry);
    }

    private Counter counter(String name, String help) {
        return Counter.builder(name).description(help).tags(tags).register(registry);
    }

    private <T> void fcounter(String name, String help, T obj, ToDoubleFunction<T> f) {
        io.micrometer.core.instrument.FunctionCounter.builder(name, obj, f).description(help).tags(tags).register(registry);
    }

    /**
     * A gauge that keeps {@code obj} alive: Micrometer holds a gauge's object weakly by default, and the suppliers
     * passed here (lambdas made in {@link #bind}) have no other reference — once collected the gauge read NaN
     * (MetricsTest saw {@code jllm_num_requests_running NaN} after a GC).
     */
    private <T> void gauge(String name, String help, T obj, ToDoubleFunction<T> f) {
        Gauge.builder(name, obj, f).strongReference(true).description(help).tags(tags).register(registry);
    }

    private static Duration[] seconds(double... s) {
        return Arrays.stream(s).mapToObj(x -> Duration.ofNanos(Math.round(x * 1e9))).toArray(Duration[]::new);
    }
}

package dev.jllm.server.ops;

import dev.jllm.server.store.ConversationStore;
import dev.jllm.server.store.ConversationStore.Bucket;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;
import java.util.function.ToDoubleFunction;
import java.util.logging.Logger;

/**
 * The drift alarm in a running server: every interval it reads the generations log's buckets from the
 * store (all replicas' answers, so every replica sees the same numbers; after a restart the baselines
 * are still there), runs {@link DriftDetector}, exports the states in {@code /metrics} labelled by model
 * and version, and logs each alarm when it rises and when it clears. Completed buckets are kept between
 * runs; only the last two are read again.
 *
 * <pre>
 * jllm_output_length_drift{model,version}          CUSUM S of the answers' length (alarm above the threshold)
 * jllm_output_length_drift_alarm{model,version}    1 while S is above the threshold
 * jllm_output_length_baseline_mean{model,version}  the baseline mean length, characters per answer
 * jllm_output_length_current_mean{model,version}   the latest bucket's mean length, characters per answer
 * jllm_empty_answer_rate_drift{model,version}      CUSUM S of the empty-or-refusal rate (and _alarm, _baseline, _current)
 * </pre>
 */
public final class DriftMonitor implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(DriftMonitor.class.getName());

    private final ConversationStore store;
    private final MeterRegistry registry;
    private final DriftDetector.Params params;
    private final long lookbackMs;
    private final LongSupplier clock;
    private final Map<String, DriftDetector.State> states = new ConcurrentHashMap<>(); // by model + '\0' + version
    private List<Bucket> complete = List.of();
    private long completeUntil = Long.MIN_VALUE;
    private final Thread thread;
    private volatile boolean closed;

    /**
     * @param intervalMs how often to look (0: never by itself; {@link #refresh} on demand)
     * @param lookbackMs how far back the log is read (a version's baseline must lie within)
     * @param clock      milliseconds since the epoch (tests replay synthetic days)
     */
    public DriftMonitor(ConversationStore store, MeterRegistry registry, DriftDetector.Params params, long intervalMs, long lookbackMs, LongSupplier clock) {
        this.store = store;
        this.registry = registry;
        this.params = params;
        this.lookbackMs = lookbackMs;
        this.clock = clock;
        this.thread = intervalMs <= 0 ? null : Thread.ofVirtual().name("jllm-drift").start(() -> {
            while (!closed) {
                try {
                    refresh();
                } catch (RuntimeException e) {
                    LOG.warning("drift alarm: cannot read the generations log: " + e.getMessage());
                }
                try {
                    Thread.sleep(intervalMs);
                } catch (InterruptedException e) {
                    return;
                }
            }
        });
    }

    /** Reads what is new in the log, runs the detector, updates the gauges and logs alarms that rose or cleared; returns the states. */
    public synchronized List<DriftDetector.State> refresh() {
        long now = clock.getAsLong();
        long bucket = params.bucketMs();
        long since = Math.max(now - lookbackMs, 0);
        List<Bucket> all = new ArrayList<>();
        if (completeUntil == Long.MIN_VALUE) {
            all.addAll(store.generationBuckets(since / bucket * bucket, bucket, null));
        } else {
            long reread = completeUntil - bucket; // the last completed bucket again: rows written late (a replica's batch) land there
            for (Bucket b : complete) if (b.startMs() < reread && b.startMs() >= since / bucket * bucket) all.add(b);
            all.addAll(store.generationBuckets(reread, bucket, null));
        }
        all.removeIf(b -> b.startMs() > now); // a replayed log (tests) or a replica's clock ahead: not yet
        completeUntil = Math.floorDiv(now, bucket) * bucket;
        List<Bucket> done = new ArrayList<>();
        for (Bucket b : all) if (b.startMs() < completeUntil) done.add(b);
        complete = done;
        List<DriftDetector.State> result = DriftDetector.evaluate(all, params);
        for (DriftDetector.State s : result) update(s);
        return result;
    }

    /** The latest states, by model then version. */
    public List<DriftDetector.State> states() {
        return states.values().stream().sorted(java.util.Comparator.comparing(DriftDetector.State::model)
                .thenComparing(s -> s.version() == null ? "" : s.version())).toList();
    }

    private void update(DriftDetector.State s) {
        String key = s.model() + '\0' + s.version();
        DriftDetector.State before = states.put(key, s);
        if (before == null) register(key, s);
        boolean wasLen = before != null && before.lengthAlarm(), wasRate = before != null && before.rateAlarm();
        String who = s.model() + " " + (s.version() == null ? "(version unknown)" : s.version());
        String base = s.baselineOf() == null || s.baselineOf().equals(s.version()) ? "its own baseline" : "the baseline of " + s.baselineOf()
                + " (the version it replaced)";
        if (s.lengthAlarm() && !wasLen) {
            LOG.warning(String.format(Locale.ROOT, "drift alarm: %s answers are %.0f%% shorter than %s: %.1f vs %.1f characters per answer"
                    + " (bucket from %s, CUSUM %.1f > %.1f); compare versions and hours with: jllm ops report --by hour --model %s", who,
                    100 * (1 - s.currentChars() / s.baselineChars()), base, s.currentChars(), s.baselineChars(), Instant.ofEpochMilli(s.lengthAlarmSinceMs()),
                    s.lengthCusum(), params.h(), s.model()));
        } else if (!s.lengthAlarm() && wasLen) {
            LOG.info(String.format(Locale.ROOT, "drift alarm cleared: %s answers are back near %s (%.1f vs %.1f characters)", who, base, s.currentChars(),
                    s.baselineChars()));
        }
        if (s.rateAlarm() && !wasRate) {
            LOG.warning(String.format(Locale.ROOT, "drift alarm: %s empty or refusing answers at %.1f%% against %.1f%% for %s (bucket from %s,"
                    + " CUSUM %.1f > %.1f)", who, 100 * s.currentRate(), 100 * s.baselineRate(), base, Instant.ofEpochMilli(s.rateAlarmSinceMs()),
                    s.rateCusum(), params.h()));
        } else if (!s.rateAlarm() && wasRate) {
            LOG.info(String.format(Locale.ROOT, "drift alarm cleared: %s empty or refusing answers back near %s", who, base));
        }
    }

    private void register(String key, DriftDetector.State first) {
        String version = first.version() == null ? "unknown" : first.version();
        gauge("jllm.output_length_drift", "CUSUM of the answers' length falling below the version's baseline (an alarm above the threshold,"
                + " jllm_output_length_drift_threshold)", key, version, first, DriftDetector.State::lengthCusum);
        gauge("jllm.output_length_drift_alarm", "1 while the answers of this version are shorter than its baseline (the CUSUM is above the threshold)",
                key, version, first, s -> s.lengthAlarm() ? 1 : 0);
        gauge("jllm.output_length_baseline_mean", "Baseline mean answer length in characters (the version's own, or its predecessor's on probation)",
                key, version, first, s -> Double.isNaN(s.baselineChars()) ? 0 : s.baselineChars());
        gauge("jllm.output_length_current_mean", "Mean answer length in characters in the latest bucket with enough answers", key, version, first,
                DriftDetector.State::currentChars);
        gauge("jllm.empty_answer_rate_drift", "CUSUM of the rate of empty or refusing answers rising above the version's baseline", key, version, first,
                DriftDetector.State::rateCusum);
        gauge("jllm.empty_answer_rate_drift_alarm", "1 while empty or refusing answers are more frequent than the baseline", key, version, first,
                s -> s.rateAlarm() ? 1 : 0);
        gauge("jllm.empty_answer_rate_baseline", "Baseline rate of empty or refusing answers", key, version, first,
                s -> Double.isNaN(s.baselineRate()) ? 0 : s.baselineRate());
        gauge("jllm.empty_answer_rate_current", "Rate of empty or refusing answers in the latest bucket with enough answers", key, version, first,
                DriftDetector.State::currentRate);
        if (registry.find("jllm.output_length_drift_threshold").gauge() == null) {
            Gauge.builder("jllm.output_length_drift_threshold", params, DriftDetector.Params::h)
                    .description("The CUSUM threshold of the drift alarms (h)").register(registry);
        }
    }

    private void gauge(String name, String help, String key, String version, DriftDetector.State first, ToDoubleFunction<DriftDetector.State> f) {
        Gauge.builder(name, states, m -> {
            DriftDetector.State s = m.get(key);
            return s == null ? Double.NaN : f.applyAsDouble(s);
        }).description(help).tag("model", first.model()).tag("version", version).register(registry);
    }

    @Override
    public void close() {
        closed = true;
        if (thread != null) thread.interrupt();
    }
}

package dev.jllm.eval;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What {@link Scenario#STATEFUL_EVICT}'s eviction calls did, from the server's answers: how many
 * conversations' KV left memory, how many of them were written to the server's disk tier (their next
 * turn loads it) rather than dropped (their next turn prefills again), and how long the calls took —
 * time kept out of every turn's TTFT.
 */
public final class Evictions {
    /**
     * @param calls   eviction calls that succeeded (one before each turn after the first)
     * @param evicted of those, calls that found the conversation's KV resident and evicted it
     * @param spilled evicted KV the server wrote to disk
     * @param tokens  tokens of KV evicted
     * @param meanMs  mean time of one eviction call (ms), not part of any TTFT
     * @param disk    the server said it has a KV disk tier (false: evicted KV is dropped, the next turn re-prefills)
     */
    public record Snapshot(long calls, long evicted, long spilled, long tokens, double meanMs, boolean disk) {}

    private final AtomicLong calls = new AtomicLong(), evicted = new AtomicLong(), spilled = new AtomicLong(), tokens = new AtomicLong(),
            nanos = new AtomicLong();
    private volatile boolean disk;

    /** One {@code POST /admin/kv/evict} answer and the call's time. */
    void add(JsonNode answer, long callNanos) {
        calls.incrementAndGet();
        nanos.addAndGet(callNanos);
        evicted.addAndGet(answer.path("evicted").asLong());
        spilled.addAndGet(answer.path("spilled").asLong());
        tokens.addAndGet(answer.path("tokens").asLong());
        if (answer.path("disk").asBoolean()) disk = true;
    }

    public Snapshot snapshot() {
        long c = calls.get();
        return new Snapshot(c, evicted.get(), spilled.get(), tokens.get(), c == 0 ? 0 : nanos.get() / 1e6 / c, disk);
    }
}

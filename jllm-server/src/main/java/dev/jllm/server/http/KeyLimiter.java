package dev.jllm.server.http;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;

/** At most N concurrent generation requests per owner (API key); the next one is a 429 with Retry-After. */
final class KeyLimiter {
    private final int max;
    private final ConcurrentHashMap<String, Semaphore> permits = new ConcurrentHashMap<>();

    KeyLimiter(int maxConcurrentPerKey) {
        if (maxConcurrentPerKey < 1) throw new IllegalArgumentException("per-key concurrency must be >= 1, got " + maxConcurrentPerKey);
        this.max = maxConcurrentPerKey;
    }

    /** Takes a slot for the owner or throws 429; release it with {@link #release}. */
    void acquire(String owner) {
        if (!permits.computeIfAbsent(owner, k -> new Semaphore(max)).tryAcquire()) {
            throw ApiException.busy("too many concurrent requests for this API key (limit " + max + "); retry when one finishes", 1);
        }
    }

    void release(String owner) {
        permits.get(owner).release();
    }

    /**
     * Takes a slot and returns its release as an idempotent action. The HTTP layer runs it just
     * before the last bytes of a fixed-length response are written (and again, harmlessly, when
     * the exchange ends): a client that sends its next request the moment it has read a reply must
     * find its slot free, not race the handler thread's cleanup.
     */
    Runnable take(String owner) {
        acquire(owner);
        java.util.concurrent.atomic.AtomicBoolean done = new java.util.concurrent.atomic.AtomicBoolean();
        return () -> {
            if (done.compareAndSet(false, true)) release(owner);
        };
    }
}

package dev.jllm.server;

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
}

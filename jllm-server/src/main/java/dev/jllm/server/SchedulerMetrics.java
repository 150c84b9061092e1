package dev.jllm.server;

/**
 * Hooks the scheduler calls from its thread; a Prometheus/Micrometer implementation plugs in here.
 * Implementations must be cheap and must not throw.
 */
public interface SchedulerMetrics {
    SchedulerMetrics NONE = new SchedulerMetrics() {};

    /** One forward call: sequences decoding, prompt tokens prefilled, wall time. */
    default void step(int decodeSequences, int prefillTokens, long nanos) {}

    /** A request got its sequence: prompt size and how much of it came from the cache. */
    default void admitted(int promptTokens, int cachedTokens, long queuedNanos) {}

    default void finished(GenerationEvent.FinishReason reason, int completionTokens) {}

    default void rejected() {}

    default void cancelled() {}

    default void evicted(int tokens) {}
}

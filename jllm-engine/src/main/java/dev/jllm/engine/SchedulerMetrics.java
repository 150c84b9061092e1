package dev.jllm.engine;

/**
 * Hooks the scheduler calls (from its thread, except {@link #rejected}, which comes from the
 * submitting thread); the server's Prometheus metrics are the real implementation. Implementations must be
 * cheap and must not throw.
 */
public interface SchedulerMetrics {
    SchedulerMetrics NONE = new SchedulerMetrics() {};

    /** One forward call: sequences decoding, prompt tokens prefilled, wall time. */
    default void step(int decodeSequences, int prefillTokens, long nanos) {}

    /** A request got its sequence: prompt size, how much of it came from the cache, time spent queued. */
    default void admitted(int promptTokens, int cachedTokens, long queuedNanos) {}

    /**
     * A token was sampled for a request. {@code nanos} is, for the first token, the time since the
     * request was submitted (TTFT); for later ones, the time since the previous token (inter-token latency).
     */
    default void token(boolean first, long nanos) {}

    /** A request ended normally; {@code e2eNanos} from submission, {@code ttftNanos} to its first token. */
    default void finished(FinishReason reason, int completionTokens, long e2eNanos, long ttftNanos) {}

    /** A request was refused: {@code reason} is "queue_full" (scheduler) or "per_key_limit" (HTTP layer). */
    default void rejected(String reason) {}

    /** A request was dropped before it finished (client gone, cancelled). */
    default void cancelled() {}

    default void evicted(int tokens) {}
}

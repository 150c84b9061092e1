package dev.jllm.engine;

import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * The consumer's end of one request: events from the scheduler, and cancellation. Closing it
 * cancels the request if it has not ended — use it in try-with-resources so that every exit path
 * of the consumer (a finished stream, an error, a client that went away) frees the slot and its KV
 * blocks within one scheduler step.
 *
 * <p>The event queue is bounded by construction: it holds at most one event per generated token plus
 * Started and the terminal event, so the scheduler's {@code offer} never fails and never blocks the
 * model thread on a slow client.
 */
public final class Generation implements AutoCloseable {
    private final BlockingQueue<GenerationEvent> events;
    private volatile boolean cancelled;

    Generation(int maxEvents) {
        events = new ArrayBlockingQueue<>(maxEvents + 3);
    }

    /** The next event, or null if none arrived within the timeout. */
    public GenerationEvent poll(long timeout, TimeUnit unit) throws InterruptedException {
        return events.poll(timeout, unit);
    }

    /** Asks the scheduler to drop this request at its next step (its KV blocks are freed); a no-op once it ended. */
    public void cancel() {
        cancelled = true;
    }

    public boolean isCancelled() {
        return cancelled;
    }

    /** Same as {@link #cancel}: the consumer is done with this request, finished or not. */
    @Override
    public void close() {
        cancel();
    }

    void emit(GenerationEvent e) {
        if (!events.offer(e)) throw new IllegalStateException("event queue overflow: more events than tokens (bug)");
    }
}

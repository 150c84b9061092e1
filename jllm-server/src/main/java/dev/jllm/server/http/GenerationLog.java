package dev.jllm.server.http;

import dev.jllm.server.store.ConversationStore;
import dev.jllm.server.store.ConversationStore.GenerationRecord;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Logger;

/**
 * The generations log's rows of the stateless APIs (chat completions, completions, responses with
 * {@code store: false}), written off the request path: a queue drained by one thread, up to
 * {@link #BATCH} rows per transaction. Telemetry, not a turn: a row still queued when the process is
 * killed is lost, and when the store fails the rows are retried for a minute, then dropped (counted,
 * logged); a full queue drops new rows rather than slow the answers.
 */
class GenerationLog implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(GenerationLog.class.getName());
    static final int BATCH = 512, CAPACITY = 100_000;

    private final ConversationStore store;
    private final LinkedBlockingQueue<GenerationRecord> queue = new LinkedBlockingQueue<>(CAPACITY);
    private final AtomicLong written = new AtomicLong(), dropped = new AtomicLong();
    private final Object idle = new Object();
    private final AtomicLong outstanding = new AtomicLong(); // added and not yet written or dropped
    private final Thread thread;
    private volatile boolean closed;

    GenerationLog(ConversationStore store) {
        this.store = store;
        this.thread = store == null ? null : Thread.ofPlatform().name("jllm-generation-log").daemon(true).start(this::loop);
    }

    /** A log that keeps nothing (requests that make no answer). */
    static final class Discard extends GenerationLog {
        Discard() {
            super(null);
        }

        @Override
        void add(GenerationRecord r) {}

        @Override
        public void close() {}
    }

    void add(GenerationRecord r) {
        outstanding.incrementAndGet();
        if (closed || !queue.offer(r)) {
            dropped.incrementAndGet();
            done(1);
        }
    }

    private void done(int n) {
        if (outstanding.addAndGet(-n) == 0) {
            synchronized (idle) {
                idle.notifyAll();
            }
        }
    }

    long written() { return written.get(); }

    long dropped() { return dropped.get(); }

    private void loop() {
        List<GenerationRecord> batch = new ArrayList<>();
        long failingSince = 0;
        while (true) {
            try {
                if (batch.isEmpty()) {
                    GenerationRecord first = queue.poll(200, TimeUnit.MILLISECONDS);
                    if (first == null) {
                        if (closed) return;
                        continue;
                    }
                    batch.add(first);
                    queue.drainTo(batch, BATCH - 1);
                }
                try {
                    store.recordGenerations(batch);
                    written.addAndGet(batch.size());
                    failingSince = 0;
                } catch (RuntimeException e) {
                    long now = System.nanoTime();
                    if (failingSince == 0) {
                        failingSince = now;
                        LOG.warning("cannot write " + batch.size() + " rows of the generations log: " + e.getMessage() + "; retrying for a minute");
                    }
                    if (now - failingSince < TimeUnit.MINUTES.toNanos(1) && !closed) {
                        Thread.sleep(1000);
                        continue;
                    }
                    dropped.addAndGet(batch.size());
                    LOG.warning("dropped " + batch.size() + " rows of the generations log: the store failed for a minute");
                    failingSince = 0;
                }
                int n = batch.size();
                batch.clear();
                done(n);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    /** Waits until every row added so far is written (or dropped), up to {@code millis}. */
    void flush(long millis) {
        long deadline = System.currentTimeMillis() + millis;
        synchronized (idle) {
            while (outstanding.get() > 0 && thread.isAlive()) {
                long left = deadline - System.currentTimeMillis();
                if (left <= 0) return;
                try {
                    idle.wait(Math.min(left, 50));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
    }

    /** Writes what is queued (up to 10 s), then stops. */
    @Override
    public void close() {
        flush(10_000);
        closed = true;
        try {
            thread.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}

package dev.jllm.tensor;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * A fixed pool of daemon worker threads for data-parallel loops: {@link #forRange} splits [0, n)
 * into one contiguous chunk per thread, the calling thread doing the first. Workers spin briefly and
 * then park between calls, so a decode step (hundreds of small loops) pays no task allocation or
 * executor queueing. One loop at a time: calls are serialised.
 */
public final class Parallel implements AutoCloseable {

    @FunctionalInterface
    public interface IntRangeBody {
        void run(int from, int to);
    }

    private static final int SPINS = 20_000;

    private final int threads;
    private final Worker[] workers;
    private final AtomicInteger pending = new AtomicInteger();
    private volatile Thread caller;
    private volatile Throwable failure;
    private volatile boolean closed;

    public Parallel(int threads) {
        if (threads < 1) throw new IllegalArgumentException("threads must be >= 1, got " + threads);
        this.threads = threads;
        this.workers = new Worker[threads - 1];
        for (int i = 0; i < workers.length; i++) {
            workers[i] = new Worker();
            Thread t = new Thread(workers[i], "jllm-worker-" + (i + 1));
            t.setDaemon(true);
            workers[i].thread = t;
            t.start();
        }
    }

    public int threads() {
        return threads;
    }

    /** Runs body over [0, n) split into up to {@link #threads()} contiguous chunks; returns when all are done. */
    public synchronized void forRange(int n, IntRangeBody body) {
        if (closed) throw new IllegalStateException("Parallel pool is closed");
        if (n <= 0) return;
        int chunks = Math.min(threads, n);
        if (chunks == 1) {
            body.run(0, n);
            return;
        }
        caller = Thread.currentThread();
        failure = null;
        pending.set(chunks - 1);
        for (int c = 1; c < chunks; c++) {
            Worker w = workers[c - 1];
            w.from = (int) ((long) n * c / chunks);
            w.to = (int) ((long) n * (c + 1) / chunks);
            w.body = body;
            w.start();
        }
        try {
            body.run(0, (int) ((long) n / chunks));
        } finally {
            int spins = 0;
            while (pending.get() > 0) {
                if (++spins > SPINS) LockSupport.parkNanos(this, 50_000);
                else Thread.onSpinWait();
            }
        }
        Throwable f = failure;
        if (f instanceof RuntimeException re) throw re;
        if (f instanceof Error e) throw e;
    }

    /**
     * Runs body over [0, n) in pieces of {@code grain} handed out on demand: each thread takes the
     * next piece when it finishes one, so a thread slowed down (descheduled by another process, a
     * busier memory channel) costs at most a piece instead of holding everyone at the barrier.
     * Pieces are contiguous ranges; one thread may run several.
     */
    public void forChunks(int n, int grain, IntRangeBody body) {
        if (n <= 0) return;
        if (grain < 1) throw new IllegalArgumentException("grain must be >= 1, got " + grain);
        if (threads == 1 || n <= grain) {
            body.run(0, n);
            return;
        }
        AtomicInteger next = new AtomicInteger();
        forRange(threads, (a, b) -> {
            for (int s; (s = next.getAndAdd(grain)) < n; ) body.run(s, Math.min(n, s + grain));
        });
    }

    @Override
    public void close() {
        closed = true;
        for (Worker w : workers) LockSupport.unpark(w.thread);
    }

    private final class Worker implements Runnable {
        Thread thread;
        int from, to;
        IntRangeBody body;
        private volatile int generation;
        private int seen;

        void start() {
            generation++;
            LockSupport.unpark(thread);
        }

        @Override
        public void run() {
            while (!closed) {
                int spins = 0;
                while (generation == seen && !closed) {
                    if (++spins > SPINS) LockSupport.park(this);
                    else Thread.onSpinWait();
                }
                if (closed) return;
                seen = generation;
                try {
                    body.run(from, to);
                } catch (Throwable t) {
                    failure = t;
                } finally {
                    body = null;
                    if (pending.decrementAndGet() == 0) LockSupport.unpark(caller);
                }
            }
        }
    }
}

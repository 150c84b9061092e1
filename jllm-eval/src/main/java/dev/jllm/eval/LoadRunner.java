package dev.jllm.eval;

import java.io.PrintWriter;
import java.lang.management.ManagementFactory;
import java.util.List;
import java.util.Locale;
import java.util.Queue;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Drives one load test: virtual users (closed loop) or Poisson arrivals (open loop, capped), one
 * virtual thread per conversation, until the request budget or the duration runs out. Never runs
 * forever: every request ends within the request timeout, no request starts after the duration,
 * and the number of requests never exceeds the budget.
 */
public final class LoadRunner {
    private final LoadtestConfig cfg;
    private final OpenAiTarget target;
    private final PromptSource prompts;
    private final PrintWriter progress;

    private final Queue<RequestResult> results = new ConcurrentLinkedQueue<>();
    private final AtomicInteger budget;
    private final AtomicInteger sessions = new AtomicInteger();
    private final AtomicInteger inFlight = new AtomicInteger();
    private final Evictions evictions; // stateful-evict's eviction calls; null for the other scenarios
    private long startNanos, stopIssuingNanos;

    /**
     * What a run measured; {@code clientCpuSec} is this JVM's CPU time during the run (client and server may share cores);
     * {@code evictions}: what the eviction calls of {@link Scenario#STATEFUL_EVICT} did (null for the other scenarios).
     */
    public record Run(LoadtestConfig config, String model, Summary summary, List<RequestResult> requests, double clientCpuSec, int issued,
                      Evictions.Snapshot evictions) {}

    /** @param progress a line every few seconds while running; null for none */
    public LoadRunner(LoadtestConfig cfg, OpenAiTarget target, PromptSource prompts, PrintWriter progress) {
        if (cfg.model() == null) throw new IllegalArgumentException("the model must be resolved before the run");
        this.cfg = cfg;
        this.target = target;
        this.prompts = prompts;
        this.progress = progress;
        this.budget = new AtomicInteger(cfg.requests() != null ? cfg.requests() : Integer.MAX_VALUE);
        this.evictions = cfg.scenario() == Scenario.STATEFUL_EVICT ? new Evictions() : null;
    }

    public Run run() throws InterruptedException {
        var os = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        long cpu0 = os.getProcessCpuTime();
        startNanos = System.nanoTime();
        stopIssuingNanos = cfg.duration() != null ? startNanos + cfg.duration().toNanos() : Long.MAX_VALUE;
        Thread reporter = progress != null ? Thread.ofVirtual().start(this::report) : null;
        try (ExecutorService users = Executors.newVirtualThreadPerTaskExecutor()) {
            if (cfg.rate() == null) {
                for (int i = 0; i < cfg.concurrency(); i++) users.submit(this::closedLoopUser);
            } else {
                openLoop(users);
            }
        } // close() waits for every conversation: each is bounded by turns × request timeout
        long end = System.nanoTime();
        if (reporter != null) reporter.interrupt();
        double cpu = (os.getProcessCpuTime() - cpu0) / 1e9;
        List<RequestResult> all = List.copyOf(results);
        long last = all.stream().mapToLong(r -> r.startNanos() + r.e2eNanos()).max().orElse(end - startNanos);
        double duration = Math.max(1e-9, last / 1e9);
        return new Run(cfg, cfg.model(), Summary.of(all, duration, cfg.slo()), all, cpu, all.size(), evictions == null ? null : evictions.snapshot());
    }

    private void closedLoopUser() {
        while (true) {
            int turns = take();
            if (turns == 0) return;
            conversation(sessions.getAndIncrement(), turns);
        }
    }

    /** Poisson arrivals: exponential gaps with mean 1/rate; a semaphore caps conversations in flight. */
    private void openLoop(ExecutorService users) throws InterruptedException {
        Random arrivals = new Random(cfg.seed());
        Semaphore slots = new Semaphore(cfg.maxConcurrency());
        long next = startNanos;
        while (true) {
            long wait = next - System.nanoTime();
            if (wait > 0) TimeUnit.NANOSECONDS.sleep(wait);
            if (System.nanoTime() >= stopIssuingNanos) return;
            // A conversation waiting for a slot holds its turns; with the cap reached, arrivals wait here instead of piling up.
            slots.acquire();
            int turns = take();
            if (turns == 0) {
                slots.release();
                return;
            }
            int session = sessions.getAndIncrement();
            users.submit(() -> {
                try {
                    conversation(session, turns);
                } finally {
                    slots.release();
                }
            });
            next += (long) (-Math.log(1 - arrivals.nextDouble()) / cfg.rate() * 1e9);
        }
    }

    /** Reserves up to one conversation's turns from the request budget; 0 when the run is over. */
    private int take() {
        if (System.nanoTime() >= stopIssuingNanos) return 0;
        while (true) {
            int left = budget.get();
            if (left <= 0) return 0;
            int t = Math.min(cfg.turns(), left);
            if (budget.compareAndSet(left, left - t)) return t;
        }
    }

    private void conversation(int session, int turns) {
        try (Conversation c = Conversation.open(cfg.scenario(), target, cfg.model(), cfg.ignoreEos(), session, cfg.seed(),
                evictions == null ? null : cfg.adminKey(), evictions)) {
            for (int t = 0; t < turns; t++) {
                if (t > 0 && System.nanoTime() >= stopIssuingNanos) return;
                int[] len = cfg.lengths(session, t);
                inFlight.incrementAndGet();
                RequestResult r;
                try {
                    r = c.turn(t, prompts.message(session, t, len[0]), len[1], startNanos);
                } finally {
                    inFlight.decrementAndGet();
                }
                results.add(r);
                if (!r.success()) return; // the history is broken: later turns would not measure the same thing
            }
        }
    }

    private void report() {
        try {
            while (true) {
                Thread.sleep(5_000);
                long ok = results.stream().filter(RequestResult::success).count();
                progress.printf(Locale.ROOT, "loadtest: %.0f s, %d done, %d failed, %d in flight%n", (System.nanoTime() - startNanos) / 1e9, ok,
                        results.size() - ok, inFlight.get());
                progress.flush();
            }
        } catch (InterruptedException e) {
            // the run is over
        }
    }
}

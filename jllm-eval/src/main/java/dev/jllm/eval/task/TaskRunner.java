package dev.jllm.eval.task;

import dev.jllm.eval.metrics.MultipleChoice;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntConsumer;

/**
 * Runs a task's items on a target, one at a time, skipping those the log already holds: multiple
 * choice scores every choice's log-likelihood as a continuation of the prompt (target_delimiter +
 * choice, as lm-evaluation-harness does); generation samples an answer and extracts it. Each finished
 * item goes to the log at once, so an interruption loses at most the items in flight.
 */
public final class TaskRunner {
    private final TaskSpec spec;
    private final EvalTarget target;
    private final EvalTarget.Sampling sampling;
    private final AnswerExtractor extractor;

    /** @param sampling temperature and seed of the run; the task's max_tokens and stop override the rest */
    public TaskRunner(TaskSpec spec, EvalTarget target, double temperature, long seed) {
        this.spec = spec;
        this.target = target;
        this.sampling = new EvalTarget.Sampling(Math.max(1, spec.maxTokens()), temperature, seed, spec.stop());
        this.extractor = new AnswerExtractor(spec.extract(), spec.regex());
        if (spec.type() == TaskSpec.Type.MULTIPLE_CHOICE && !target.scoresLogLikelihood()) {
            throw new IllegalArgumentException(spec.file() + ": type multiple_choice tasks need per-token log-probabilities, which this"
                    + " target cannot give: run them on a local model with -m MODEL.gguf, or a server with /v1/completions echo + logprobs");
        }
        if (spec.type() == TaskSpec.Type.PERPLEXITY && !target.scoresPerplexity()) {
            throw new IllegalArgumentException(spec.file() + ": " + UrlTarget.unsupported("type perplexity tasks"));
        }
    }

    public EvalTarget.Sampling sampling() {
        return sampling;
    }

    /**
     * @param progress called with the number of items finished in this call (after each one)
     * @return every item's result, in the items' order (earlier runs' results included)
     */
    public List<ItemResult> run(List<Prepared> items, ItemLog log, IntConsumer progress) throws IOException {
        return run(items, log, progress, 1);
    }

    /**
     * With {@code concurrency} requests in flight (a server batches them; a local model is one sequence
     * at a time, so its callers pass 1). Items finish in any order; the log keys them by id. After a
     * failure no new item starts, the ones in flight finish and are kept, and the first error is thrown.
     */
    public List<ItemResult> run(List<Prepared> items, ItemLog log, IntConsumer progress, int concurrency) throws IOException {
        if (concurrency < 1) throw new IllegalArgumentException("--concurrency must be >= 1, got " + concurrency);
        Map<String, ItemResult> before = log.done();
        List<Prepared> todo = items.stream().filter(p -> !before.containsKey(p.item().id())).toList();
        AtomicInteger next = new AtomicInteger(), finished = new AtomicInteger();
        AtomicBoolean failed = new AtomicBoolean();
        Callable<Void> worker = () -> {
            int i;
            while (!failed.get() && (i = next.getAndIncrement()) < todo.size()) {
                if (Thread.currentThread().isInterrupted()) throw new IOException("interrupted; rerun the same command to resume");
                Prepared p = todo.get(i);
                try {
                    ItemResult r;
                    try {
                        r = spec.type() == TaskSpec.Type.MULTIPLE_CHOICE ? choose(p) : generate(p);
                    } catch (EvalTarget.RefusedException e) {
                        r = refused(p, e.getMessage());
                    }
                    log.append(r);
                } catch (IOException | RuntimeException e) {
                    failed.set(true);
                    throw e;
                }
                progress.accept(finished.incrementAndGet());
            }
            return null;
        };
        if (concurrency == 1) {
            call(worker);
        } else {
            List<Future<Void>> workers = new ArrayList<>();
            try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
                for (int w = 0; w < Math.min(concurrency, Math.max(1, todo.size())); w++) workers.add(pool.submit(worker));
            }
            for (Future<Void> f : workers) {
                try {
                    f.get();
                } catch (ExecutionException e) {
                    if (e.getCause() instanceof IOException io) throw io;
                    if (e.getCause() instanceof RuntimeException re) throw re;
                    throw new IOException(e.getCause());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IOException("interrupted; rerun the same command to resume");
                }
            }
        }
        Map<String, ItemResult> done = log.done();
        List<ItemResult> out = new ArrayList<>();
        for (Prepared p : items) out.add(done.get(p.item().id()));
        return out;
    }

    private static void call(Callable<Void> c) throws IOException {
        try {
            c.call();
        } catch (IOException | RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IOException(e);
        }
    }

    private ItemResult choose(Prepared p) throws IOException {
        long t0 = System.nanoTime();
        int k = p.choices().size();
        double[] ll = new double[k];
        int[] tokens = new int[k];
        int truncated = 0;
        for (int i = 0; i < k; i++) {
            EvalTarget.Continuation c = target.logLikelihood(p.prompt(), spec.targetDelimiter() + p.choices().get(i));
            ll[i] = c.logLikelihood();
            tokens[i] = c.tokens();
            truncated = Math.max(truncated, c.truncated());
        }
        String chosen = p.choices().get(MultipleChoice.score(ll, p.choices(), p.gold()).pred());
        return new ItemResult(p.item().id(), p.item().category(), p.prompt(), chosen, chosen, List.of(), p.choices(), p.gold(), ll, tokens,
                truncated, (System.nanoTime() - t0) / 1e9, null);
    }

    private ItemResult generate(Prepared p) throws IOException {
        long t0 = System.nanoTime();
        String out = target.generate(p.prompt(), sampling);
        return new ItemResult(p.item().id(), p.item().category(), p.prompt(), out, extractor.extract(out), p.references(), List.of(), -1,
                new double[0], new int[0], 0, (System.nanoTime() - t0) / 1e9, null);
    }

    /** An item the target refused: no output, no choice (multiple choice: no log-likelihoods), scored wrong. */
    private ItemResult refused(Prepared p, String why) {
        boolean mc = spec.type() == TaskSpec.Type.MULTIPLE_CHOICE;
        return new ItemResult(p.item().id(), p.item().category(), p.prompt(), "", "", mc ? List.of() : p.references(), mc ? p.choices() : List.of(),
                mc ? p.gold() : -1, new double[0], new int[0], 0, 0, why);
    }
}

package dev.jllm.eval.task;

import dev.jllm.eval.metrics.MultipleChoice;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntConsumer;

/**
 * Runs a task's items on a target, one at a time, skipping those the log already holds: multiple
 * choice scores every choice's log-likelihood as a continuation of the prompt (target_delimiter +
 * choice, as lm-evaluation-harness does); generation samples an answer and extracts it. Each finished
 * item goes to the log at once, so an interruption loses at most one item.
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
        if (spec.type() != TaskSpec.Type.GENERATE && !target.scoresLogLikelihood()) {
            throw new IllegalArgumentException(spec.file() + ": " + UrlTarget.unsupported("type " + spec.type().wire() + " tasks"));
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
        int n = 0;
        for (Prepared p : items) {
            if (log.done().containsKey(p.item().id())) continue;
            if (Thread.currentThread().isInterrupted()) throw new IOException("interrupted; rerun the same command to resume");
            log.append(spec.type() == TaskSpec.Type.MULTIPLE_CHOICE ? choose(p) : generate(p));
            progress.accept(++n);
        }
        List<ItemResult> out = new ArrayList<>();
        for (Prepared p : items) out.add(log.done().get(p.item().id()));
        return out;
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
                truncated, (System.nanoTime() - t0) / 1e9);
    }

    private ItemResult generate(Prepared p) throws IOException {
        long t0 = System.nanoTime();
        String out = target.generate(p.prompt(), sampling);
        return new ItemResult(p.item().id(), p.item().category(), p.prompt(), out, extractor.extract(out), p.references(), List.of(), -1,
                new double[0], new int[0], 0, (System.nanoTime() - t0) / 1e9);
    }
}

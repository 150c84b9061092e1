package dev.jllm.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jllm.engine.LoadedModel;
import dev.jllm.eval.metrics.LengthCompliance;
import dev.jllm.eval.task.EvalTarget;
import dev.jllm.eval.task.ItemLog;
import dev.jllm.eval.task.ItemResult;
import dev.jllm.eval.task.Prepared;
import dev.jllm.eval.task.RunInfo;
import dev.jllm.eval.task.RunOutput;
import dev.jllm.eval.task.RunReport;
import dev.jllm.eval.task.TaskData;
import dev.jllm.eval.task.TaskItem;
import dev.jllm.eval.task.TaskPrompts;
import dev.jllm.eval.task.TaskRunner;
import dev.jllm.eval.task.TaskScores;
import dev.jllm.eval.task.TaskSpec;
import dev.jllm.eval.task.TaskSpecReader;
import dev.jllm.eval.task.UrlTarget;
import java.io.PrintWriter;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code jllm eval run}: a task (YAML + items) on a local model or an OpenAI-compatible URL, every metric with its CI. */
@Command(name = "run", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Run a task on a model: multiple choice by log-likelihood (acc, acc_norm), generation scored by exact/F1/BLEU/chrF/",
            "ROUGE/length, or perplexity; every metric with its percentile bootstrap CI, per category when the task has them.",
            "Writes DIR/results.json, DIR/scores.jsonl (for jllm eval compare), DIR/report.html with PNGs; rerun to resume."})
final class EvalRunCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(names = "--task", required = true, paramLabel = "TASK.yaml", description = "the task file (see docs/EVALUATION.md)") Path task;

    @ArgGroup(exclusive = true, multiplicity = "1") Target target;

    static final class Target {
        @Option(names = {"-m", "--model"}, paramLabel = "MODEL.gguf", description = "a local model, run by jllm's engine") Path model;
        @Option(names = "--url", paramLabel = "URL", description = "an OpenAI-compatible server (chat completions; generation tasks only)") URI url;
    }

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "output folder; an unfinished run in it resumes") Path out;
    @Option(names = "--lora", paramLabel = "ADAPTER.gguf", description = "local: a LoRA adapter merged into the weights; repeatable") List<Path> lora = new ArrayList<>();
    @Option(names = "--lora-scale", defaultValue = "1", description = "local: adapter strength (default ${DEFAULT-VALUE})") float loraScale;
    @Option(names = "--tokenizer", description = "local: tokenizer for a llama2.c checkpoint") Path tokenizer;
    @Option(names = "--chat", description = "local: send each prompt through the model's chat template as one user message (URL targets always do)") boolean chat;
    @Option(names = "--model-name", description = "URL: the model id to send (default: the first of /v1/models)") String modelName;
    @Option(names = "--api-key", description = "URL: bearer token") String apiKey;
    @Option(names = "--timeout", defaultValue = "300", description = "URL: seconds per request (default ${DEFAULT-VALUE})") int timeout;
    @Option(names = "--concurrency", defaultValue = "1", description = "URL: requests in flight (default ${DEFAULT-VALUE}; a local model runs one at a time)") int concurrency;
    @Option(names = "--temp", defaultValue = "0", description = "generation temperature; 0 = greedy (default ${DEFAULT-VALUE})") double temp;
    @Option(names = "--sample-seed", defaultValue = "0", description = "generation seed (default ${DEFAULT-VALUE})") long sampleSeed;
    @Option(names = "--limit", description = "only the first N items") Integer limit;
    @Option(names = {"-t", "--threads"}, description = "local: threads (default: all cores)") Integer threads;
    @Option(names = "--cache-type", paramLabel = "f16|f32", defaultValue = "f16",
            description = "KV cache element type (default: ${DEFAULT-VALUE})") String cacheType;
    @Mixin EvalOptions options;

    @Override
    public Integer call() throws Exception {
        TaskSpec ts = TaskSpecReader.read(task);
        if (limit != null && limit < 1) throw new IllegalArgumentException("--limit must be >= 1, got " + limit);
        // an option that would not apply to this target or task is an error, not silently ignored
        if (target.url != null) refuse("a --url target (the server applies its own)", "--lora", "--lora-scale", "--chat", "--tokenizer", "--threads", "--cache-type");
        else refuse("a local model (-m)", "--model-name", "--api-key", "--timeout", "--concurrency");
        if (ts.type() != TaskSpec.Type.GENERATE) refuse("type " + ts.type().wire() + " tasks (no sampling)", "--temp", "--sample-seed", "--chat");
        if (ts.type() == TaskSpec.Type.PERPLEXITY) refuse("type perplexity tasks (no items)", "--limit");
        if (concurrency < 1) throw new IllegalArgumentException("--concurrency must be >= 1, got " + concurrency);
        if (target.url != null && ts.type() == TaskSpec.Type.PERPLEXITY) {
            throw new IllegalArgumentException(task + ": " + UrlTarget.unsupported("type " + ts.type().wire() + " tasks"));
        }
        // the items are read and every prompt built before the model is loaded: a bad file fails at once
        List<Prepared> items = new ArrayList<>();
        if (ts.type() != TaskSpec.Type.PERPLEXITY) {
            List<TaskItem> all = TaskData.items(ts);
            if (limit != null && limit < all.size()) all = all.subList(0, limit);
            TaskPrompts prompts = new TaskPrompts(ts, TaskData.dev(ts));
            for (TaskItem it : all) items.add(prompts.prepare(it));
        } else if (!Files.isRegularFile(ts.text())) {
            throw new IllegalArgumentException(task + ": text: " + ts.text() + ": no such file");
        }
        PrintWriter o = spec.commandLine().getOut(), err = spec.commandLine().getErr();
        int th = threads != null ? threads : Runtime.getRuntime().availableProcessors();
        try (EvalTarget t = target.model != null
                ? new LocalEvalTarget(target.model, tokenizer, lora, loraScale, th, LoadedModel.cacheType(cacheType), chat)
                : new UrlTarget(target.url, apiKey, modelName, Duration.ofSeconds(timeout))) {
            RunInfo info;
            TaskScores scores;
            List<ItemResult> results;
            if (ts.type() == TaskSpec.Type.PERPLEXITY) {
                EvalTarget.Sampling none = new EvalTarget.Sampling(1, 0, 0, List.of());
                info = info(t, none);
                Files.createDirectories(out);
                err.printf("perplexity of %s on %s (ctx %d)%n", ts.text(), t.label(), ts.ctx());
                EvalTarget.Perplexity p = t.perplexity(EvalFiles.text(ts.text()), ts.ctx());
                scores = TaskScores.perplexity(p, options.bootstrap());
                results = List.of();
            } else {
                TaskRunner runner = new TaskRunner(ts, t, temp, sampleSeed);
                info = info(t, runner.sampling());
                try (ItemLog log = ItemLog.open(out, RunOutput.identity(ts, t.describe(), runner.sampling()))) {
                    var finished = log.done();
                    long done = items.stream().filter(p -> finished.containsKey(p.item().id())).count();
                    err.printf("task %s (%s, %d items, %d-shot) on %s%n", ts.name(), ts.type().wire(), items.size(), ts.fewshot(), t.label());
                    if (done > 0) err.printf("resuming: %d of %d items already scored in %s%n", done, items.size(), out);
                    try (Progress bar = new Progress(err, ts.name(), items.size() - done, false)) {
                        results = runner.run(items, log, n -> bar.add(1), concurrency);
                    }
                }
                scores = TaskScores.of(ts, results, options.bootstrap());
            }
            var json = RunOutput.write(out, ts, info, scores, results);
            RunReport.write(out, ts, info, scores, results);
            if (options.json) {
                o.println(new ObjectMapper().writerWithDefaultPrettyPrinter().writeValueAsString(json.get("summary")));
            } else {
                print(o, ts, t, scores, results.size());
            }
            if (results != null) {
                List<ItemResult> refused = results.stream().filter(r -> r.error() != null).toList();
                if (!refused.isEmpty()) {
                    err.printf("%d of %d items were refused by the target and scored wrong (\"error\" in %s), e.g. %s: %s%n", refused.size(),
                            results.size(), out.resolve("results.json"), refused.getFirst().id(), refused.getFirst().error());
                }
            }
        }
        return 0;
    }

    private void refuse(String what, String... options) {
        var parsed = spec.commandLine().getParseResult();
        for (String o : options) {
            if (parsed.hasMatchedOption(o)) throw new IllegalArgumentException(o + " does not apply to " + what);
        }
    }

    private RunInfo info(EvalTarget t, EvalTarget.Sampling s) {
        return new RunInfo(t.describe(), s, Instant.now().truncatedTo(ChronoUnit.SECONDS).toString(), new Main.Version().getVersion()[0].replaceFirst("^jllm ", ""),
                options.bootstrap());
    }

    private void print(PrintWriter o, TaskSpec ts, EvalTarget t, TaskScores scores, int n) {
        o.printf("%s on %s: %s; %s%n", ts.name(), t.label(), ts.type() == TaskSpec.Type.PERPLEXITY
                ? scores.metrics().getFirst().items() + " chunks of " + ts.ctx() + " tokens" : n + " items, " + ts.fewshot() + "-shot", options.describe());
        int w = scores.metrics().stream().mapToInt(m -> m.name().length()).max().orElse(4);
        for (TaskScores.Metric m : scores.metrics()) {
            o.printf(Locale.ROOT, "  %-" + w + "s  %s   %s%n", m.name(), m.format(), m.description());
        }
        LengthCompliance lc = scores.length();
        if (lc != null) {
            o.printf(Locale.ROOT, "  lengths: %d of %d within %d code points; min %d, median %.1f, mean %.1f, p90 %.1f, max %d%n", lc.within(),
                    lc.total(), lc.limit(), lc.min(), lc.median(), lc.mean(), lc.p90(), lc.max());
        }
        if (!scores.categories().isEmpty()) {
            String first = scores.metrics().getFirst().name();
            int cw = scores.categories().keySet().stream().mapToInt(String::length).max().orElse(8);
            o.printf("per category (%s):%n", first);
            for (Map.Entry<String, List<TaskScores.Metric>> e : scores.categories().entrySet()) {
                TaskScores.Metric m = e.getValue().getFirst();
                o.printf(Locale.ROOT, "  %-" + cw + "s  %s   %d items%n", e.getKey(), m.format(), m.items());
            }
        }
        o.printf("wrote %s (results.json%s, report.html)%n", out, scores.perItemMetric() != null ? ", scores.jsonl: " + scores.perItemMetric() : "");
    }
}

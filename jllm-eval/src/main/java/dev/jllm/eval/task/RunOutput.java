package dev.jllm.eval.task;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.jllm.eval.metrics.Interval;
import dev.jllm.eval.metrics.LengthCompliance;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Map;

/**
 * The files of a finished run: results.json (the summary, every metric with its CI, per category,
 * and every item with prompt, output and scores) and scores.jsonl ({@code {"id", "score"}} per item
 * in the task's first per-item metric, on a 0-1 scale: what {@code jllm eval compare} reads). Written to a temporary
 * name and moved, so a reader never sees half a file.
 */
public final class RunOutput {
    private RunOutput() {}

    private static final ObjectMapper JSON = new ObjectMapper();

    /** The identity of a run: a resumed run must match it (see {@link ItemLog}). */
    public static JsonNode identity(TaskSpec spec, Map<String, Object> target, EvalTarget.Sampling sampling) {
        ObjectNode o = JSON.createObjectNode();
        o.put("task", spec.name()).put("type", spec.type().wire()).put("task_file", spec.file().toAbsolutePath().normalize().toString());
        if (spec.data() != null) o.put("data", spec.data().toAbsolutePath().normalize().toString());
        o.put("fewshot", spec.fewshot());
        o.set("target", JSON.valueToTree(new java.util.TreeMap<>(target)));
        o.set("sampling", sampling(sampling));
        return o;
    }

    private static ObjectNode sampling(EvalTarget.Sampling s) {
        ObjectNode o = JSON.createObjectNode().put("temperature", s.temperature()).put("seed", s.seed()).put("max_tokens", s.maxTokens());
        ArrayNode stop = o.putArray("stop");
        s.stop().forEach(stop::add);
        return o;
    }

    public static JsonNode write(Path dir, TaskSpec spec, RunInfo info, TaskScores scores, List<ItemResult> items) throws IOException {
        ObjectNode root = JSON.createObjectNode();
        ObjectNode summary = root.putObject("summary");
        summary.put("task", spec.name()).put("type", spec.type().wire()).put("task_file", spec.file().toString());
        if (spec.data() != null) summary.put("data", spec.data().toString());
        if (spec.text() != null) summary.put("text", spec.text().toString());
        summary.put("fewshot", spec.fewshot()).put("lang", spec.lang().name().toLowerCase(java.util.Locale.ROOT));
        summary.set("target", JSON.valueToTree(info.target()));
        if (spec.type() == TaskSpec.Type.GENERATE) summary.set("sampling", sampling(info.sampling()));
        else summary.putNull("sampling"); // log-likelihood and perplexity sample nothing
        summary.put("date", info.date()).put("jllm_version", info.jllmVersion());
        summary.putObject("bootstrap").put("resamples", info.bootstrap().resamples()).put("seed", info.bootstrap().seed())
                .put("confidence", info.bootstrap().confidence()).put("method", "percentile");
        summary.put("items", items.size()).put("refused", items.stream().filter(r -> r.error() != null).count());
        ObjectNode metrics = summary.putObject("metrics");
        for (TaskScores.Metric m : scores.metrics()) metric(metrics.putObject(m.name()), m);
        if (!scores.categories().isEmpty()) {
            ObjectNode cats = summary.putObject("categories");
            scores.categories().forEach((c, ms) -> {
                ObjectNode co = cats.putObject(c).put("items", ms.getFirst().items());
                for (TaskScores.Metric m : ms) metric(co.putObject(m.name()), m);
            });
        }
        LengthCompliance lc = scores.length();
        if (lc != null) {
            summary.putObject("length").put("limit", lc.limit()).put("within", lc.within()).put("total", lc.total()).put("fraction", lc.fraction())
                    .put("min", lc.min()).put("median", lc.median()).put("mean", lc.mean()).put("p90", lc.p90()).put("max", lc.max());
        }
        ArrayNode arr = root.putArray("items");
        for (int i = 0; i < items.size(); i++) {
            ObjectNode o = items.get(i).toJson(JSON);
            ObjectNode sc = o.putObject("scores");
            for (Map.Entry<String, double[]> e : scores.itemScores().entrySet()) sc.put(e.getKey(), e.getValue()[i]);
            arr.add(o);
        }
        atomically(dir.resolve("results.json"), JSON.writerWithDefaultPrettyPrinter().writeValueAsString(root) + "\n");
        String m = scores.perItemMetric();
        if (m != null) {
            StringBuilder sb = new StringBuilder();
            double[] x = scores.itemScores().get(m);
            // on a 0-1 scale: exact match becomes 0/1, so jllm eval compare can run McNemar's test on it
            double scale = TaskScores.decimals(m) == 2 ? 100 : 1;
            for (int i = 0; i < items.size(); i++) {
                sb.append(JSON.writeValueAsString(JSON.createObjectNode().put("id", items.get(i).id()).put("score", x[i] / scale).put("metric", m)))
                        .append('\n');
            }
            atomically(dir.resolve("scores.jsonl"), sb.toString());
        }
        return root;
    }

    private static void metric(ObjectNode o, TaskScores.Metric m) {
        Interval i = m.interval();
        o.put("value", i.value()).put("lo", i.lo()).put("hi", i.hi()).put("half_width", i.halfWidth()).put("confidence", i.confidence())
                .put("definition", m.description());
    }

    static void atomically(Path file, String text) throws IOException {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.writeString(tmp, text);
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }
}

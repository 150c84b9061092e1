package dev.jllm.eval;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The result as JSON with vLLM benchmark_serving's key names ({@code completed},
 * {@code output_throughput}, {@code mean_ttft_ms}, {@code p99_ttft_ms}, per-request
 * {@code ttfts}/{@code itls} in seconds...), so existing tooling reads it; jllm's additions
 * ({@code label}, {@code scenario}, {@code per_turn}, {@code kv_evictions}, {@code error_kinds}, {@code client_cpu_s}...) use new names.
 */
public final class ResultJson {
    private ResultJson() {}

    public static Map<String, Object> of(LoadRunner.Run run) {
        LoadtestConfig c = run.config();
        Summary s = run.summary();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("date", OffsetDateTime.now(ZoneOffset.UTC).format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")));
        m.put("backend", c.scenario().stateful() ? "openai-responses" : "openai-chat");
        m.put("model_id", run.model());
        m.put("base_url", c.url().toString());
        m.put("num_prompts", run.issued());
        m.put("request_rate", c.rate() != null ? (Object) c.rate() : "inf");
        m.put("max_concurrency", c.concurrency());
        m.put("duration", s.durationSec());
        m.put("completed", s.completed());
        m.put("failed", s.failed());
        m.put("total_input_tokens", s.totalInputTokens());
        m.put("total_output_tokens", s.totalOutputTokens());
        m.put("request_throughput", s.requestThroughput());
        m.put("request_goodput", s.goodput()); // vLLM's name
        m.put("goodput", s.goodput());
        m.put("output_throughput", s.outputThroughput());
        m.put("total_token_throughput", s.totalTokenThroughput());
        metric(m, "ttft", s.ttft());
        metric(m, "tpot", s.tpot());
        metric(m, "itl", s.itl());
        metric(m, "e2el", s.e2el());
        List<Integer> inLens = new ArrayList<>(), outLens = new ArrayList<>();
        List<Double> ttfts = new ArrayList<>();
        List<List<Double>> itls = new ArrayList<>();
        List<String> errors = new ArrayList<>();
        for (RequestResult r : run.requests()) {
            inLens.add(r.promptTokens());
            outLens.add(r.outputTokens());
            ttfts.add(r.ttftNanos() / 1e9);
            List<Double> gaps = new ArrayList<>(r.itlNanos().length);
            for (long g : r.itlNanos()) gaps.add(g / 1e9);
            itls.add(gaps);
            errors.add(r.success() ? "" : r.error());
        }
        m.put("input_lens", inLens);
        m.put("output_lens", outLens);
        m.put("ttfts", ttfts);
        m.put("itls", itls);
        m.put("errors", errors);
        // jllm's additions
        m.put("label", c.name());
        m.put("scenario", c.scenario().wire());
        m.put("turns", c.turns());
        m.put("seed", c.seed());
        m.put("prompt_tokens", c.promptTokens());
        m.put("max_tokens", c.maxTokens());
        m.put("range_ratio", c.rangeRatio());
        m.put("ignore_eos", c.ignoreEos());
        m.put("slo_ttft_ms", c.slo().ttftMs());
        m.put("slo_tpot_ms", c.slo().tpotMs());
        m.put("total_cached_tokens", s.totalCachedTokens());
        m.put("client_cpu_s", run.clientCpuSec());
        m.put("error_kinds", s.errors());
        m.put("error_samples", s.errorSamples());
        List<Map<String, Object>> turns = new ArrayList<>();
        for (Summary.TurnStats t : s.perTurn()) {
            Map<String, Object> tm = new LinkedHashMap<>();
            tm.put("turn", t.turn());
            tm.put("completed", t.completed());
            tm.put("mean_prompt_tokens", t.meanPromptTokens());
            tm.put("mean_cached_tokens", t.meanCachedTokens());
            metric(tm, "ttft", t.ttft());
            turns.add(tm);
        }
        m.put("per_turn", turns);
        if (run.evictions() != null) {
            Evictions.Snapshot e = run.evictions();
            Map<String, Object> em = new LinkedHashMap<>();
            em.put("calls", e.calls());
            em.put("evicted", e.evicted());
            em.put("spilled", e.spilled());
            em.put("tokens", e.tokens());
            em.put("mean_call_ms", e.meanMs());
            em.put("server_disk_tier", e.disk());
            m.put("kv_evictions", em);
        }
        return m;
    }

    private static void metric(Map<String, Object> m, String name, Distribution d) {
        m.put("mean_" + name + "_ms", d.mean());
        m.put("median_" + name + "_ms", d.median());
        m.put("std_" + name + "_ms", d.std());
        m.put("p90_" + name + "_ms", d.p90());
        m.put("p99_" + name + "_ms", d.p99());
    }

    /** One run: vLLM's flat object. Several (scenarios compared): an object keyed by run name (label, else scenario). */
    public static void write(List<LoadRunner.Run> runs, Path file) throws IOException {
        Object doc;
        if (runs.size() == 1) {
            doc = of(runs.getFirst());
        } else {
            Map<String, Object> byName = new LinkedHashMap<>();
            for (LoadRunner.Run r : runs) byName.put(r.config().name(), of(r));
            doc = byName;
        }
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null) Files.createDirectories(parent);
        OpenAiTarget.JSON.writerWithDefaultPrettyPrinter().writeValue(file.toFile(), doc);
    }

    /**
     * A run's per-turn table read back from a file {@link #write} wrote: its name (label, else scenario)
     * and one row per turn, the columns of {@code per_turn} ({@code turn}, {@code completed},
     * {@code mean_prompt_tokens}, {@code mean_cached_tokens}, {@code mean_ttft_ms}, {@code p90_ttft_ms}, …).
     */
    public record PerTurn(String name, List<String> columns, List<double[]> rows) {}

    /** Every run in a {@link #write} file (one, or several keyed by name), as per-turn tables; bad files are named with what is wrong. */
    public static List<PerTurn> readPerTurn(Path file) throws IOException {
        if (!Files.isRegularFile(file)) throw new IllegalArgumentException(file + ": no such file");
        com.fasterxml.jackson.databind.JsonNode doc;
        try {
            doc = OpenAiTarget.JSON.readTree(file.toFile());
        } catch (IOException e) {
            throw new IllegalArgumentException(file + " is not JSON: " + e.getMessage().lines().findFirst().orElse(""));
        }
        if (doc == null || !doc.isObject()) throw new IllegalArgumentException(file + " is not a jllm loadtest --json result (not an object)");
        List<PerTurn> out = new ArrayList<>();
        if (doc.has("per_turn")) {
            out.add(perTurn(file, null, doc));
        } else {
            for (var it = doc.fields(); it.hasNext(); ) {
                var e = it.next();
                if (!e.getValue().isObject() || !e.getValue().has("per_turn")) {
                    throw new IllegalArgumentException(file + " is not a jllm loadtest --json result: '" + e.getKey() + "' has no per_turn table");
                }
                out.add(perTurn(file, e.getKey(), e.getValue()));
            }
        }
        if (out.isEmpty()) throw new IllegalArgumentException(file + " is not a jllm loadtest --json result: it holds no run");
        return out;
    }

    private static PerTurn perTurn(Path file, String key, com.fasterxml.jackson.databind.JsonNode run) {
        String name = run.path("label").isTextual() ? run.get("label").asText() : run.path("scenario").isTextual() ? run.get("scenario").asText() : key;
        if (name == null) name = file.getFileName().toString();
        com.fasterxml.jackson.databind.JsonNode turns = run.get("per_turn");
        if (!turns.isArray() || turns.isEmpty()) throw new IllegalArgumentException(file + ": run '" + name + "' has an empty per_turn table (no turn succeeded)");
        List<String> columns = new ArrayList<>();
        turns.get(0).fieldNames().forEachRemaining(columns::add);
        List<double[]> rows = new ArrayList<>();
        for (com.fasterxml.jackson.databind.JsonNode t : turns) {
            double[] r = new double[columns.size()];
            for (int c = 0; c < r.length; c++) {
                com.fasterxml.jackson.databind.JsonNode v = t.get(columns.get(c));
                if (v == null || !v.isNumber()) {
                    throw new IllegalArgumentException(file + ": run '" + name + "', turn " + (rows.size() + 1) + ": '" + columns.get(c) + "' is not a number");
                }
                r[c] = v.asDouble();
            }
            rows.add(r);
        }
        return new PerTurn(name, columns, rows);
    }
}

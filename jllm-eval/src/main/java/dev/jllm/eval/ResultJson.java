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
 * ({@code scenario}, {@code per_turn}, {@code error_kinds}, {@code client_cpu_s}...) use new names.
 */
public final class ResultJson {
    private ResultJson() {}

    public static Map<String, Object> of(LoadRunner.Run run) {
        LoadtestConfig c = run.config();
        Summary s = run.summary();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("date", OffsetDateTime.now(ZoneOffset.UTC).format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")));
        m.put("backend", c.scenario() == Scenario.STATEFUL ? "openai-responses" : "openai-chat");
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
        return m;
    }

    private static void metric(Map<String, Object> m, String name, Distribution d) {
        m.put("mean_" + name + "_ms", d.mean());
        m.put("median_" + name + "_ms", d.median());
        m.put("std_" + name + "_ms", d.std());
        m.put("p90_" + name + "_ms", d.p90());
        m.put("p99_" + name + "_ms", d.p99());
    }

    /** One run: vLLM's flat object. Several (scenarios compared): an object keyed by scenario. */
    public static void write(List<LoadRunner.Run> runs, Path file) throws IOException {
        Object doc;
        if (runs.size() == 1) {
            doc = of(runs.getFirst());
        } else {
            Map<String, Object> byScenario = new LinkedHashMap<>();
            for (LoadRunner.Run r : runs) byScenario.put(r.config().scenario().wire(), of(r));
            doc = byScenario;
        }
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null) Files.createDirectories(parent);
        OpenAiTarget.JSON.writerWithDefaultPrettyPrinter().writeValue(file.toFile(), doc);
    }
}

package dev.jllm.server;

import dev.jllm.engine.EngineBusyException;
import dev.jllm.engine.Generation;
import dev.jllm.engine.GenerationEvent;
import dev.jllm.engine.GenerationRequest;
import dev.jllm.engine.Scheduler;
import dev.jllm.server.http.ApiKeys;
import dev.jllm.server.metrics.PrometheusMetrics;
import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import dev.jllm.model.SamplingParams;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** {@code GET /metrics} after a known workload: names, labels, and counts that match the responses' usage. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class MetricsTest {
    @TempDir Path dir;

    /** The value of one series, e.g. {@code jllm_generation_tokens_total{model="stories260K"}}; fails if absent. */
    static double value(String scrape, String name, String labels) {
        Matcher m = Pattern.compile("^" + Pattern.quote(name + "{" + labels + "}") + " (\\S+)$", Pattern.MULTILINE).matcher(scrape);
        assertTrue(m.find(), "no series " + name + "{" + labels + "} in:\n" + scrape);
        return Double.parseDouble(m.group(1));
    }

    @Test
    void countsMatchAKnownWorkload() throws Exception {
        try (ServerFixture s = new ServerFixture(dir, ApiKeys.disabled(), 4, 1 << 20)) {
            String before = s.get("/metrics", null).body();
            String m = "model=\"stories260K\"";
            assertEquals(0, value(before, "jllm_generation_tokens_total", m));
            int prompt = 0, cached = 0;
            // the same conversation twice (the second reuses the first's KV), and one more
            List<String> bodies = List.of("Once upon a time", "Once upon a time", "The cat sat");
            for (String p : bodies) {
                HttpResponse<String> r = s.post("/v1/chat/completions", "{\"model\":\"stories260K\",\"temperature\":0,\"max_tokens\":5,"
                        + "\"ignore_eos\":true,\"messages\":[{\"role\":\"user\",\"content\":\"" + p + "\"}]}", null);
                assertEquals(200, r.statusCode(), r.body());
                JsonNode u = ServerFixture.json(r).get("usage");
                assertEquals(5, u.get("completion_tokens").asInt());
                prompt += u.get("prompt_tokens").asInt();
                cached += u.get("prompt_tokens_details").get("cached_tokens").asInt();
            }
            assertTrue(cached > 0, "the repeated prompt was served from the cache");
            HttpResponse<String> r = s.get("/metrics", null);
            assertEquals(200, r.statusCode());
            assertTrue(r.headers().firstValue("Content-Type").orElse("").startsWith("text/plain; version=0.0.4"));
            String t = r.body();
            System.out.println("metrics sample:\n" + t.lines().filter(l -> l.startsWith("jllm_") && !l.contains("_bucket"))
                    .reduce((a, b) -> a + "\n" + b).orElse(""));
            assertEquals(15, value(t, "jllm_generation_tokens_total", m));
            assertEquals(prompt, value(t, "jllm_prompt_tokens_total", m));
            assertEquals(cached, value(t, "jllm_cached_prompt_tokens_total", m));
            for (String h : List.of("jllm_time_to_first_token_seconds", "jllm_e2e_request_latency_seconds", "jllm_request_queue_time_seconds",
                    "jllm_time_per_output_token_seconds")) {
                assertEquals(3, value(t, h + "_count", m), h);
                assertTrue(value(t, h + "_sum", m) > 0, h);
                assertEquals(3, value(t, h + "_bucket", m + ",le=\"+Inf\""), h); // a real histogram
                assertTrue(t.contains("# TYPE " + h + " histogram"), h);
            }
            assertEquals(3 * 4, value(t, "jllm_inter_token_latency_seconds_count", m), "4 gaps between 5 tokens, 3 requests");
            assertEquals(3, value(t, "jllm_requests_finished_total", "finish_reason=\"length\"," + m));
            assertEquals(0, value(t, "jllm_num_requests_running", m));
            assertEquals(0, value(t, "jllm_num_requests_waiting", m));
            assertTrue(value(t, "jllm_kv_cache_blocks_used", m) > 0, "idle conversations keep their blocks");
            assertTrue(value(t, "jllm_kv_cache_blocks_capacity", m) >= value(t, "jllm_kv_cache_blocks_used", m));
            assertEquals(0, value(t, "jllm_requests_rejected_total", "model=\"stories260K\",reason=\"queue_full\""));
            assertEquals(0, value(t, "jllm_requests_cancelled_total", m));
        }
    }

    @Test
    void rejectionsAndCancellationsAreCounted() throws Exception {
        try (TestModel tm = new TestModel()) {
            PrometheusMetrics pm = new PrometheusMetrics("tiny");
            SamplingParams sp = new SamplingParams(0f, 0, 1f, 0f, 1f, 0f, 0f, 64, Map.of(), 0, 120, List.of(), true);
            try (Scheduler s = new Scheduler(tm.weights, tm.matmul, tm.tokenizer, 32, new Scheduler.Limits(1, 0, 64, 0), pm)) {
                pm.bind(s);
                int[] p = tm.tokenizer.encode("Once upon a time", true, false);
                Generation g = s.submit(new GenerationRequest(p, sp, null));
                assertThrows(EngineBusyException.class, () -> s.submit(new GenerationRequest(p, sp, null)));
                g.cancel();
                assertInstanceOf(GenerationEvent.Failed.class, TestModel.collect(g).terminal());
            }
            String t = pm.scrape();
            assertEquals(1, value(t, "jllm_requests_rejected_total", "model=\"tiny\",reason=\"queue_full\""));
            assertEquals(1, value(t, "jllm_requests_cancelled_total", "model=\"tiny\""));
        }
    }
}

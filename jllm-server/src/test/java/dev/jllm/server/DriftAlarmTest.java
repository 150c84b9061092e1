package dev.jllm.server;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.jllm.server.http.ApiKeys;
import dev.jllm.server.store.ConversationStore;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The drift alarm in a running server: synthetic answers of the last 30 hours in its store (a version
 * whose answers got 40% shorter 10 hours ago, another that stayed the same), then /metrics carries the
 * alarm labelled by model and version, the log says it once, and the example alerting rules only use
 * metrics /metrics has.
 */
class DriftAlarmTest {
    @TempDir Path dir;

    @Test
    void metricsCarryTheAlarmByModelAndVersionAndTheLogSaysItOnce() throws Exception {
        ChatServer.Options o = ChatServer.Options.defaults(TestModel.path("models/stories260K.gguf"), dir, ApiKeys.disabled()).withPort(0)
                .withResources(2, 1L << 20).withDriftInterval(0);
        List<String> warnings = new ArrayList<>();
        Logger log = Logger.getLogger(dev.jllm.server.ops.DriftMonitor.class.getName());
        Handler h = new Handler() {
            @Override
            public void publish(LogRecord r) {
                if (r.getLevel().intValue() >= java.util.logging.Level.WARNING.intValue()) warnings.add(r.getMessage());
            }

            @Override
            public void flush() {}

            @Override
            public void close() {}
        };
        log.addHandler(h);
        try (ServerFixture f = ServerFixture.attach(ChatServer.start(o, m -> ServerFixture.CHATML))) {
            long hour = 3_600_000L, t0 = (System.currentTimeMillis() / hour - 30) * hour;
            List<ConversationStore.GenerationRecord> rows = new ArrayList<>();
            java.util.SplittableRandom r = new java.util.SplittableRandom(1);
            for (int hh = 0; hh < 30; hh++) {
                for (int i = 0; i < 40; i++) {
                    int lazy = (int) Math.round((hh < 20 ? 400 : 240) * (0.7 + 0.6 * r.nextDouble()));
                    int steady = (int) Math.round(300 * (0.7 + 0.6 * r.nextDouble()));
                    rows.add(row("a" + hh + "_" + i, t0 + hh * hour + i * 1000L, "chat", "v1", lazy));
                    rows.add(row("b" + hh + "_" + i, t0 + hh * hour + i * 1000L, "other", "v7", steady));
                    // a promotion at hour 20 of a version whose answers are 40% shorter: the alarm names that version
                    int promoted = (int) Math.round((hh < 20 ? 400 : 240) * (0.7 + 0.6 * r.nextDouble()));
                    rows.add(row("c" + hh + "_" + i, t0 + hh * hour + i * 1000L, "assistant", hh < 20 ? "v1" : "v2", promoted));
                }
            }
            f.server.store().recordGenerations(rows);
            f.server.drift().refresh();
            f.server.drift().refresh(); // a second look raises nothing new
            String metrics = f.get("/metrics", null).body();
            assertEquals(1.0, value(metrics, "jllm_output_length_drift_alarm", "chat", "v1"), metrics);
            assertTrue(value(metrics, "jllm_output_length_drift", "chat", "v1") > 4);
            assertEquals(0.0, value(metrics, "jllm_output_length_drift_alarm", "other", "v7"));
            double base = value(metrics, "jllm_output_length_baseline_mean", "chat", "v1"), now = value(metrics, "jllm_output_length_current_mean", "chat", "v1");
            assertEquals(400, base, 40);
            assertEquals(0.6, now / base, 0.15);
            assertEquals(0.0, value(metrics, "jllm_empty_answer_rate_drift_alarm", "chat", "v1"));
            assertEquals(1.0, value(metrics, "jllm_output_length_drift_alarm", "assistant", "v2"), "the promoted version is blamed");
            assertEquals(0.0, value(metrics, "jllm_output_length_drift_alarm", "assistant", "v1"));
            metrics.lines().filter(l -> l.startsWith("jllm_output_length") && l.contains("\"assistant\"")).forEach(System.out::println);
            warnings.forEach(w -> System.out.println("WARNING: " + w));
            assertTrue(warnings.stream().anyMatch(w -> w.startsWith("drift alarm: assistant v2 answers are") && w.contains("the baseline of v1 (the version it replaced)")),
                    warnings.toString());
            List<String> alarms = warnings.stream().filter(w -> w.startsWith("drift alarm: chat v1 answers are")).toList();
            assertEquals(1, alarms.size(), "logged once when it rose: " + warnings);
            assertTrue(alarms.getFirst().contains("jllm ops report --by hour --model chat"), alarms.getFirst());
            assertTrue(warnings.stream().noneMatch(w -> w.contains("other")), warnings.toString());
            assertTrue(warnings.stream().noneMatch(w -> w.contains("assistant v1")), warnings.toString());

            // every metric the example alerting rules use is one /metrics has (or Prometheus' own `up`)
            JsonNode rules = new ObjectMapper(new YAMLFactory()).readTree(dev.jllm.testkit.TestData.root().getParent().resolve("scripts/prometheus/jllm-alerts.yml").toFile());
            Set<String> used = new TreeSet<>();
            int n = 0;
            for (JsonNode g : rules.get("groups")) {
                assertTrue(g.hasNonNull("name"));
                for (JsonNode rule : g.get("rules")) {
                    n++;
                    assertTrue(rule.get("alert").asText().matches("[A-Z][A-Za-z]+"), rule.toString());
                    assertTrue(rule.get("labels").get("severity").asText().matches("page|ticket"), rule.toString());
                    assertFalse(rule.get("annotations").get("summary").asText().isBlank());
                    String expr = rule.get("expr").asText();
                    assertEquals(count(expr, '('), count(expr, ')'), "balanced parentheses: " + expr);
                    Matcher m = Pattern.compile("\\b(jllm_[a-z_]+)").matcher(expr);
                    while (m.find()) used.add(m.group(1));
                }
            }
            assertTrue(n >= 5, "rules: " + n);
            for (String metric : used) {
                assertTrue(metrics.contains("\n" + metric + "{") || metrics.contains("\n" + metric + " "), "the rules use " + metric + ", which /metrics lacks");
            }
        } finally {
            log.removeHandler(h);
        }
    }

    private static ConversationStore.GenerationRecord row(String id, long at, String model, String version, int chars) {
        return new ConversationStore.GenerationRecord(id, at, "chat.completions", "local", null, null, model, version, "ab".repeat(32), null, "{}",
                "completed", "stop", null, 20, 0, chars / 4, chars, false, false, 30, 300, "test:1");
    }

    private static long count(String s, char c) {
        return s.chars().filter(x -> x == c).count();
    }

    /** The value of a series with these model and version labels. */
    private static double value(String metrics, String name, String model, String version) {
        for (String line : metrics.split("\n")) {
            if (line.startsWith(name + "{") && line.contains("model=\"" + model + "\"") && line.contains("version=\"" + version + "\"")) {
                return Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        throw new AssertionError("no " + name + "{model=" + model + ",version=" + version + "} in /metrics");
    }
}

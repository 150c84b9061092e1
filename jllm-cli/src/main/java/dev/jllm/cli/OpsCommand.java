package dev.jllm.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.jllm.server.ops.DriftDetector;
import dev.jllm.server.ops.OpsReport;
import dev.jllm.server.store.SqlConversationStore;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code jllm ops}: what the answers were made by and how they changed, from the generations log in the store. */
@Command(name = "ops", mixinStandardHelpOptions = true, sortOptions = false, subcommands = {OpsCommand.Report.class, OpsCommand.Drift.class},
        description = {"Operations reports from the generations log (every answer's model, version, lengths, TTFT) in the store of jllm serve",
            "(--data-dir DIR | --store URL); the same on SQLite and PostgreSQL:",
            "  report --by hour|day [--since T] [--until T] [--model M] [--png FILE] [--json]   lengths, TTFT, error/empty rates per bucket and version",
            "  drift [--model M] [--json]                                                      the drift alarm's state per model version, as jllm serve sees it"})
final class OpsCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getOut());
        return 0;
    }

    static final DateTimeFormatter HOUR = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm", Locale.ROOT).withZone(ZoneOffset.UTC);

    /**
     * A time: {@code 24h}, {@code 90m}, {@code 7d} ago; an ISO date (midnight UTC); an ISO date-time, with
     * an offset or {@code Z}, or without (UTC).
     */
    static long time(String s, long now, String option) {
        Matcher m = Pattern.compile("(\\d+)([mhd])").matcher(s.strip());
        if (m.matches()) {
            long n = Long.parseLong(m.group(1));
            return now - n * switch (m.group(2)) {
                case "m" -> 60_000L;
                case "h" -> 3_600_000L;
                default -> 86_400_000L;
            };
        }
        try {
            return Instant.parse(s).toEpochMilli();
        } catch (DateTimeParseException ignored) {
            // not an instant with Z
        }
        try {
            return java.time.OffsetDateTime.parse(s).toInstant().toEpochMilli();
        } catch (DateTimeParseException ignored) {
            // no offset
        }
        try {
            return LocalDateTime.parse(s).toInstant(ZoneOffset.UTC).toEpochMilli();
        } catch (DateTimeParseException ignored) {
            // not a date-time
        }
        try {
            return LocalDate.parse(s).atStartOfDay(ZoneOffset.UTC).toInstant().toEpochMilli();
        } catch (DateTimeParseException e) {
            throw new IllegalArgumentException(option + " must be a time like 24h, 7d, 2026-12-06 or 2026-12-06T10:00Z, got '" + s + "'");
        }
    }

    @Command(name = "report", mixinStandardHelpOptions = true, sortOptions = false,
            description = {"Per hour (or day, UTC) and model version: requests, answers, mean/median answer length in tokens and characters,",
                "mean/median TTFT, and the error, empty-answer and refusal rates — is it the model (one version changed) or the traffic",
                "(every version changed at the same hour)? A table, --json, and --png charts."})
    static final class Report implements Callable<Integer> {
        @Spec CommandSpec spec;
        @Option(names = "--by", defaultValue = "hour", description = "hour or day (default ${DEFAULT-VALUE})") String by;
        @Option(names = "--since", paramLabel = "T", description = "from T: 24h, 7d, 2026-12-06, 2026-12-06T10:00Z (default: 24h for hours, 30d for days)")
        String since;
        @Option(names = "--until", paramLabel = "T", description = "up to T (default: now)") String until;
        @Option(names = "--model", paramLabel = "M", description = "one model name (default: all)") String model;
        @Option(names = "--png", paramLabel = "FILE", description = "also draw the length, TTFT and rates per bucket and version") Path png;
        @Option(names = "--json", description = "JSON rows instead of the table") boolean json;
        @Mixin StoreOptions store;

        @Override
        public Integer call() throws Exception {
            long bucket = switch (by.toLowerCase(Locale.ROOT)) {
                case "hour" -> 3_600_000L;
                case "day" -> 86_400_000L;
                default -> throw new IllegalArgumentException("--by must be hour or day, got '" + by + "'");
            };
            long now = System.currentTimeMillis();
            long to = until == null ? now : time(until, now, "--until");
            long from = since == null ? to - (bucket == 3_600_000L ? 24 : 30 * 24) * 3_600_000L : time(since, now, "--since");
            if (from >= to) throw new IllegalArgumentException("--since must be before --until");
            List<OpsReport.Row> rows;
            try (SqlConversationStore s = store.open(false)) {
                rows = OpsReport.of(s, from, to, model, bucket);
            }
            PrintWriter out = spec.commandLine().getOut();
            if (json) {
                ObjectMapper m = new ObjectMapper();
                ArrayNode a = m.createArrayNode();
                for (OpsReport.Row r : rows) {
                    ObjectNode o = a.addObject().put("start", Instant.ofEpochMilli(r.startMs()).toString()).put("model", r.model()).put("version", r.version())
                            .put("requests", r.requests()).put("answers", r.answers());
                    num(o, "mean_tokens", r.meanTokens());
                    num(o, "median_tokens", r.medianTokens());
                    num(o, "mean_chars", r.meanChars());
                    num(o, "median_chars", r.medianChars());
                    num(o, "mean_ttft_ms", r.meanTtftMs());
                    num(o, "median_ttft_ms", r.medianTtftMs());
                    num(o, "error_rate", r.errorRate());
                    num(o, "empty_rate", r.emptyRate());
                    num(o, "refusal_rate", r.refusalRate());
                    o.put("failed", r.failed()).put("rejected", r.rejected()).put("cancelled", r.cancelled());
                }
                out.println(m.writerWithDefaultPrettyPrinter().writeValueAsString(a));
            } else if (rows.isEmpty()) {
                out.println("no answers between " + HOUR.format(Instant.ofEpochMilli(from)) + " and " + HOUR.format(Instant.ofEpochMilli(to)) + " UTC"
                        + (model != null ? " for model " + model : "") + " in " + store.where());
            } else {
                out.printf(Locale.ROOT, "%-16s  %-12s %-12s %6s %6s  %8s %8s  %8s %8s  %8s %8s  %6s %6s %6s%n", by.equals("day") ? "DAY (UTC)" : "HOUR (UTC)",
                        "MODEL", "VERSION", "REQ", "ANS", "TOK mean", "TOK med", "CHR mean", "CHR med", "TTFT ms", "TTFT med", "ERR%", "EMPTY%", "REFUS%");
                for (OpsReport.Row r : rows) {
                    out.printf(Locale.ROOT, "%-16s  %-12s %-12s %6d %6d  %8s %8s  %8s %8s  %8s %8s  %6s %6s %6s%n", HOUR.format(Instant.ofEpochMilli(r.startMs())),
                            cut(r.model()), cut(r.version() == null ? "-" : r.version()), r.requests(), r.answers(), f1(r.meanTokens()), f1(r.medianTokens()),
                            f1(r.meanChars()), f1(r.medianChars()), f1(r.meanTtftMs()), f1(r.medianTtftMs()), pct(r.errorRate()), pct(r.emptyRate()),
                            pct(r.refusalRate()));
                }
                out.println("answers: completed or cut at a limit; lengths, TTFT, EMPTY% and REFUS% over answers; ERR% (failed + 429) over requests");
            }
            if (png != null) {
                OpsPlot.write(rows, bucket, png);
                if (!json) out.println("wrote " + png);
            }
            out.flush();
            return 0;
        }

        private static void num(ObjectNode o, String k, double v) {
            if (Double.isNaN(v)) o.putNull(k);
            else o.put(k, Math.round(v * 1000) / 1000.0);
        }

        private static String cut(String s) {
            return s.length() <= 12 ? s : s.substring(0, 11) + "…";
        }

        static String f1(double v) {
            return Double.isNaN(v) ? "-" : String.format(Locale.ROOT, "%.1f", v);
        }

        static String pct(double v) {
            return Double.isNaN(v) ? "-" : String.format(Locale.ROOT, "%.1f", 100 * v);
        }
    }

    @Command(name = "drift", mixinStandardHelpOptions = true, sortOptions = false,
            description = {"The drift alarm per model version, computed from the generations log as jllm serve does (one-sided CUSUM on the",
                "hourly mean answer length and on the empty-or-refusal rate against the version's baseline; docs/OPERATIONS.md)."})
    static final class Drift implements Callable<Integer> {
        @Spec CommandSpec spec;
        @Option(names = "--model", paramLabel = "M", description = "one model name (default: all)") String model;
        @Option(names = "--json", description = "JSON instead of a table") boolean json;
        @Mixin StoreOptions store;

        @Override
        public Integer call() throws Exception {
            DriftDetector.Params p = DriftDetector.Params.DEFAULT;
            long now = System.currentTimeMillis();
            List<DriftDetector.State> states;
            try (SqlConversationStore s = store.open(false)) {
                states = DriftDetector.evaluate(s.generationBuckets((now - 14L * 86_400_000L) / p.bucketMs() * p.bucketMs(), p.bucketMs(), model), p);
            }
            PrintWriter out = spec.commandLine().getOut();
            if (json) {
                ObjectMapper m = new ObjectMapper();
                out.println(m.writerWithDefaultPrettyPrinter().writeValueAsString(states));
            } else if (states.isEmpty()) {
                out.println("no model version has " + p.minAnswers() + " answers in the last 14 days in " + store.where());
            } else {
                out.printf(Locale.ROOT, "%-12s %-12s %-10s %-12s %7s  %9s %9s %6s %-5s  %7s %7s %6s %-5s%n", "MODEL", "VERSION", "PHASE", "BASELINE OF",
                        "BUCKETS", "BASE chr", "LAST chr", "CUSUM", "ALARM", "BASE e%", "LAST e%", "CUSUM", "ALARM");
                for (DriftDetector.State s : states) {
                    out.printf(Locale.ROOT, "%-12s %-12s %-10s %-12s %7d  %9s %9s %6.2f %-5s  %7s %7s %6.2f %-5s%n", s.model(), s.version() == null ? "-" : s.version(),
                            s.phase().name().toLowerCase(Locale.ROOT), s.baselineOf() == null ? "-" : s.baselineOf(), s.buckets(), Report.f1(s.baselineChars()),
                            Report.f1(s.currentChars()), s.lengthCusum(), s.lengthAlarm() ? "YES" : "no", Report.pct(s.baselineRate()), Report.pct(s.currentRate()),
                            s.rateCusum(), s.rateAlarm() ? "YES" : "no");
                }
                out.printf(Locale.ROOT, "an alarm: CUSUM > %.1f (length falling, empty/refusal rate rising); BUCKETS: hours, quiet ones merged until a bucket has %d answers%n",
                        p.h(), p.minAnswers());
            }
            out.flush();
            return 0;
        }
    }
}

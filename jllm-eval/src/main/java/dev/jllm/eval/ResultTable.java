package dev.jllm.eval;

import java.io.PrintWriter;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** vLLM benchmark_serving's console table (same labels and layout), plus jllm's errors, client CPU and per-turn TTFT. */
public final class ResultTable {
    private ResultTable() {}

    public static void print(LoadRunner.Run run, PrintWriter out) {
        Summary s = run.summary();
        out.println(center(" Serving Benchmark Result ", '='));
        LoadtestConfig c = run.config();
        row(out, "Scenario:", (c.label() != null ? c.label() + " (" + c.scenario().wire() + ")" : c.scenario().wire())
                + (c.turns() > 1 ? ", " + c.turns() + " turns" : ""));
        row(out, "Successful requests:", Integer.toString(s.completed()));
        row(out, "Failed requests:", Integer.toString(s.failed()));
        row(out, "Benchmark duration (s):", f(s.durationSec()));
        row(out, "Total input tokens:", Long.toString(s.totalInputTokens()));
        row(out, "Total cached input tokens:", Long.toString(s.totalCachedTokens()));
        row(out, "Total generated tokens:", Long.toString(s.totalOutputTokens()));
        row(out, "Request throughput (req/s):", f(s.requestThroughput()));
        if (s.goodput() != null) row(out, "Request goodput (req/s):", f(s.goodput()));
        row(out, "Output token throughput (tok/s):", f(s.outputThroughput()));
        row(out, "Total Token throughput (tok/s):", f(s.totalTokenThroughput()));
        row(out, "Client CPU (s, this process):", f(run.clientCpuSec()));
        section(out, "Time to First Token", "TTFT", s.ttft());
        section(out, "Time per Output Token (excl. 1st token)", "TPOT", s.tpot());
        section(out, "Inter-token Latency", "ITL", s.itl());
        section(out, "End-to-end Latency", "E2EL", s.e2el());
        if (run.config().turns() > 1) perTurn(out, s.perTurn());
        if (run.evictions() != null) {
            Evictions.Snapshot e = run.evictions();
            out.println(center("KV evicted before turns 2..N", '-'));
            row(out, "Eviction calls (not in TTFT):", e.calls() + String.format(Locale.ROOT, "  (mean %.2f ms)", e.meanMs()));
            row(out, "Conversations evicted:", e.evicted() + " (" + e.tokens() + " tokens of KV)");
            row(out, "Written to the server's disk:", e.spilled() + (e.disk() ? "" : "  (the server has no KV disk tier: re-prefilled)"));
        }
        if (!s.errors().isEmpty()) {
            out.println(center("Errors", '-'));
            for (Map.Entry<String, Integer> e : s.errors().entrySet()) {
                String sample = s.errorSamples().get(e.getKey());
                row(out, e.getKey() + ":", e.getValue() + (sample != null ? "  (e.g. " + sample + ")" : ""));
            }
        }
        out.println("=".repeat(50));
        out.flush();
    }

    /** Per-turn TTFT of several runs side by side (e.g. stateless vs stateful on the same prompts). */
    public static void compareTurns(List<LoadRunner.Run> runs, PrintWriter out) {
        StringBuilder h = new StringBuilder(String.format(Locale.ROOT, "%-5s", "turn"));
        for (LoadRunner.Run r : runs) {
            String n = r.config().name();
            h.append(String.format(Locale.ROOT, " %14s %14s", n + " prompt", n + " TTFT ms"));
        }
        out.println(center(" Mean TTFT per turn ", '='));
        out.println(h);
        int turns = runs.stream().mapToInt(r -> r.summary().perTurn().size()).max().orElse(0);
        for (int t = 0; t < turns; t++) {
            StringBuilder b = new StringBuilder(String.format(Locale.ROOT, "%-5d", t + 1));
            for (LoadRunner.Run r : runs) {
                List<Summary.TurnStats> ts = r.summary().perTurn();
                if (t < ts.size()) b.append(String.format(Locale.ROOT, " %14.1f %14.2f", ts.get(t).meanPromptTokens(), ts.get(t).ttft().mean()));
                else b.append(String.format(Locale.ROOT, " %14s %14s", "-", "-"));
            }
            out.println(b);
        }
        if (turns > 1) { // the multi-turn question in one number: how much later is the last turn's first token than the first's
            StringBuilder b = new StringBuilder(String.format(Locale.ROOT, "%-5s", "last/1"));
            for (LoadRunner.Run r : runs) {
                List<Summary.TurnStats> ts = r.summary().perTurn();
                double first = ts.isEmpty() ? 0 : ts.getFirst().ttft().mean(), last = ts.isEmpty() ? 0 : ts.getLast().ttft().mean();
                b.append(String.format(Locale.ROOT, " %14s %14s", "", first > 0 ? String.format(Locale.ROOT, "%.2fx", last / first) : "-"));
            }
            out.println(b);
        }
        out.flush();
    }

    private static void perTurn(PrintWriter out, List<Summary.TurnStats> turns) {
        out.println(center("TTFT per turn", '-'));
        out.println(String.format(Locale.ROOT, "%-5s %5s %8s %8s %9s %9s", "turn", "reqs", "prompt", "cached", "mean ms", "P90 ms"));
        for (Summary.TurnStats t : turns) {
            out.println(String.format(Locale.ROOT, "%-5d %5d %8.1f %8.1f %9.2f %9.2f", t.turn(), t.completed(), t.meanPromptTokens(),
                    t.meanCachedTokens(), t.ttft().mean(), t.ttft().p90()));
        }
    }

    private static void section(PrintWriter out, String title, String name, Distribution d) {
        out.println(center(title, '-'));
        row(out, "Mean " + name + " (ms):", f(d.mean()));
        row(out, "Median " + name + " (ms):", f(d.median()));
        row(out, "P90 " + name + " (ms):", f(d.p90()));
        row(out, "P99 " + name + " (ms):", f(d.p99()));
    }

    private static void row(PrintWriter out, String label, String value) {
        out.println(String.format(Locale.ROOT, "%-40s %-10s", label, value).stripTrailing());
    }

    private static String f(double v) {
        return String.format(Locale.ROOT, "%.2f", v);
    }

    /** Python's {@code "{:c^50}".format(s)}: extra padding goes to the right. */
    static String center(String s, char c) {
        int pad = Math.max(0, 50 - s.length());
        int left = pad / 2;
        return String.valueOf(c).repeat(left) + s + String.valueOf(c).repeat(pad - left);
    }
}

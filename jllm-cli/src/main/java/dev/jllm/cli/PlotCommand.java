package dev.jllm.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code jllm plot}: curves of several runs side by side from the CSV logs the trainers write
 * (ppo.csv, train.csv, eval.csv, …), one panel per column and one line per run. The comparisons in
 * the docs (PPO at three KL coefficients) come from here rather than from a hand-written script, so
 * anyone can redraw them from their own logs. {@code jllm loadtest --json} results count as logs too:
 * their per-turn tables (TTFT per turn of runs made by separate invocations, e.g. against a server
 * with and without its KV disk tier, on one chart).
 */
@Command(name = "plot", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Curves of several runs from their CSV logs (a 'step' column and numeric columns, as ppo.csv, train.csv, eval.csv):",
            "one panel per --metric, one line per --csv (the same label twice: replicas, one colour). Example: jllm plot --csv 'β 0.01=a/ppo.csv' --csv 'β 0.1=b/ppo.csv'",
            "--metric env/reward_mean --metric objective/kl --out runs.png",
            "jllm loadtest --json results with several turns: --loadtest FILE.json, one line per run in it over its per-turn table (x: turn;",
            "columns mean_ttft_ms, median_ttft_ms, p90_ttft_ms, p99_ttft_ms, mean_prompt_tokens, mean_cached_tokens, completed). Example:",
            "jllm plot --loadtest disk.json --loadtest re-prefill.json --metric 'mean_ttft_ms=mean TTFT (ms)' --metric mean_cached_tokens --out ttft.png"})
final class PlotCommand implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Option(names = "--csv", paramLabel = "LABEL=FILE", description = "a run: its label in the legend and its CSV log (repeatable; runs with the same label share a colour)") List<String> csvs = new ArrayList<>();
    @Option(names = "--loadtest", paramLabel = "[LABEL=]FILE.json", description = "a jllm loadtest --json result: each run in it is a line over its"
            + " per-turn table, named by its --label or scenario (LABEL= renames the run of a one-run file); repeatable") List<String> loadtests = new ArrayList<>();
    @Option(names = "--metric", required = true, paramLabel = "COLUMN[=TITLE]", description = "a column to plot, one panel each, with an optional panel title (repeatable)") List<String> metrics;
    @Option(names = "--x", paramLabel = "COLUMN", description = "the x axis column (default: step for --csv logs, turn for --loadtest results)") String x;
    @Option(names = "--out", required = true, paramLabel = "FILE.png") Path out;

    /** One CSV log: its header and its rows as numbers (an empty cell is NaN: not drawn). */
    record Table(Path file, List<String> header, List<double[]> rows) {
        double[] column(String name) {
            int c = header.indexOf(name);
            if (c < 0) throw new IllegalArgumentException(file + " has no column '" + name + "' (it has " + String.join(", ", header) + ")");
            double[] v = new double[rows.size()];
            for (int i = 0; i < v.length; i++) v[i] = rows.get(i)[c];
            return v;
        }
    }

    @Override
    public Integer call() throws IOException {
        PrintWriter o = spec.commandLine().getOut();
        if (csvs.isEmpty() && loadtests.isEmpty()) throw new IllegalArgumentException("nothing to plot: give --csv LABEL=FILE or --loadtest FILE.json (repeatable)");
        List<String> labels = new ArrayList<>(), xs = new ArrayList<>();
        List<Table> tables = new ArrayList<>();
        for (String c : csvs) {
            int eq = c.lastIndexOf('=');
            if (eq <= 0 || eq == c.length() - 1) throw new IllegalArgumentException("--csv wants LABEL=FILE, got '" + c + "'");
            labels.add(c.substring(0, eq));
            tables.add(read(Path.of(c.substring(eq + 1))));
            xs.add(x != null ? x : "step");
        }
        for (String l : loadtests) {
            int eq = l.lastIndexOf('=');
            boolean named = eq > 0 && eq < l.length() - 1 && !Files.exists(Path.of(l));
            Path file = Path.of(named ? l.substring(eq + 1) : l);
            List<dev.jllm.eval.ResultJson.PerTurn> runs = dev.jllm.eval.ResultJson.readPerTurn(file);
            if (named && runs.size() > 1) {
                throw new IllegalArgumentException("--loadtest " + l + ": " + file + " holds " + runs.size() + " runs ("
                        + String.join(", ", runs.stream().map(dev.jllm.eval.ResultJson.PerTurn::name).toList())
                        + "); drop '" + l.substring(0, eq) + "=' to draw each under its own name");
            }
            for (dev.jllm.eval.ResultJson.PerTurn r : runs) {
                labels.add(named ? l.substring(0, eq) : r.name());
                tables.add(new Table(file, r.columns(), r.rows()));
                xs.add(x != null ? x : "turn");
            }
        }
        List<MetricsPlot.Panel> panels = new ArrayList<>();
        for (String m : metrics) {
            int eq = m.indexOf('=');
            String column = eq < 0 ? m : m.substring(0, eq), title = eq < 0 ? m : m.substring(eq + 1);
            List<MetricsPlot.Series> series = new ArrayList<>();
            List<String> distinct = labels.stream().distinct().toList();
            for (int i = 0; i < tables.size(); i++) {
                Table t = tables.get(i);
                int colour = distinct.indexOf(labels.get(i)); // runs with the same label (replicas, other seeds) share a colour
                series.add(new MetricsPlot.Series(labels.get(i), t.column(xs.get(i)), t.column(column), MetricsPlot.COLORS[colour % MetricsPlot.COLORS.length], false));
            }
            panels.add(new MetricsPlot.Panel(title, series));
        }
        List<String> xNames = xs.stream().distinct().toList();
        MetricsPlot.write(out, panels, xNames.size() == 1 ? xNames.getFirst() : "x");
        o.println("wrote " + out + " (" + panels.size() + " panels, " + tables.size() + " runs)");
        return 0;
    }

    static Table read(Path file) throws IOException {
        if (!Files.isRegularFile(file)) throw new IllegalArgumentException("--csv " + file + ": no such file");
        List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        if (lines.isEmpty()) throw new IllegalArgumentException(file + " is empty: no header line");
        List<String> header = List.of(lines.getFirst().strip().split(",", -1));
        List<double[]> rows = new ArrayList<>();
        for (int n = 1; n < lines.size(); n++) {
            String line = lines.get(n).strip();
            if (line.isEmpty()) continue;
            String[] cells = line.split(",", -1);
            if (cells.length != header.size())
                throw new IllegalArgumentException(file + " line " + (n + 1) + ": " + cells.length + " cells, the header has " + header.size());
            double[] r = new double[cells.length];
            for (int c = 0; c < cells.length; c++) {
                String s = cells[c].strip();
                try {
                    r[c] = s.isEmpty() ? Double.NaN : Double.parseDouble(s);
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException(file + " line " + (n + 1) + ", column '" + header.get(c) + "': '" + s + "' is not a number");
                }
            }
            rows.add(r);
        }
        if (rows.isEmpty()) throw new IllegalArgumentException(file + " has a header but no rows");
        return new Table(file, header, rows);
    }
}

package dev.jllm.train.pref;

import dev.jllm.train.TensorBoardWriter;
import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Named per-step metrics (TRL's names, e.g. {@code rewards/chosen}) to a CSV file (header = the
 * names of the first row), TensorBoard ({@code PREFIX/NAME}) and memory, for the end-of-run plot.
 * A null directory keeps them in memory only.
 */
public final class MetricsLog implements AutoCloseable {
    /** One row: the step and its values in insertion order. */
    public record Row(int step, Map<String, Double> values) {
        public double get(String name) {
            Double v = values.get(name);
            return v == null ? Double.NaN : v;
        }
    }

    private final String prefix;
    private final BufferedWriter csv;
    private final TensorBoardWriter tb;
    private final List<Row> rows = new ArrayList<>();
    private List<String> columns;

    /** @param file the CSV (its directory also gets the TensorBoard events), or null */
    public MetricsLog(Path file, String prefix, TensorBoardWriter tb) throws IOException {
        this.prefix = prefix;
        this.tb = tb;
        if (file != null) {
            Files.createDirectories(file.toAbsolutePath().getParent());
            this.csv = Files.newBufferedWriter(file, StandardCharsets.UTF_8);
        } else {
            this.csv = null;
        }
    }

    public void row(int step, Map<String, Double> values) throws IOException {
        Map<String, Double> v = new LinkedHashMap<>(values);
        rows.add(new Row(step, v));
        if (columns == null) {
            columns = List.copyOf(v.keySet());
            if (csv != null) {
                csv.write("step," + String.join(",", columns));
                csv.newLine();
            }
        }
        if (csv != null) {
            StringBuilder b = new StringBuilder().append(step);
            for (String c : columns) {
                Double x = v.get(c);
                b.append(',').append(x == null || x.isNaN() ? "" : String.format(Locale.ROOT, "%.6g", x));
            }
            csv.write(b.toString());
            csv.newLine();
            csv.flush();
        }
        if (tb != null) {
            for (Map.Entry<String, Double> e : v.entrySet()) {
                if (!e.getValue().isNaN()) tb.scalar(prefix + "/" + e.getKey(), step, e.getValue().floatValue());
            }
            tb.flush();
        }
    }

    public List<Row> rows() {
        return List.copyOf(rows);
    }

    @Override
    public void close() throws IOException {
        if (csv != null) csv.close();
    }

    /** Linear warm-up, then cosine decay to {@code minRatio}·lr at the last step (the trainers' schedule). */
    public static float lrAt(int step, int steps, int warmup, float lr, float minRatio) {
        if (step < warmup) return lr * (step + 1) / warmup;
        double p = steps - warmup <= 1 ? 1 : (double) (step - warmup) / (steps - warmup - 1);
        return (float) (lr * (minRatio + (1 - minRatio) * 0.5 * (1 + Math.cos(Math.PI * Math.min(1, p)))));
    }
}

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
        this(file, prefix, tb, 0);
    }

    /**
     * A log that continues a resumed run: the rows of an existing {@code file} up to step {@code keepThrough}
     * are kept (in the file and in {@link #rows()}, for the plot), later ones — written after the checkpoint — dropped.
     */
    public MetricsLog(Path file, String prefix, TensorBoardWriter tb, int keepThrough) throws IOException {
        this.prefix = prefix;
        this.tb = tb;
        if (file == null) {
            this.csv = null;
            return;
        }
        Files.createDirectories(file.toAbsolutePath().getParent());
        List<String> kept = new ArrayList<>();
        if (keepThrough > 0 && Files.exists(file)) {
            List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
            if (!lines.isEmpty()) {
                List<String> head = List.of(lines.getFirst().split(",", -1));
                columns = head.subList(1, head.size());
                kept.add(lines.getFirst());
                for (String line : lines.subList(1, lines.size())) {
                    String[] cells = line.split(",", -1);
                    int step = Integer.parseInt(cells[0]);
                    if (step > keepThrough) continue;
                    Map<String, Double> v = new LinkedHashMap<>();
                    for (int c = 0; c < columns.size(); c++) v.put(columns.get(c), cells[c + 1].isEmpty() ? Double.NaN : Double.parseDouble(cells[c + 1]));
                    rows.add(new Row(step, v));
                    kept.add(line);
                }
            }
        }
        this.csv = Files.newBufferedWriter(file, StandardCharsets.UTF_8);
        for (String line : kept) {
            csv.write(line);
            csv.newLine();
        }
        csv.flush();
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

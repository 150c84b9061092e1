package dev.jllm.data;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;

/**
 * The run report: {@code report.json} (everything), {@code report.html} (the same for people) and
 * two PNG histograms before/after (length in code points, simplified ratio) drawn with XChart.
 */
public final class RunReport {
    private RunReport() {}

    public static void write(Path dir, LocalRunner.Result r, CleanConfig cfg, List<String> steps, List<String> inputs) throws IOException {
        Files.createDirectories(dir);
        CleanStats s = r.stats();
        ObjectNode root = LocalRunner.JSON.createObjectNode();
        root.putPOJO("inputs", inputs);
        root.putPOJO("steps", steps);
        ObjectNode totals = root.putObject("totals");
        totals.put("docs_in", s.docsIn);
        totals.put("docs_out", s.docsOut);
        totals.put("bytes_in", s.bytesIn);
        totals.put("bytes_out", s.bytesOut);
        totals.put("malformed_lines", s.malformed);
        totals.put("missing_text_field", s.missingField);
        totals.put("exact_duplicates", s.exactDuplicates);
        totals.put("near_duplicates", s.nearDuplicates);
        totals.put("c4_lines_dropped", s.c4LinesDropped);
        ObjectNode run = root.putObject("this_run");
        run.put("shards", r.shards());
        run.put("shards_skipped", r.shardsSkipped());
        run.put("bytes_processed", r.bytesProcessed());
        run.put("docs_processed", r.docsProcessed());
        run.put("seconds", round(r.seconds()));
        run.put("mb_per_s", round(r.mbPerSecond()));
        run.put("docs_per_s", round(r.docsProcessed() / Math.max(r.seconds(), 1e-9)));
        root.putPOJO("file_errors", r.fileErrors());
        ObjectNode filters = root.putObject("rejected");
        s.rejected.forEach(filters::put);
        root.putPOJO("examples", s.examples);
        ObjectNode h = root.putObject("histograms");
        h.put("length_bin_chars", CleanStats.LENGTH_BIN);
        h.putPOJO("length_before", s.lengthBefore);
        h.putPOJO("length_after", s.lengthAfter);
        h.putPOJO("simplified_ratio_bins", ratioLabels());
        h.putPOJO("simplified_before", s.ratioBefore);
        h.putPOJO("simplified_after", s.ratioAfter);
        root.set("config", LocalRunner.JSON.valueToTree(cfg));
        LocalRunner.JSON.writeValue(dir.resolve("report.json").toFile(), root);

        chart(dir.resolve("length.png"), "Document length (code points)", lengthLabels(), s.lengthBefore, s.lengthAfter);
        chart(dir.resolve("simplified.png"), "Simplified-Chinese ratio of Han characters", ratioLabels(), s.ratioBefore, s.ratioAfter);
        Files.writeString(dir.resolve("report.html"), html(r, steps, inputs), StandardCharsets.UTF_8);
    }

    private static double round(double v) {
        return Math.round(v * 100) / 100.0;
    }

    static List<String> lengthLabels() {
        List<String> l = new ArrayList<>();
        for (int i = 0; i < CleanStats.LENGTH_BINS - 1; i++) l.add(Integer.toString(i * CleanStats.LENGTH_BIN));
        l.add("≥" + (CleanStats.LENGTH_BINS - 1) * CleanStats.LENGTH_BIN);
        return l;
    }

    static List<String> ratioLabels() {
        List<String> l = new ArrayList<>();
        l.add("no Han");
        for (int i = 0; i < 20; i++) l.add(String.format(Locale.ROOT, "%.2f", i / 20.0));
        return l;
    }

    private static void chart(Path png, String title, List<String> labels, long[] before, long[] after) throws IOException {
        System.setProperty("java.awt.headless", "true");
        CategoryChart c = new CategoryChartBuilder().width(900).height(420).title(title).xAxisTitle("bin start").yAxisTitle("documents").build();
        c.getStyler().setOverlapped(true);
        c.getStyler().setXAxisLabelRotation(60);
        c.getStyler().setLegendVisible(true);
        c.addSeries("before", labels, toList(before));
        c.addSeries("after", labels, toList(after));
        BitmapEncoder.saveBitmap(c, png.toString(), BitmapEncoder.BitmapFormat.PNG);
    }

    private static List<Long> toList(long[] a) {
        List<Long> l = new ArrayList<>(a.length);
        for (long v : a) l.add(v);
        return l;
    }

    private static String html(LocalRunner.Result r, List<String> steps, List<String> inputs) {
        CleanStats s = r.stats();
        StringBuilder b = new StringBuilder();
        b.append("<!doctype html><html><head><meta charset=\"utf-8\"><title>jllm clean report</title><style>")
                .append("body{font-family:sans-serif;max-width:1100px;margin:2em auto}td,th{border:1px solid #ccc;padding:4px 8px;vertical-align:top}")
                .append("table{border-collapse:collapse;margin:1em 0}pre{white-space:pre-wrap;margin:0;max-height:8em;overflow:auto}</style></head><body>\n");
        b.append("<h1>jllm clean</h1>\n<p>Inputs: ").append(esc(String.join(", ", inputs))).append("<br>Steps: ").append(esc(String.join(" → ", steps))).append("</p>\n");
        b.append("<table><tr><th></th><th>documents</th><th>bytes</th></tr>");
        row(b, "in", s.docsIn, s.bytesIn);
        row(b, "out", s.docsOut, s.bytesOut);
        b.append(String.format(Locale.ROOT, "<tr><td>kept</td><td>%.2f%%</td><td>%.2f%%</td></tr></table>\n",
                100.0 * s.docsOut / Math.max(1, s.docsIn), 100.0 * s.bytesOut / Math.max(1, s.bytesIn)));
        b.append(String.format(Locale.ROOT, "<p>This run: %d shards (%d skipped as finished), %.1f MB in %.2f s = %.1f MB/s, %.0f docs/s.",
                r.shards(), r.shardsSkipped(), r.bytesProcessed() / 1e6, r.seconds(), r.mbPerSecond(), r.docsProcessed() / Math.max(r.seconds(), 1e-9)));
        b.append(" Malformed lines: ").append(s.malformed).append(", missing text field: ").append(s.missingField)
                .append(", exact duplicates: ").append(s.exactDuplicates).append(", near duplicates: ").append(s.nearDuplicates)
                .append(", lines removed by C4: ").append(s.c4LinesDropped).append(".</p>\n");
        if (!r.fileErrors().isEmpty()) {
            b.append("<h2>Unreadable files (").append(r.fileErrors().size()).append(")</h2><ul>");
            for (String e : r.fileErrors()) b.append("<li>").append(esc(e)).append("</li>");
            b.append("</ul>\n");
        }
        b.append("<h2>Dropped, by the first filter that rejected</h2><table><tr><th>filter</th><th>documents</th><th>% of input</th></tr>");
        for (Map.Entry<String, Long> e : s.rejected.entrySet()) {
            b.append(String.format(Locale.ROOT, "<tr><td>%s</td><td>%d</td><td>%.2f%%</td></tr>", esc(e.getKey()), e.getValue(), 100.0 * e.getValue() / Math.max(1, s.docsIn)));
        }
        b.append("</table>\n<h2>Examples (first ").append(CleanStats.EXAMPLES).append(" per reason)</h2>\n");
        for (Map.Entry<String, List<CleanStats.Example>> e : s.examples.entrySet()) {
            b.append("<h3>").append(esc(e.getKey())).append("</h3><table><tr><th>source</th><th>reason</th><th>text</th></tr>");
            for (CleanStats.Example x : e.getValue()) {
                b.append("<tr><td>").append(esc(x.source)).append("</td><td>").append(esc(x.reason)).append("</td><td><pre>").append(esc(x.text)).append("</pre></td></tr>");
            }
            b.append("</table>\n");
        }
        b.append("<h2>Histograms</h2><img src=\"length.png\" alt=\"length histogram\"><br><img src=\"simplified.png\" alt=\"simplified ratio histogram\">\n");
        b.append("<p>Full numbers: <a href=\"report.json\">report.json</a>.</p></body></html>\n");
        return b.toString();
    }

    private static void row(StringBuilder b, String label, long docs, long bytes) {
        b.append("<tr><td>").append(label).append("</td><td>").append(String.format(Locale.ROOT, "%,d", docs)).append("</td><td>")
                .append(String.format(Locale.ROOT, "%,d", bytes)).append("</td></tr>");
    }

    static String esc(String s) {
        if (s == null) return "";
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}

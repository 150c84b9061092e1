package dev.jllm.eval.task;

import dev.jllm.eval.metrics.LengthCompliance;
import java.awt.Color;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.Histogram;
import org.knowm.xchart.CategorySeries.CategorySeriesRenderStyle;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * report.html with its PNGs: the metrics table with CIs, per-category scores with their CI's ends
 * marked (exact, also when the interval is not symmetric), the first metric's bootstrap
 * distribution, and for generation the histogram of output lengths with the length limit.
 */
public final class RunReport {
    private RunReport() {}

    public static void write(Path dir, TaskSpec spec, RunInfo info, TaskScores scores, List<ItemResult> items) throws IOException {
        System.setProperty("java.awt.headless", "true");
        StringBuilder h = new StringBuilder("<!doctype html><html><head><meta charset=\"utf-8\"><title>")
                .append(esc(spec.name())).append("</title><style>body{font-family:sans-serif;max-width:1000px;margin:2em auto}"
                        + "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 8px;text-align:left}"
                        + "td.n{text-align:right;font-family:monospace}</style></head><body>\n");
        h.append("<h1>").append(esc(spec.name())).append(" (").append(spec.type().wire()).append(")</h1>\n<p>");
        h.append("target: ").append(esc(String.valueOf(info.target()))).append("<br>items: ").append(items.size())
                .append(spec.type() == TaskSpec.Type.PERPLEXITY ? " chunks" : "").append(", fewshot ").append(spec.fewshot())
                .append("<br>sampling: ").append(spec.type() != TaskSpec.Type.GENERATE ? "none (log-likelihoods)" : "temperature "
                        + info.sampling().temperature() + ", seed " + info.sampling().seed() + ", max_tokens " + info.sampling().maxTokens())
                .append("<br>")
                .append(String.format(Locale.ROOT, "%.0f%% percentile bootstrap, %,d resamples, seed %d", 100 * info.bootstrap().confidence(),
                        info.bootstrap().resamples(), info.bootstrap().seed()))
                .append("<br>").append(esc(info.date())).append(", jllm ").append(esc(info.jllmVersion())).append("</p>\n");
        h.append("<h2>Metrics</h2>\n<table><tr><th>metric</th><th>value [lo, hi] ±half-width</th><th>definition</th></tr>\n");
        for (TaskScores.Metric m : scores.metrics()) {
            h.append("<tr><td>").append(esc(m.name())).append("</td><td class=\"n\">").append(esc(m.format())).append("</td><td>")
                    .append(esc(m.description())).append("</td></tr>\n");
        }
        h.append("</table>\n");
        TaskScores.Metric first = scores.metrics().getFirst();
        if (first.distribution().length > 0) {
            save(distribution(first), dir.resolve("bootstrap.png"));
            h.append("<h2>Bootstrap distribution of ").append(esc(first.name())).append("</h2><img src=\"bootstrap.png\">\n");
        }
        if (!scores.categories().isEmpty()) {
            save(categories(scores.categories(), first.name()), dir.resolve("categories.png"));
            h.append("<h2>Per category</h2><img src=\"categories.png\">\n<table><tr><th>category</th><th>items</th>");
            for (TaskScores.Metric m : scores.metrics()) h.append("<th>").append(esc(m.name())).append("</th>");
            h.append("</tr>\n");
            for (Map.Entry<String, List<TaskScores.Metric>> e : scores.categories().entrySet()) {
                h.append("<tr><td>").append(esc(e.getKey())).append("</td><td class=\"n\">").append(e.getValue().getFirst().items()).append("</td>");
                for (TaskScores.Metric m : e.getValue()) h.append("<td class=\"n\">").append(esc(m.format())).append("</td>");
                h.append("</tr>\n");
            }
            h.append("</table>\n");
        }
        if (spec.type() == TaskSpec.Type.GENERATE && scores.lengths().length > 0) {
            save(lengths(scores.lengths(), scores.length()), dir.resolve("length.png"));
            h.append("<h2>Output lengths (code points)</h2><img src=\"length.png\">\n");
            LengthCompliance lc = scores.length();
            if (lc != null) {
                h.append(String.format(Locale.ROOT, "<p>%d of %d outputs within %d code points; min %d, median %.1f, mean %.1f, p90 %.1f, max %d</p>%n",
                        lc.within(), lc.total(), lc.limit(), lc.min(), lc.median(), lc.mean(), lc.p90(), lc.max()));
            }
        }
        if (spec.type() != TaskSpec.Type.PERPLEXITY) {
            h.append("<h2>Items (first 50; all in results.json)</h2>\n<table><tr><th>id</th><th>answer</th><th>")
                    .append(spec.type() == TaskSpec.Type.GENERATE ? "references" : "gold").append("</th></tr>\n");
            for (ItemResult r : items.subList(0, Math.min(50, items.size()))) {
                String ref = r.choices().isEmpty() ? String.join(" | ", r.references()) : r.choices().get(r.gold());
                h.append("<tr><td>").append(esc(r.id())).append("</td><td>").append(esc(r.answer())).append("</td><td>").append(esc(ref)).append("</td></tr>\n");
            }
            h.append("</table>\n");
        }
        h.append("</body></html>\n");
        RunOutput.atomically(dir.resolve("report.html"), h.toString());
    }

    private static CategoryChart distribution(TaskScores.Metric m) {
        CategoryChart c = new CategoryChartBuilder().width(700).height(400).title(m.name() + ": " + m.format()).xAxisTitle(m.name())
                .yAxisTitle("resamples").build();
        c.getStyler().setLegendVisible(false);
        c.getStyler().setAvailableSpaceFill(0.95);
        c.getStyler().setXAxisLabelRotation(45);
        c.getStyler().setXAxisDecimalPattern(m.decimals() >= 3 ? "#0.000" : "#0.00");
        List<Double> v = new ArrayList<>();
        for (double d : m.distribution()) v.add(d);
        double lo = m.distribution()[0], hi = m.distribution()[m.distribution().length - 1];
        if (hi <= lo) hi = lo + 1e-9;
        Histogram hist = new Histogram(v, 30, lo, hi);
        c.addSeries("bootstrap", hist.getxAxisData(), hist.getyAxisData());
        return c;
    }

    /** Each category's value, with its CI's ends as markers of their own (exact, also for an interval that is not symmetric). */
    private static CategoryChart categories(Map<String, List<TaskScores.Metric>> cats, String metric) {
        List<String> names = new ArrayList<>(cats.keySet());
        CategoryChart c = new CategoryChartBuilder().width(Math.max(600, 60 * names.size() + 200)).height(500)
                .title(metric + " per category with its CI").yAxisTitle(metric).build();
        c.getStyler().setDefaultSeriesRenderStyle(CategorySeriesRenderStyle.Scatter);
        c.getStyler().setOverlapped(true); // the three markers of a category on one vertical line
        c.getStyler().setXAxisLabelRotation(names.size() * names.stream().mapToInt(String::length).max().orElse(0) > 48 ? 45 : 0);
        c.getStyler().setLegendPosition(org.knowm.xchart.style.Styler.LegendPosition.OutsideS);
        List<Double> lo = new ArrayList<>(), v = new ArrayList<>(), hi = new ArrayList<>();
        for (String n : names) {
            TaskScores.Metric m = cats.get(n).getFirst();
            lo.add(m.interval().lo());
            v.add(m.interval().value());
            hi.add(m.interval().hi());
        }
        c.addSeries("CI high", names, hi).setMarker(SeriesMarkers.TRIANGLE_DOWN).setMarkerColor(Color.GRAY);
        c.addSeries(metric, names, v).setMarker(SeriesMarkers.CIRCLE).setMarkerColor(new Color(200, 40, 40));
        c.addSeries("CI low", names, lo).setMarker(SeriesMarkers.TRIANGLE_UP).setMarkerColor(Color.GRAY);
        return c;
    }

    private static CategoryChart lengths(int[] lengths, LengthCompliance lc) {
        String title = lc == null ? "output lengths" : String.format(Locale.ROOT, "output lengths: %d of %d within %d", lc.within(), lc.total(), lc.limit());
        CategoryChart c = new CategoryChartBuilder().width(700).height(400).title(title).xAxisTitle("code points").yAxisTitle("outputs").build();
        c.getStyler().setLegendVisible(false);
        c.getStyler().setAvailableSpaceFill(0.95);
        c.getStyler().setXAxisDecimalPattern("#0");
        c.getStyler().setXAxisLabelRotation(45);
        List<Double> v = new ArrayList<>();
        int max = 0;
        for (int l : lengths) {
            v.add((double) l);
            max = Math.max(max, l);
        }
        Histogram hist = new Histogram(v, 20, 0, Math.max(max, lc == null ? 1 : lc.limit()) + 1);
        c.addSeries("outputs", hist.getxAxisData(), hist.getyAxisData());
        return c;
    }

    private static void save(org.knowm.xchart.internal.chartpart.Chart<?, ?> chart, Path png) throws IOException {
        Files.createDirectories(png.toAbsolutePath().getParent());
        String f = png.toString();
        BitmapEncoder.saveBitmap(chart, f.substring(0, f.length() - 4), BitmapEncoder.BitmapFormat.PNG);
    }

    static String esc(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}

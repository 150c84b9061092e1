package dev.jllm.cli;

import dev.jllm.server.ops.OpsReport;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.internal.chartpart.Chart;
import org.knowm.xchart.style.markers.SeriesMarkers;

/** {@code jllm ops report --png}: mean answer length, median TTFT, and error + empty rates per bucket, one line per model version (XChart). */
final class OpsPlot {
    private OpsPlot() {}

    static void write(List<OpsReport.Row> rows, long bucketMs, Path png) throws IOException {
        System.setProperty("java.awt.headless", "true");
        Path parent = png.toAbsolutePath().getParent();
        if (parent != null) Files.createDirectories(parent);
        String file = png.toString();
        String base = file.toLowerCase(java.util.Locale.ROOT).endsWith(".png") ? file.substring(0, file.length() - 4) : file;
        String unit = bucketMs == 3_600_000L ? "hour" : "day";
        List<Chart<?, ?>> charts = new ArrayList<>();
        charts.add(chart("Mean answer length per " + unit + " (characters)", "characters", rows, r -> r.meanChars(), ""));
        charts.add(chart("Median TTFT per " + unit, "ms", rows, r -> r.medianTtftMs(), ""));
        XYChart rates = chart("Errors and empty answers per " + unit, "% of requests / answers", rows, r -> 100 * r.errorRate(), " errors");
        add(rates, rows, r -> 100 * r.emptyRate(), " empty");
        charts.add(rates);
        BitmapEncoder.saveBitmap(charts, charts.size(), 1, base, BitmapEncoder.BitmapFormat.PNG);
    }

    private static XYChart chart(String title, String axis, List<OpsReport.Row> rows, java.util.function.ToDoubleFunction<OpsReport.Row> f, String suffix) {
        XYChart c = new XYChartBuilder().width(1000).height(330).title(title).xAxisTitle("UTC").yAxisTitle(axis).build();
        c.getStyler().setDatePattern("MM-dd HH:mm");
        c.getStyler().setXAxisLabelRotation(30);
        c.getStyler().setLegendPosition(org.knowm.xchart.style.Styler.LegendPosition.OutsideE);
        add(c, rows, f, suffix);
        return c;
    }

    private static void add(XYChart c, List<OpsReport.Row> rows, java.util.function.ToDoubleFunction<OpsReport.Row> f, String suffix) {
        Map<String, List<OpsReport.Row>> series = new LinkedHashMap<>();
        for (OpsReport.Row r : rows) series.computeIfAbsent(r.model() + " " + (r.version() == null ? "-" : r.version()), k -> new ArrayList<>()).add(r);
        if (series.isEmpty()) {
            c.addSeries("no data" + suffix, List.of(new Date()), List.of(0.0));
            return;
        }
        for (Map.Entry<String, List<OpsReport.Row>> e : series.entrySet()) {
            List<Date> x = new ArrayList<>();
            List<Double> y = new ArrayList<>();
            for (OpsReport.Row r : e.getValue()) {
                double v = f.applyAsDouble(r);
                if (Double.isNaN(v)) continue;
                x.add(new Date(r.startMs()));
                y.add(v);
            }
            if (x.isEmpty()) continue;
            c.addSeries(e.getKey() + suffix, x, y).setMarker(SeriesMarkers.CIRCLE);
        }
    }
}

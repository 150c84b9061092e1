package dev.jllm.eval;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.Histogram;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.internal.chartpart.Chart;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * The PNG: for multi-turn runs, mean and P90 TTFT against the turn index (one line per run, named by
 * its label or scenario, so stateless resend, stateful KV reuse and evicted KV are compared on one
 * chart); otherwise the TTFT and TPOT distributions as histograms. Runs of separate invocations go on
 * one chart through their JSON files and {@code jllm plot --loadtest}.
 */
public final class ResultPlot {
    private static final int BINS = 20;

    private ResultPlot() {}

    public static void write(List<LoadRunner.Run> runs, Path png) throws IOException {
        System.setProperty("java.awt.headless", "true");
        Path parent = png.toAbsolutePath().getParent();
        if (parent != null) Files.createDirectories(parent);
        String file = png.toString();
        String base = file.toLowerCase(java.util.Locale.ROOT).endsWith(".png") ? file.substring(0, file.length() - 4) : file;
        List<Chart<?, ?>> charts = new ArrayList<>();
        if (runs.getFirst().config().turns() > 1) {
            charts.add(perTurn(runs));
        } else {
            for (LoadRunner.Run r : runs) {
                List<Double> ttft = new ArrayList<>(), tpot = new ArrayList<>();
                for (RequestResult q : r.requests()) {
                    if (!q.success()) continue;
                    ttft.add(q.ttftNanos() / 1e6);
                    if (q.outputTokens() > 1) tpot.add(q.tpotNanos() / 1e6);
                }
                charts.add(histogram("TTFT (" + r.config().name() + ")", "TTFT (ms)", ttft));
                charts.add(histogram("TPOT (" + r.config().name() + ")", "TPOT (ms)", tpot));
            }
        }
        if (charts.size() == 1) BitmapEncoder.saveBitmap(charts.getFirst(), base, BitmapEncoder.BitmapFormat.PNG);
        else BitmapEncoder.saveBitmap(charts, charts.size() / 2, 2, base, BitmapEncoder.BitmapFormat.PNG);
    }

    private static XYChart perTurn(List<LoadRunner.Run> runs) {
        XYChart c = new XYChartBuilder().width(900).height(500).title("TTFT per turn").xAxisTitle("turn").yAxisTitle("TTFT (ms)").build();
        for (LoadRunner.Run r : runs) {
            List<Integer> x = new ArrayList<>();
            List<Double> mean = new ArrayList<>(), p90 = new ArrayList<>();
            for (Summary.TurnStats t : r.summary().perTurn()) {
                if (t.completed() == 0) continue;
                x.add(t.turn());
                mean.add(t.ttft().mean());
                p90.add(t.ttft().p90());
            }
            if (x.isEmpty()) continue;
            String n = r.config().name();
            c.addSeries(n + " mean", x, mean).setMarker(SeriesMarkers.CIRCLE);
            c.addSeries(n + " P90", x, p90).setMarker(SeriesMarkers.DIAMOND);
        }
        return c;
    }

    private static CategoryChart histogram(String title, String axis, List<Double> values) {
        CategoryChart c = new CategoryChartBuilder().width(600).height(400).title(title).xAxisTitle(axis).yAxisTitle("requests").build();
        c.getStyler().setLegendVisible(false);
        c.getStyler().setXAxisDecimalPattern("#0");
        c.getStyler().setAvailableSpaceFill(0.95);
        c.getStyler().setXAxisLabelRotation(45);
        if (values.isEmpty()) {
            c.addSeries("none", List.of(0.0), List.of(0.0));
            return c;
        }
        double lo = values.stream().mapToDouble(Double::doubleValue).min().orElse(0);
        double hi = values.stream().mapToDouble(Double::doubleValue).max().orElse(1);
        if (hi <= lo) hi = lo + 1;
        Histogram h = new Histogram(values, BINS, lo, hi);
        c.addSeries(title, h.getxAxisData(), h.getyAxisData());
        return c;
    }
}

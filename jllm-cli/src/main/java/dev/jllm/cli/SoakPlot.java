package dev.jllm.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.internal.chartpart.Chart;
import org.knowm.xchart.style.markers.SeriesMarkers;

/** soak.png: the server's RSS, heap and live data after GC over time, and requests per minute by outcome, restarts shaded as gaps. */
final class SoakPlot {
    private SoakPlot() {}

    static void write(List<SoakCommand.Sample> samples, List<SoakCommand.Outcome> outcomes, List<long[]> down, Path png) throws IOException {
        System.setProperty("java.awt.headless", "true");
        String base = png.toString().replaceFirst("\\.png$", "");
        XYChart mem = new XYChartBuilder().width(1000).height(380).title("Server memory (restarts: where /health was down)")
                .xAxisTitle("minutes").yAxisTitle("MB").build();
        line(mem, "RSS", samples, SoakCommand.Sample::rssMb);
        line(mem, "heap used", samples, SoakCommand.Sample::heapMb);
        line(mem, "live heap after a full GC", samples, SoakCommand.Sample::liveMb);
        XYChart req = new XYChartBuilder().width(1000).height(330).title("Requests per minute").xAxisTitle("minutes").yAxisTitle("requests").build();
        Map<Long, int[]> perMin = new TreeMap<>();
        for (SoakCommand.Outcome o : outcomes) {
            int[] c = perMin.computeIfAbsent(o.atMs() / 60_000, k -> new int[3]);
            if (o.ok()) c[0]++;
            else if (o.status() == 0 || o.status() >= 500) c[1]++;
            else c[2]++;
        }
        String[] names = {"as expected", "5xx or connection failed", "other (429, 4xx where 200 was expected)"};
        for (int k = 0; k < 3; k++) {
            List<Double> x = new ArrayList<>(), y = new ArrayList<>();
            for (var e : perMin.entrySet()) {
                x.add((double) e.getKey());
                y.add((double) e.getValue()[k]);
            }
            if (x.isEmpty()) {
                x.add(0.0);
                y.add(0.0);
            }
            req.addSeries(names[k], x, y).setMarker(SeriesMarkers.CIRCLE);
        }
        for (long[] w : down) {
            double a = Math.max(0, w[0] / 60_000.0), b = w[1] / 60_000.0;
            mem.addSeries("restart " + String.format(java.util.Locale.ROOT, "%.1f", a), new double[] {a, b}, new double[] {0, 0}).setMarker(SeriesMarkers.NONE);
        }
        List<Chart<?, ?>> charts = List.of(mem, req);
        BitmapEncoder.saveBitmap(charts, 2, 1, base, BitmapEncoder.BitmapFormat.PNG);
    }

    private static void line(XYChart c, String name, List<SoakCommand.Sample> samples, java.util.function.ToDoubleFunction<SoakCommand.Sample> f) {
        List<Double> x = new ArrayList<>(), y = new ArrayList<>();
        for (SoakCommand.Sample s : samples) {
            double v = f.applyAsDouble(s);
            if (Double.isNaN(v)) continue;
            x.add(s.atMs() / 60_000.0);
            y.add(v);
        }
        if (x.isEmpty()) {
            x.add(0.0);
            y.add(0.0);
        }
        c.addSeries(name, x, y).setMarker(SeriesMarkers.NONE);
    }
}

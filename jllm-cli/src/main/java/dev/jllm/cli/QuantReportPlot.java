package dev.jllm.cli;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.function.ToDoubleFunction;

/**
 * quant-report's PNG, drawn with java.awt (headless) like {@link LossPlot}: quality against size —
 * ΔPPL % (left) and mean KL divergence (right, log scale) over bits per weight, one point per
 * type × method, coloured by method and labelled with the type.
 */
final class QuantReportPlot {
    private QuantReportPlot() {}

    private static final int W = 1100, H = 460, PAD = 60;

    static void write(List<QuantReportCommand.Row> rows, Path png) throws IOException {
        System.setProperty("java.awt.headless", "true");
        BufferedImage img = new BufferedImage(W, H, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, W, H);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        List<QuantReportCommand.Row> q = rows.stream().filter(r -> !r.method().equals("-")).toList();
        panel(g, q, 0, "ΔPPL % vs bits/weight", QuantReportCommand.Row::deltaPplPct, false);
        panel(g, q, W / 2, "mean KL divergence (log) vs bits/weight", QuantReportCommand.Row::meanKld, true);
        int lx = PAD;
        for (String m : List.of("rtn", "imatrix", "gptq")) {
            g.setColor(color(m));
            g.fillOval(lx, H - 22, 9, 9);
            g.setColor(Color.BLACK);
            g.drawString(m, lx + 14, H - 13);
            lx += 90;
        }
        g.dispose();
        Png.write(img, png);
    }

    static Color color(String method) {
        return switch (method) {
            case "rtn" -> new Color(200, 60, 50);
            case "imatrix" -> new Color(40, 110, 200);
            default -> new Color(30, 150, 70);
        };
    }

    private static void panel(Graphics2D g, List<QuantReportCommand.Row> rows, int x0, String title,
                              ToDoubleFunction<QuantReportCommand.Row> f, boolean log) {
        if (rows.isEmpty()) return;
        double xlo = Double.POSITIVE_INFINITY, xhi = Double.NEGATIVE_INFINITY, ylo = Double.POSITIVE_INFINITY, yhi = Double.NEGATIVE_INFINITY;
        for (var r : rows) {
            double y = f.applyAsDouble(r);
            if (log) y = Math.log10(Math.max(y, 1e-9));
            xlo = Math.min(xlo, r.bitsPerWeight());
            xhi = Math.max(xhi, r.bitsPerWeight());
            ylo = Math.min(ylo, y);
            yhi = Math.max(yhi, y);
        }
        if (!log) ylo = Math.min(ylo, 0);
        double xs = Math.max(0.5, xhi - xlo), ys = Math.max(1e-9, yhi - ylo);
        xlo -= 0.08 * xs;
        xhi += 0.08 * xs;
        ylo -= 0.08 * ys;
        yhi += 0.08 * ys;
        int left = x0 + PAD, right = x0 + W / 2 - 20, top = 40, bottom = H - 70;
        g.setColor(Color.BLACK);
        g.drawString(title, left, 22);
        g.drawRect(left, top, right - left, bottom - top);
        g.drawString(String.format(Locale.ROOT, "%.2f", xlo), left, bottom + 16);
        g.drawString(String.format(Locale.ROOT, "%.2f bits/weight", xhi), right - 100, bottom + 16);
        g.drawString(log ? String.format(Locale.ROOT, "%.1e", Math.pow(10, yhi)) : String.format(Locale.ROOT, "%.2f", yhi), x0 + 2, top + 10);
        g.drawString(log ? String.format(Locale.ROOT, "%.1e", Math.pow(10, ylo)) : String.format(Locale.ROOT, "%.2f", ylo), x0 + 2, bottom);
        final double fxlo = xlo, fxhi = xhi, fylo = ylo, fyhi = yhi;
        java.util.function.DoubleToIntFunction sx = v -> left + (int) ((v - fxlo) / (fxhi - fxlo) * (right - left));
        java.util.function.DoubleToIntFunction sy = v -> bottom - (int) ((v - fylo) / (fyhi - fylo) * (bottom - top));
        if (!log && ylo < 0 && yhi > 0) {
            g.setColor(Color.LIGHT_GRAY);
            g.drawLine(left, sy.applyAsInt(0), right, sy.applyAsInt(0));
        }
        g.setStroke(new BasicStroke(1.2f));
        for (var r : rows) {
            double y = f.applyAsDouble(r);
            if (log) y = Math.log10(Math.max(y, 1e-9));
            int px = sx.applyAsInt(r.bitsPerWeight()), py = sy.applyAsInt(y);
            g.setColor(color(r.method()));
            g.fillOval(px - 5, py - 5, 11, 11);
            g.setColor(Color.DARK_GRAY);
            g.drawString(r.type(), px + 8, py - 6);
        }
    }
}

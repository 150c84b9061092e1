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

/**
 * Stacked panels of named curves over steps (preference tuning's metrics: DPO's rewards, PPO's reward
 * and KL, …), drawn with java.awt (headless) like {@link LossPlot}. A series drawn as points is a
 * held-out measurement.
 */
final class MetricsPlot {
    private MetricsPlot() {}

    record Series(String label, double[] x, double[] y, Color color, boolean points) {}

    record Panel(String title, List<Series> series) {}

    static final Color[] COLORS = {new Color(30, 90, 200), new Color(210, 40, 40), new Color(30, 150, 60), new Color(200, 120, 0), new Color(120, 50, 170)};
    private static final int W = 900, PANEL = 240, PAD = 60;

    static void write(Path png, List<Panel> panels) throws IOException {
        write(png, panels, "step");
    }

    /** @param xName what the x axis counts (its ends are labelled "xName 1", "xName 6") */
    static void write(Path png, List<Panel> panels, String xName) throws IOException {
        System.setProperty("java.awt.headless", "true");
        BufferedImage img = new BufferedImage(W, PANEL * panels.size(), BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, W, PANEL * panels.size());
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        for (int i = 0; i < panels.size(); i++) panel(g, panels.get(i), i * PANEL, xName);
        g.dispose();
        Png.write(img, png);
    }

    private static void panel(Graphics2D g, Panel p, int y0, String xName) {
        double xlo = Double.POSITIVE_INFINITY, xhi = Double.NEGATIVE_INFINITY, lo = Double.POSITIVE_INFINITY, hi = Double.NEGATIVE_INFINITY;
        for (Series s : p.series()) {
            for (int i = 0; i < s.x().length; i++) {
                if (!Double.isFinite(s.y()[i])) continue;
                xlo = Math.min(xlo, s.x()[i]);
                xhi = Math.max(xhi, s.x()[i]);
                lo = Math.min(lo, s.y()[i]);
                hi = Math.max(hi, s.y()[i]);
            }
        }
        if (!(hi > lo)) hi = lo + 1;
        if (!(xhi > xlo)) xhi = xlo + 1;
        if (!Double.isFinite(lo)) { lo = 0; hi = 1; xlo = 0; xhi = 1; }
        int x0 = PAD, x1 = W - 20, top = y0 + 30, bottom = y0 + PANEL - 30;
        g.setColor(Color.BLACK);
        g.drawString(p.title(), x0, y0 + 18);
        g.drawRect(x0, top, x1 - x0, bottom - top);
        g.drawString(String.format(Locale.ROOT, "%.3g", hi), 2, top + 10);
        g.drawString(String.format(Locale.ROOT, "%.3g", lo), 2, bottom);
        g.drawString(String.format(Locale.ROOT, "%s %.0f", xName, xlo), x0, bottom + 15);
        String right = String.format(Locale.ROOT, "%s %.0f", xName, xhi);
        g.drawString(right, x1 - g.getFontMetrics().stringWidth(right), bottom + 15);
        int lx = x0 + 10;
        java.util.Set<String> shown = new java.util.HashSet<>();
        for (Series s : p.series()) {
            if (!shown.add(s.label())) continue; // replicas of one run share a label and a colour: one legend entry
            g.setColor(s.color());
            g.drawString(s.label(), lx, top + 15);
            lx += g.getFontMetrics().stringWidth(s.label()) + 20;
        }
        final double fxlo = xlo, fxhi = xhi, flo = lo, fhi = hi;
        java.util.function.DoubleUnaryOperator sx = v -> x0 + (v - fxlo) / (fxhi - fxlo) * (x1 - x0);
        java.util.function.DoubleUnaryOperator sy = v -> bottom - (v - flo) / (fhi - flo) * (bottom - top);
        g.setStroke(new BasicStroke(1.4f));
        for (Series s : p.series()) {
            g.setColor(s.color());
            int px = -1, py = -1;
            for (int i = 0; i < s.x().length; i++) {
                if (!Double.isFinite(s.y()[i])) { px = -1; continue; }
                int x = (int) sx.applyAsDouble(s.x()[i]), y = (int) sy.applyAsDouble(s.y()[i]);
                if (s.points()) g.fillOval(x - 3, y - 3, 7, 7);
                else if (px >= 0) g.drawLine(px, py, x, y);
                px = x;
                py = y;
            }
        }
    }

    /** A series from metric rows: (step, row.get(key)). */
    static Series of(String label, List<dev.jllm.train.pref.MetricsLog.Row> rows, String key, int color, boolean points) {
        double[] x = new double[rows.size()], y = new double[rows.size()];
        for (int i = 0; i < rows.size(); i++) {
            x[i] = rows.get(i).step();
            y[i] = rows.get(i).get(key);
        }
        return new Series(label, x, y, COLORS[color % COLORS.length], points);
    }
}

package dev.jllm.cli;

import dev.jllm.train.Trainer;
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
 * The end-of-run PNG: training loss (with validation points) above, gradient norm below, drawn with
 * java.awt (headless) so the CLI needs no charting library.
 */
final class LossPlot {
    private LossPlot() {}

    private static final int W = 900, PANEL = 300, PAD = 50;

    static void write(List<Trainer.StepReport> h, Path png) throws IOException {
        System.setProperty("java.awt.headless", "true");
        BufferedImage img = new BufferedImage(W, 2 * PANEL, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, W, 2 * PANEL);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        panel(g, h, 0, "loss (blue: train, red: validation)", r -> r.loss(), r -> r.valLoss());
        panel(g, h, PANEL, "gradient norm (before clipping)", r -> r.gradNorm(), null);
        g.dispose();
        Png.write(img, png);
    }

    private static void panel(Graphics2D g, List<Trainer.StepReport> h, int y0, String title, ToDoubleFunction<Trainer.StepReport> f,
                              ToDoubleFunction<Trainer.StepReport> second) {
        double lo = Double.POSITIVE_INFINITY, hi = Double.NEGATIVE_INFINITY;
        for (Trainer.StepReport r : h) {
            for (ToDoubleFunction<Trainer.StepReport> fn : second == null ? List.of(f) : List.of(f, second)) {
                double v = fn.applyAsDouble(r);
                if (Double.isFinite(v)) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
            }
        }
        if (!(hi > lo)) { hi = lo + 1; }
        int x0 = PAD, x1 = W - 20, top = y0 + 30, bottom = y0 + PANEL - 30;
        int first = h.get(0).step(), last = Math.max(first + 1, h.get(h.size() - 1).step());
        g.setColor(Color.BLACK);
        g.drawString(title, x0, y0 + 18);
        g.drawRect(x0, top, x1 - x0, bottom - top);
        g.drawString(String.format(Locale.ROOT, "%.3g", hi), 2, top + 10);
        g.drawString(String.format(Locale.ROOT, "%.3g", lo), 2, bottom);
        g.drawString("step " + first, x0, bottom + 15);
        g.drawString("step " + last, x1 - 70, bottom + 15);
        final double flo = lo, fhi = hi;
        java.util.function.IntUnaryOperator sx = s -> x0 + (int) ((long) (s - first) * (x1 - x0) / (last - first));
        java.util.function.DoubleToIntFunction sy = v -> bottom - (int) ((v - flo) / (fhi - flo) * (bottom - top));
        g.setStroke(new BasicStroke(1.2f));
        g.setColor(new Color(30, 90, 200));
        int px = -1, py = -1;
        for (Trainer.StepReport r : h) {
            double v = f.applyAsDouble(r);
            if (!Double.isFinite(v)) { px = -1; continue; }
            int x = sx.applyAsInt(r.step()), y = sy.applyAsInt(v);
            if (px >= 0) g.drawLine(px, py, x, y);
            px = x;
            py = y;
        }
        if (second != null) {
            g.setColor(new Color(210, 40, 40));
            for (Trainer.StepReport r : h) {
                double v = second.applyAsDouble(r);
                if (Double.isFinite(v)) g.fillOval(sx.applyAsInt(r.step()) - 3, sy.applyAsInt(v) - 3, 7, 7);
            }
        }
    }
}

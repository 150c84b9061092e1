package dev.jllm.cli;

import dev.jllm.train.FineTuner;
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
 * The end-of-run PNG of a fine-tuning run: the training loss of every data source (a moving average
 * over 10% of the run, since each step sees only a few samples per source) and the held-out loss
 * per source as dots — the picture that answers "did math survive while we trained code?".
 */
final class SourceLossPlot {
    private SourceLossPlot() {}

    private static final int W = 900, H = 420, PAD = 55;
    private static final Color[] COLORS = {new Color(30, 90, 200), new Color(210, 40, 40), new Color(30, 150, 60), new Color(200, 130, 0),
            new Color(130, 50, 170), new Color(0, 150, 160), new Color(120, 120, 120)};

    static void write(List<FineTuner.StepReport> h, List<String> sources, Path png) throws IOException {
        System.setProperty("java.awt.headless", "true");
        int S = sources.size(), n = h.size(), win = Math.max(1, n / 10);
        double[][] smooth = new double[S][n];
        double lo = Double.POSITIVE_INFINITY, hi = Double.NEGATIVE_INFINITY;
        for (int s = 0; s < S; s++) {
            for (int i = 0; i < n; i++) {
                double sum = 0;
                int k = 0;
                for (int j = Math.max(0, i - win + 1); j <= i; j++) {
                    float v = h.get(j).sourceLoss()[s];
                    if (Float.isFinite(v)) { sum += v; k++; }
                }
                smooth[s][i] = k == 0 ? Double.NaN : sum / k;
                if (k > 0) { lo = Math.min(lo, smooth[s][i]); hi = Math.max(hi, smooth[s][i]); }
                float[] val = h.get(i).valSourceLoss();
                if (val != null && Float.isFinite(val[s])) { lo = Math.min(lo, val[s]); hi = Math.max(hi, val[s]); }
            }
        }
        if (!(hi > lo)) hi = lo + 1;
        BufferedImage img = new BufferedImage(W, H, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, W, H);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        int x0 = PAD, x1 = W - 160, top = 30, bottom = H - 40;
        int first = h.getFirst().step(), last = Math.max(first + 1, h.getLast().step());
        g.setColor(Color.BLACK);
        g.drawString("loss per data source (lines: train, moving average of " + win + " steps; dots: held-out)", x0, 18);
        g.drawRect(x0, top, x1 - x0, bottom - top);
        g.drawString(String.format(Locale.ROOT, "%.3g", hi), 2, top + 10);
        g.drawString(String.format(Locale.ROOT, "%.3g", lo), 2, bottom);
        g.drawString("step " + first, x0, bottom + 15);
        g.drawString("step " + last, x1 - 70, bottom + 15);
        final double flo = lo, fhi = hi;
        java.util.function.IntUnaryOperator sx = st -> x0 + (int) ((long) (st - first) * (x1 - x0) / (last - first));
        java.util.function.DoubleToIntFunction sy = v -> bottom - (int) ((v - flo) / (fhi - flo) * (bottom - top));
        g.setStroke(new BasicStroke(1.5f));
        for (int s = 0; s < S; s++) {
            g.setColor(COLORS[s % COLORS.length]);
            int px = -1, py = -1;
            for (int i = 0; i < n; i++) {
                if (!Double.isFinite(smooth[s][i])) { px = -1; continue; }
                int x = sx.applyAsInt(h.get(i).step()), y = sy.applyAsInt(smooth[s][i]);
                if (px >= 0) g.drawLine(px, py, x, y);
                px = x;
                py = y;
                float[] val = h.get(i).valSourceLoss();
                if (val != null && Float.isFinite(val[s])) g.fillOval(x - 4, sy.applyAsInt(val[s]) - 4, 9, 9);
            }
            g.drawString(sources.get(s), x1 + 15, top + 20 + 18 * s);
            g.fillRect(x1 + 5, top + 11 + 18 * s, 7, 7);
        }
        g.dispose();
        Png.write(img, png);
    }
}

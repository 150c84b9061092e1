package dev.jllm.cli;

import java.io.PrintWriter;
import java.util.Locale;

/**
 * A one-line progress bar on stderr: percentage, bar, done/total, rate, ETA. Redraws at most
 * 10 times a second; when stderr is not a terminal it prints a line every 10% instead.
 */
final class Progress implements AutoCloseable {
    private final PrintWriter err;
    private final String label;
    private final long total;
    private final boolean bytes;
    private final boolean tty = System.console() != null;
    private final long start = System.nanoTime();
    private long done, lastDraw;
    private int lastDecile = -1;

    Progress(PrintWriter err, String label, long total, boolean bytes) {
        this.err = err;
        this.label = label;
        this.total = Math.max(1, total);
        this.bytes = bytes;
    }

    synchronized void add(long n) {
        done += n;
        long now = System.nanoTime();
        if (tty && now - lastDraw > 100_000_000L) {
            lastDraw = now;
            draw(false);
        } else if (!tty) {
            int decile = (int) (10 * done / total);
            if (decile != lastDecile && decile < 10) {
                lastDecile = decile;
                draw(true);
            }
        }
    }

    private void draw(boolean newline) {
        double secs = (System.nanoTime() - start) / 1e9;
        double frac = Math.min(1.0, done / (double) total);
        double rate = done / Math.max(secs, 1e-9);
        long eta = rate > 0 ? (long) ((total - done) / rate) : -1;
        int width = 24, fill = (int) (frac * width);
        String bar = "#".repeat(fill) + ".".repeat(width - fill);
        String amount = bytes ? Units.bytes(done) + "/" + Units.bytes(total) + " " + Units.bytes(rate) + "/s"
                : done + "/" + total + String.format(Locale.ROOT, " %.1f/s", rate);
        err.printf(Locale.ROOT, "%s%s %3.0f%% [%s] %s ETA %s%s", tty ? "\r" : "", label, frac * 100, bar, amount,
                eta < 0 ? "?" : eta / 60 + "m" + String.format(Locale.ROOT, "%02d", eta % 60) + "s", newline ? "\n" : "");
        err.flush();
    }

    double seconds() {
        return (System.nanoTime() - start) / 1e9;
    }

    @Override
    public synchronized void close() {
        if (tty) {
            draw(false);
            err.println();
        }
        err.flush();
    }
}

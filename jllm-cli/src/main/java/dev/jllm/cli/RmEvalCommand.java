package dev.jllm.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.jllm.eval.metrics.Bootstrap;
import dev.jllm.eval.metrics.RewardReport;
import dev.jllm.tensor.Parallel;
import dev.jllm.train.pref.PairBatch;
import dev.jllm.train.pref.PreferencePair;
import dev.jllm.train.pref.RewardModel;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code jllm rm eval}: how good is a reward model on preference pairs, and has it collapsed? Exit 0
 * when it passes, 3 when the collapse verdict fails (the report's red line says why).
 */
@Command(name = "eval", mixinStandardHelpOptions = true,
        description = {"Check a reward model on preference pairs: pairwise accuracy with a bootstrap CI, score mean/std and histogram,",
            "Spearman ρ (ties averaged) between score differences and the data's margin/rank column, and a collapse verdict:",
            "exit 3 and a red line when the scores barely vary or the accuracy's CI contains 0.5."})
final class RmEvalCommand implements Callable<Integer> {
    static final int COLLAPSED = 3;
    @Spec CommandSpec spec;
    @Option(names = "--model", required = true, paramLabel = "RM.gguf") Path model;
    @Option(names = "--data", required = true, paramLabel = "FILE", description = "preference pairs (any shape jllm dpo reads)") Path data;
    @Option(names = "--format", defaultValue = "auto") String format;
    @Option(names = "--seq", description = "longest prompt + answer (default: the model's context, at most 256)") Integer seq;
    @Option(names = "--batch", defaultValue = "16", description = "pairs per forward pass") int batch;
    @Option(names = "--report", paramLabel = "DIR", description = "report.html (verdict), report.json, scores.csv, histogram.png") Path report;
    @Option(names = "--json", description = "print the report as JSON (accuracy, its CI, mean, std, rho, collapsed, reasons)") boolean json;
    @Option(names = "--resamples", defaultValue = "10000") int resamples;
    @Option(names = "--seed", defaultValue = "0") long seed;
    @Option(names = {"-t", "--threads"}) Integer threads;

    @Override
    public Integer call() throws Exception {
        PrintWriter o = spec.commandLine().getOut();
        PrefData d = PrefData.forModel(model, json ? null : o);
        d.read(data, dev.jllm.sft.Format.parse(format), false, d.seq(seq), 0, 0, json ? null : o);
        int n = d.pairs.size();
        double[] c = new double[n], r = new double[n], m = new double[n];
        try (Parallel pool = new Parallel(threads != null ? threads : Runtime.getRuntime().availableProcessors())) {
            RewardModel rm = RewardModel.load(model, pool);
            for (int from = 0; from < n; from += batch) {
                List<PreferencePair> part = d.pairs.subList(from, Math.min(n, from + batch));
                double[] s = rm.score(PairBatch.of(part));
                for (int i = 0; i < part.size(); i++) {
                    c[from + i] = s[2 * i];
                    r[from + i] = s[2 * i + 1];
                    m[from + i] = part.get(i).margin();
                }
            }
        }
        RewardReport rep = RewardReport.of(c, r, m, new Bootstrap.Config(resamples, seed, 0.95));
        String column = d.records.isEmpty() ? "" : d.records.getFirst().marginColumn();
        ObjectNode j = new ObjectMapper().createObjectNode();
        j.put("pairs", n).put("accuracy", rep.accuracy().value()).put("accuracy_ci_low", rep.accuracy().lo()).put("accuracy_ci_high", rep.accuracy().hi())
                .put("confidence", 0.95).put("score_mean", rep.mean()).put("score_std", rep.std());
        if (Double.isNaN(rep.rho())) j.putNull("spearman_rho");
        else j.put("spearman_rho", rep.rho());
        j.put("rho_pairs", rep.rhoPairs()).put("rho_column", column).put("collapsed", rep.collapsed());
        rep.reasons().forEach(j.putArray("reasons")::add);
        rep.warnings().forEach(j.putArray("warnings")::add);
        if (json) {
            o.println(j.toPrettyString());
        } else {
            o.printf(Locale.ROOT, "pairs %d%naccuracy %s (95%% bootstrap CI, ties count half)%nscores: mean %.4f, std %.4f%n", n, rep.accuracy().format(3), rep.mean(), rep.std());
            o.println(Double.isNaN(rep.rho()) ? "Spearman ρ: no margin/rank column in the data"
                    : String.format(Locale.ROOT, "Spearman ρ(score difference, %s) %.3f over %d pairs (the seed's bar: > %.1f)", column, rep.rho(), rep.rhoPairs(), RewardReport.MIN_RHO));
            for (String w : rep.warnings()) o.println("warning: " + w);
            if (rep.collapsed()) for (String why : rep.reasons()) o.println("\u001b[31mCOLLAPSED: " + why + "\u001b[0m");
            else o.println("verdict: not collapsed");
        }
        if (report != null) {
            Files.createDirectories(report);
            Files.writeString(report.resolve("report.json"), j.toPrettyString() + "\n");
            StringBuilder csv = new StringBuilder("pair,chosen,rejected,difference,margin\n");
            for (int i = 0; i < n; i++) csv.append(String.format(Locale.ROOT, "%d,%.6f,%.6f,%.6f,%s%n", i, c[i], r[i], c[i] - r[i], Double.isNaN(m[i]) ? "" : m[i]));
            Files.writeString(report.resolve("scores.csv"), csv);
            histogram(report.resolve("histogram.png"), c, r);
            Files.writeString(report.resolve("report.html"), html(rep, column), StandardCharsets.UTF_8);
            if (!json) o.println("report: " + report.resolve("report.html"));
        }
        o.flush();
        return rep.collapsed() ? COLLAPSED : 0;
    }

    static String html(RewardReport rep, String column) {
        StringBuilder b = new StringBuilder("<!doctype html><meta charset=utf-8><title>reward model report</title><body style='font-family:sans-serif'>\n<h1>Reward model report</h1>\n");
        if (rep.collapsed()) for (String why : rep.reasons()) b.append("<p style='color:#c00;font-weight:bold'>COLLAPSED: ").append(esc(why)).append("</p>\n");
        else b.append("<p style='color:#080;font-weight:bold'>Not collapsed.</p>\n");
        for (String w : rep.warnings()) b.append("<p style='color:#b60'>warning: ").append(esc(w)).append("</p>\n");
        b.append(String.format(Locale.ROOT, "<table><tr><td>pairs</td><td>%d</td></tr><tr><td>accuracy (95%% CI)</td><td>%s</td></tr>"
                + "<tr><td>score mean / std</td><td>%.4f / %.4f</td></tr><tr><td>Spearman ρ vs %s</td><td>%s</td></tr></table>\n",
                rep.pairs(), rep.accuracy().format(3), rep.mean(), rep.std(), column.isEmpty() ? "(no column)" : esc(column),
                Double.isNaN(rep.rho()) ? "–" : String.format(Locale.ROOT, "%.3f (%d pairs)", rep.rho(), rep.rhoPairs())));
        return b.append("<img src='histogram.png'>\n</body>\n").toString();
    }

    private static String esc(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
    }

    /** Two overlaid histograms (chosen green, rejected red) on the same 40 bins. */
    static void histogram(Path png, double[] chosen, double[] rejected) throws java.io.IOException {
        System.setProperty("java.awt.headless", "true");
        double lo = Double.POSITIVE_INFINITY, hi = Double.NEGATIVE_INFINITY;
        for (double[] a : List.of(chosen, rejected)) for (double v : a) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
        if (!(hi > lo)) { lo -= 0.5; hi += 0.5; }
        int bins = 40, W = 800, H = 300, pad = 40;
        int[][] counts = new int[2][bins];
        List<double[]> sets = new ArrayList<>(List.of(chosen, rejected));
        int max = 1;
        for (int s = 0; s < 2; s++) {
            for (double v : sets.get(s)) {
                int k = Math.min(bins - 1, (int) ((v - lo) / (hi - lo) * bins));
                max = Math.max(max, ++counts[s][k]);
            }
        }
        BufferedImage img = new BufferedImage(W, H, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, W, H);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        Color[] col = {new Color(30, 150, 60, 150), new Color(210, 40, 40, 150)};
        double bw = (W - 2.0 * pad) / bins;
        for (int s = 0; s < 2; s++) {
            g.setColor(col[s]);
            for (int k = 0; k < bins; k++) {
                int h = (int) ((H - 2.0 * pad) * counts[s][k] / max);
                g.fillRect((int) (pad + k * bw), H - pad - h, (int) Math.ceil(bw), h);
            }
        }
        g.setColor(Color.BLACK);
        g.drawString("reward scores: chosen (green), rejected (red)", pad, 20);
        g.drawString(String.format(Locale.ROOT, "%.3g", lo), pad, H - 15);
        g.drawString(String.format(Locale.ROOT, "%.3g", hi), W - pad - 40, H - 15);
        g.dispose();
        Png.write(img, png);
    }
}

package dev.jllm.cli;

import static org.junit.jupiter.api.Assertions.*;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code jllm plot}: one panel per metric, one line per run; bad input named by file, line and column. */
class PlotCommandTest {
    @TempDir Path dir;

    @Test
    void drawsOnePanelPerMetricAndOneLinePerRun() throws Exception {
        Path a = dir.resolve("a.csv"), b = dir.resolve("b.csv"), a2 = dir.resolve("a2.csv"), png = dir.resolve("runs.png");
        Files.writeString(a, "step,env/reward_mean,objective/kl\n1,0,0\n2,0.5,1.5\n3,1,3\n");
        Files.writeString(b, "step,env/reward_mean,objective/kl\n1,0,0\n2,0.1,\n3,0.2,0.1\n");
        Files.writeString(a2, "step,env/reward_mean,objective/kl\n1,0,0\n2,0.7,2\n3,0.9,2.5\n");
        CliTest.Run r = CliTest.run("plot", "--csv", "β 0.01=" + a, "--csv", "β 0.5=" + b, "--csv", "β 0.01=" + a2, "--metric", "env/reward_mean=mean reward",
                "--metric", "objective/kl", "--out", png.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("2 panels, 3 runs"), r.out());
        BufferedImage img = ImageIO.read(png.toFile());
        assertEquals(2 * 240, img.getHeight(), "one 240-pixel panel per metric");
        // both runs are drawn: pixels in the first two series colours
        boolean blue = false, red = false, green = false;
        for (int y = 0; y < img.getHeight(); y++) for (int x = 0; x < img.getWidth(); x++) {
            int rgb = img.getRGB(x, y) & 0xFFFFFF;
            blue |= rgb == (MetricsPlot.COLORS[0].getRGB() & 0xFFFFFF);
            red |= rgb == (MetricsPlot.COLORS[1].getRGB() & 0xFFFFFF);
            green |= rgb == (MetricsPlot.COLORS[2].getRGB() & 0xFFFFFF);
        }
        assertTrue(blue && red, "a line for each run");
        assertFalse(green, "the replica of β 0.01 is drawn in its colour, not a third one");
    }

    /** A run of a {@code jllm loadtest --json} file, with its per-turn table's columns. */
    private static String loadtestRun(String label, double... ttft) {
        StringBuilder b = new StringBuilder("{\"label\":\"" + label + "\",\"scenario\":\"stateful-evict\",\"per_turn\":[");
        for (int t = 0; t < ttft.length; t++) {
            if (t > 0) b.append(',');
            b.append("{\"turn\":").append(t + 1).append(",\"completed\":2,\"mean_prompt_tokens\":").append(100 * (t + 1))
                    .append(",\"mean_cached_tokens\":").append(90 * t).append(",\"mean_ttft_ms\":").append(ttft[t]).append(",\"p90_ttft_ms\":")
                    .append(ttft[t] * 1.2).append('}');
        }
        return b.append("]}").toString();
    }

    @Test
    void loadtestResultsArePlottedPerTurnOneLinePerRun() throws Exception {
        Path two = dir.resolve("two.json"), one = dir.resolve("one.json"), png = dir.resolve("ttft.png");
        Files.writeString(two, "{\"warm\":" + loadtestRun("warm", 50, 55, 60) + ",\"disk\":" + loadtestRun("disk", 50, 70, 80) + "}");
        Files.writeString(one, loadtestRun("stateful-evict", 50, 400, 800));
        CliTest.Run r = CliTest.run("plot", "--loadtest", two.toString(), "--loadtest", "re-prefill=" + one, "--metric", "mean_ttft_ms=mean TTFT (ms)",
                "--out", png.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("1 panels, 3 runs"), r.out());
        BufferedImage img = ImageIO.read(png.toFile());
        boolean[] seen = new boolean[3];
        for (int y = 0; y < img.getHeight(); y++) for (int x = 0; x < img.getWidth(); x++) {
            int rgb = img.getRGB(x, y) & 0xFFFFFF;
            for (int c = 0; c < 3; c++) seen[c] |= rgb == (MetricsPlot.COLORS[c].getRGB() & 0xFFFFFF);
        }
        assertTrue(seen[0] && seen[1] && seen[2], "warm, disk and re-prefill each a line of its own colour");

        CliTest.Run renamed = CliTest.run("plot", "--loadtest", "x=" + two, "--metric", "mean_ttft_ms", "--out", png.toString());
        assertEquals(1, renamed.code());
        assertTrue(renamed.err().contains("holds 2 runs (warm, disk)") && renamed.err().contains("drop 'x='"), renamed.err());
        Path csv = dir.resolve("a.csv");
        Files.writeString(csv, "step,loss\n1,2\n");
        CliTest.Run notLoadtest = CliTest.run("plot", "--loadtest", csv.toString(), "--metric", "mean_ttft_ms", "--out", png.toString());
        assertEquals(1, notLoadtest.code());
        assertTrue(notLoadtest.err().contains("is not JSON"), notLoadtest.err());
        Files.writeString(csv.resolveSibling("b.json"), "{\"completed\":3}");
        CliTest.Run noTurns = CliTest.run("plot", "--loadtest", csv.resolveSibling("b.json").toString(), "--metric", "mean_ttft_ms", "--out", png.toString());
        assertTrue(noTurns.code() == 1 && noTurns.err().contains("has no per_turn table"), noTurns.err());
        CliTest.Run nothing = CliTest.run("plot", "--metric", "loss", "--out", png.toString());
        assertTrue(nothing.code() == 1 && nothing.err().contains("nothing to plot"), nothing.err());
        CliTest.Run column = CliTest.run("plot", "--loadtest", one.toString(), "--metric", "ttft", "--out", png.toString());
        assertTrue(column.code() == 1 && column.err().contains("has no column 'ttft'") && column.err().contains("mean_ttft_ms"), column.err());
    }

    @Test
    void badInputIsNamed() throws Exception {
        Path a = dir.resolve("a.csv"), png = dir.resolve("x.png");
        Files.writeString(a, "step,loss\n1,2.5\n2,oops\n");
        CliTest.Run r = CliTest.run("plot", "--csv", "run=" + a, "--metric", "loss", "--out", png.toString());
        assertEquals(1, r.code());
        assertTrue(r.err().contains("line 3, column 'loss': 'oops' is not a number"), r.err());

        Files.writeString(a, "step,loss\n1,2.5\n");
        r = CliTest.run("plot", "--csv", "run=" + a, "--metric", "kl", "--out", png.toString());
        assertEquals(1, r.code());
        assertTrue(r.err().contains("has no column 'kl' (it has step, loss)"), r.err());

        r = CliTest.run("plot", "--csv", a.toString(), "--metric", "loss", "--out", png.toString());
        assertTrue(r.code() == 1 && r.err().contains("--csv wants LABEL=FILE"), r.err());
        r = CliTest.run("plot", "--csv", "run=" + dir.resolve("missing.csv"), "--metric", "loss", "--out", png.toString());
        assertTrue(r.code() == 1 && r.err().contains("no such file"), r.err());
        assertFalse(Files.exists(png));
    }
}

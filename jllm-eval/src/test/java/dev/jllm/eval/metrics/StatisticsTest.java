package dev.jllm.eval.metrics;

import static org.junit.jupiter.api.Assertions.*;

import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Bootstrap, items needed, paired bootstrap and McNemar. */
class StatisticsTest {

    private static double[] correct(int k, int n) {
        double[] s = new double[n];
        Arrays.fill(s, 0, k, 1.0);
        return s;
    }

    @Test
    void bootstrapOf172OutOf200() {
        // the acceptance: about [0.81, 0.905]; the normal approximation gives 0.86 ± 0.048 = [0.812, 0.908]
        Interval ci = new Bootstrap(Bootstrap.Config.DEFAULT).mean(correct(172, 200)).interval();
        assertEquals(0.86, ci.value(), 1e-12);
        assertEquals(0.81, ci.lo(), 0.0051, ci.toString());
        assertEquals(0.905, ci.hi(), 0.0051, ci.toString());
        assertTrue(ci.toString().matches("0\\.860 \\[0\\.8\\d\\d, 0\\.9\\d\\d] ±0\\.0\\d\\d"), ci.toString());
    }

    @Test
    void bootstrapIsSeeded() {
        double[] s = correct(30, 100);
        Bootstrap.Config c = new Bootstrap.Config(2000, 7, 0.95);
        assertArrayEquals(new Bootstrap(c).mean(s).distribution(), new Bootstrap(c).mean(s).distribution());
        assertFalse(Arrays.equals(new Bootstrap(c).mean(s).distribution(),
                new Bootstrap(new Bootstrap.Config(2000, 8, 0.95)).mean(s).distribution()));
        assertThrows(IllegalArgumentException.class, () -> new Bootstrap.Config(10, 0, 0.95));
        assertThrows(IllegalArgumentException.class, () -> new Bootstrap.Config(1000, 0, 1.5));
    }

    @Test
    void itemsNeededAgreesWithTheNormalApproximation() {
        // n = z² p(1-p) / h² with z = 1.959964: 200 items at 0.86 -> h = 1.96 * sqrt(0.86 * 0.14 / 200) = 0.0481
        assertEquals(1.959964, SampleSize.z(0.95), 1e-6);
        assertEquals(0.0481, SampleSize.halfWidth(0.86, 200, 0.95), 1e-4);
        // ±3 %: 3.8415 * 0.1204 / 0.0009 = 513.9 -> 514 items
        assertEquals(514, SampleSize.itemsFor(0.86, 0.03, 0.95));
        // the classic worst case p = 0.5, ±3 %: 1067 items
        assertEquals(1068, SampleSize.itemsFor(0.5, 0.03, 0.95)); // 1067.07 rounds up
        assertEquals(2.575829, SampleSize.z(0.99), 1e-6);
    }

    @Test
    void bootstrapIntervalContainsTheValueAndMatchesTheNormalWidth() {
        // for 200 items with 20..80 % right, the percentile interval's half-width is within 15 % of z·sqrt(p(1-p)/n)
        for (int k = 40; k <= 160; k += 7) {
            double p = k / 200.0;
            Interval ci = new Bootstrap(new Bootstrap.Config(4000, k, 0.95)).mean(correct(k, 200)).interval();
            assertTrue(ci.lo() <= ci.value() && ci.value() <= ci.hi(), ci.toString());
            assertEquals(SampleSize.halfWidth(p, 200, 0.95), ci.halfWidth(), 0.15 * SampleSize.halfWidth(p, 200, 0.95), ci.toString());
        }
    }

    @Test
    void corpusBleuBootstrapRecomputesFromSummedStatistics() {
        List<String> hyps = List.of("The dog bit the man.", "It wasn't surprising.", "The man had just bitten him.");
        List<List<String>> refs = List.of(List.of("The dog bit the man.", "It was not unexpected.", "The man bit him first."),
                List.of("The dog had bit the man.", "No one was surprised.", "The man had bitten the dog."));
        Bleu bleu = new Bleu(Bleu.Config.corpus(BleuTokenizer.T13A));
        Bootstrap.Result r = new Bootstrap(new Bootstrap.Config(1000, 0, 0.95)).of(bleu.stats(hyps, refs));
        assertEquals(bleu.corpus(hyps, refs).score(), r.interval().value(), 1e-12);
        // (with three segments the percentile interval need not contain the value: BLEU of a resample is not a mean)
        assertTrue(r.interval().lo() <= r.interval().hi());
        // every resample is a real corpus BLEU of three of these segments, so within [0, 100]
        assertTrue(r.distribution()[0] >= 0 && r.distribution()[r.distribution().length - 1] <= 100 + 1e-9);
    }

    @Test
    void pairedBootstrap() {
        // B = A with 20 more items right out of 200: a clear difference
        double[] a = correct(150, 200), b = correct(170, 200);
        PairedBootstrap.Result r = new PairedBootstrap(Bootstrap.Config.DEFAULT).compare(ItemStats.means(a), ItemStats.means(b));
        assertEquals(-0.10, r.difference().value(), 1e-12);
        assertTrue(r.difference().hi() < 0, r.difference().toString());
        assertTrue(r.pValue() < 0.001, "p " + r.pValue());
        // identical systems: difference 0, p = 1
        PairedBootstrap.Result same = new PairedBootstrap(Bootstrap.Config.DEFAULT).compare(ItemStats.means(a), ItemStats.means(a));
        assertEquals(0.0, same.difference().value());
        assertEquals(1.0, same.pValue(), 1e-12);
        // two systems that differ on 2 items of 200 in opposite directions: no evidence
        double[] c = a.clone();
        c[0] = 0;
        c[199] = 1;
        assertTrue(new PairedBootstrap(Bootstrap.Config.DEFAULT).compare(ItemStats.means(a), ItemStats.means(c)).pValue() > 0.5);
    }

    @Test
    void mcNemar() {
        // R's mcnemar.test documentation example (Agresti 1990, p. 350, presidential approval, 1600 people):
        // discordant 150 and 86 -> "McNemar's chi-squared = 16.818, df = 1, p-value = 4.115e-05"
        McNemar m = McNemar.of(794, 150, 86, 570);
        assertEquals(McNemar.Method.CHI_SQUARE_CORRECTED, m.method());
        assertEquals(16.818, m.statistic(), 5e-4);
        assertEquals(4.115e-05, m.pValue(), 5e-8);
        // few discordant items: exact binomial. 8 vs 0: p = 2 * 0.5^8 = 0.0078125 (by hand)
        McNemar e = McNemar.of(5, 0, 8, 7);
        assertEquals(McNemar.Method.EXACT_BINOMIAL, e.method());
        assertEquals(0.0078125, e.pValue(), 1e-12);
        // 3 vs 5: p = 2 * (1 + 8 + 28 + 56) / 256 = 0.7265625 (by hand)
        assertEquals(0.7265625, McNemar.of(0, 3, 5, 0).pValue(), 1e-12);
        assertEquals(1.0, McNemar.of(10, 0, 0, 10).pValue());
        boolean[] x = {true, true, false, false}, y = {true, false, true, false};
        McNemar f = McNemar.of(x, y);
        assertEquals(List.of(1, 1, 1, 1), List.of(f.bothRight(), f.onlyA(), f.onlyB(), f.bothWrong()));
    }
}

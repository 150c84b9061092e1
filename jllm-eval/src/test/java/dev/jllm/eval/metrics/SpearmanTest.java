package dev.jllm.eval.metrics;

import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.Test;

/** Spearman's ρ with ties against scipy.stats.spearmanr and by hand; the reward-model collapse verdict. */
class SpearmanTest {
    @Test
    void tiesGetTheMeanRankAsScipyRankdata() {
        assertArrayEquals(new double[] {3, 1.5, 1.5, 5, 4}, Spearman.ranks(new double[] {0.3, 0.1, 0.1, 0.9, 0.5}));
        assertArrayEquals(new double[] {2, 2, 2, 4}, Spearman.ranks(new double[] {7, 7, 7, 9}));
    }

    @Test
    void matchesScipyWithTies() {
        // scipy 1.17.1: spearmanr([1,2,2,3,5,5,5,8], [2,1,4,4,6,5,7,7]).statistic = 0.9007775105401477
        assertEquals(0.9007775105401477, Spearman.rho(new double[] {1, 2, 2, 3, 5, 5, 5, 8}, new double[] {2, 1, 4, 4, 6, 5, 7, 7}), 1e-12);
        // by hand: ranks x = (3, 1.5, 1.5, 5, 4), y = (1.5, 1.5, 3, 4.5, 4.5), both mean 3;
        // Σdx·dy = 0 + 2.25 + 0 + 3 + 1.5 = 6.75, Σdx² = 9.5, Σdy² = 9 → ρ = 6.75/√85.5 = 0.72999639508843 (scipy: 0.7299963950884315)
        assertEquals(6.75 / Math.sqrt(85.5), Spearman.rho(new double[] {0.3, 0.1, 0.1, 0.9, 0.5}, new double[] {1, 1, 2, 3, 3}), 1e-12);
        assertEquals(-1, Spearman.rho(new double[] {1, 2, 3}, new double[] {3, 2, 1}), 1e-12);
        assertTrue(Double.isNaN(Spearman.rho(new double[] {1, 1, 1}, new double[] {1, 2, 3})), "a constant sample has no ranking");
    }

    @Test
    void aConstantRewardModelIsCollapsedAndASeparatingOneIsNot() {
        int n = 200;
        double[] c = new double[n], r = new double[n], m = new double[n];
        java.util.SplittableRandom rnd = new java.util.SplittableRandom(1);
        for (int i = 0; i < n; i++) {
            m[i] = 1 + rnd.nextInt(3);
            c[i] = 0.8;
            r[i] = 0.8;
        }
        RewardReport flat = RewardReport.of(c, r, m, Bootstrap.Config.DEFAULT);
        assertTrue(flat.collapsed());
        assertEquals(2, flat.reasons().size(), flat.reasons().toString()); // no spread, and accuracy 0.5 exactly
        for (int i = 0; i < n; i++) {
            c[i] = 0.8 + 0.5 * m[i] + 0.1 * rnd.nextGaussian();
            r[i] = 0.8 + 0.1 * rnd.nextGaussian();
        }
        RewardReport good = RewardReport.of(c, r, m, Bootstrap.Config.DEFAULT);
        assertFalse(good.collapsed(), good.reasons().toString());
        assertTrue(good.accuracy().value() > 0.95);
        assertTrue(good.rho() > 0.8, "ρ " + good.rho());
        // a coin: scores vary but do not order the pairs
        for (int i = 0; i < n; i++) {
            c[i] = rnd.nextGaussian();
            r[i] = rnd.nextGaussian();
        }
        RewardReport coin = RewardReport.of(c, r, m, Bootstrap.Config.DEFAULT);
        assertTrue(coin.collapsed());
        assertTrue(coin.reasons().getFirst().contains("contains 0.5"), coin.reasons().toString());
    }
}

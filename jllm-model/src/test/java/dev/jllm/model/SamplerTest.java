package dev.jllm.model;

import static org.junit.jupiter.api.Assertions.*;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SamplerTest {

    static SamplingParams params(float temp, int topK, float topP, float minP, long seed) {
        return new SamplingParams(temp, topK, topP, minP, 1f, 0f, 0f, 64, Map.of(), seed, 16, List.of(), false);
    }

    /** logits = ln(probs): softmax at temperature 1 gives back probs. */
    static float[] logitsOf(double... probs) {
        float[] l = new float[probs.length];
        for (int i = 0; i < l.length; i++) l[i] = (float) Math.log(probs[i]);
        return l;
    }

    static int[] histogram(SamplingParams sp, double[] probs, int draws) {
        Sampler s = new Sampler(sp);
        int[] h = new int[probs.length];
        for (int i = 0; i < draws; i++) h[s.sample(logitsOf(probs))]++;
        return h;
    }

    @Test
    void greedyPicksTheLargestLogitLowestIndexOnTies() {
        Sampler s = new Sampler(SamplingParams.GREEDY);
        assertEquals(2, s.sample(new float[] {0.1f, 0.5f, 0.9f, 0.9f}));
    }

    @Test
    void drawsFollowTheDistribution() {
        double[] probs = {0.5, 0.3, 0.15, 0.05};
        int n = 40_000;
        int[] h = histogram(params(1f, 0, 1f, 0f, 7), probs, n);
        for (int i = 0; i < probs.length; i++) {
            double sd = Math.sqrt(n * probs[i] * (1 - probs[i]));
            assertEquals(n * probs[i], h[i], 5 * sd, "token " + i);
        }
    }

    @Test
    void topPKeepsTheSmallestNucleus() {
        // cumulative 0.5, 0.8 → top_p 0.75 keeps tokens 0 and 1; renormalised 0.625 / 0.375
        int[] h = histogram(params(1f, 0, 0.75f, 0f, 3), new double[] {0.5, 0.3, 0.15, 0.05}, 20_000);
        assertEquals(0, h[2] + h[3]);
        assertEquals(0.625 * 20_000, h[0], 5 * Math.sqrt(20_000 * 0.625 * 0.375));
    }

    @Test
    void topKAndMinP() {
        int[] k = histogram(params(1f, 1, 1f, 0f, 3), new double[] {0.2, 0.5, 0.3}, 2_000);
        assertEquals(2_000, k[1]);
        // min_p 0.4: threshold 0.4·0.5 = 0.2 → keeps 0.5 and 0.3 (0.15 and 0.05 go)
        int[] m = histogram(params(1f, 0, 1f, 0.4f, 3), new double[] {0.5, 0.3, 0.15, 0.05}, 20_000);
        assertEquals(0, m[2] + m[3]);
        assertTrue(m[1] > 0);
    }

    @Test
    void temperatureSharpens() {
        // T = 0.5 squares the probabilities: 0.5², 0.3², ... renormalised: token 0 → 0.25/0.3525 ≈ 0.709
        double[] probs = {0.5, 0.3, 0.15, 0.05};
        int n = 40_000;
        int[] h = histogram(params(0.5f, 0, 1f, 0f, 11), probs, n);
        double p0 = 0.25 / (0.25 + 0.09 + 0.0225 + 0.0025);
        assertEquals(n * p0, h[0], 5 * Math.sqrt(n * p0 * (1 - p0)));
    }

    @Test
    void sameSeedSameTokens() {
        double[] probs = {0.25, 0.25, 0.25, 0.25};
        Sampler a = new Sampler(params(1f, 0, 1f, 0f, 42)), b = new Sampler(params(1f, 0, 1f, 0f, 42));
        for (int i = 0; i < 100; i++) assertEquals(a.sample(logitsOf(probs)), b.sample(logitsOf(probs)));
    }

    @Test
    void penaltiesAndBias() {
        // repetition 2: logit 4 → 2 (positive ÷), −1 → −2 (negative ×); frequency 0.5 × 3 occurrences, presence 1
        SamplingParams sp = new SamplingParams(0f, 0, 1f, 0f, 2f, 1f, 0.5f, -1, Map.of(3, -100f), 0, 8, List.of(), false);
        Sampler s = new Sampler(sp);
        for (int t : new int[] {0, 0, 0, 1}) s.accept(t);
        float[] l = {4f, -1f, 2.5f, 50f};
        assertEquals(2, s.sample(l));
        assertEquals(2f - 1.5f - 1f, l[0], 1e-6); // 4/2 − 0.5·3 − 1
        assertEquals(-2f - 0.5f - 1f, l[1], 1e-6);
        assertEquals(-50f, l[3], 1e-6);
    }

    @Test
    void invalidValuesNameTheRange() {
        var e = assertThrows(IllegalArgumentException.class, () -> params(-1f, 0, 1f, 0f, 0));
        assertTrue(e.getMessage().contains("temperature must be in [0.0, 100.0]"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> params(1f, 0, 0f, 0f, 0));
        assertTrue(e.getMessage().contains("top_p must be in (0, 1]"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> params(1f, -3, 1f, 0f, 0));
        assertTrue(e.getMessage().contains("top_k"), e.getMessage());
    }

    @Test
    void selectionPutsTheKSmallestFirst() {
        java.util.SplittableRandom r = new java.util.SplittableRandom(5);
        for (int trial = 0; trial < 200; trial++) {
            int n = 1 + r.nextInt(2000), k = 1 + r.nextInt(n);
            long[] a = new long[n];
            for (int i = 0; i < n; i++) a[i] = r.nextLong();
            long[] sorted = a.clone();
            java.util.Arrays.sort(sorted);
            Sampler.selectSmallest(a, n, k);
            long[] head = java.util.Arrays.copyOf(a, k);
            java.util.Arrays.sort(head);
            assertArrayEquals(java.util.Arrays.copyOf(sorted, k), head, "n=" + n + " k=" + k);
        }
    }

    /** Top-p over a large flat vocabulary (the nucleus needs more than the first 256 candidates). */
    @Test
    void topPOnALargeVocabularyKeepsTheExactNucleus() {
        int V = 5000;
        double[] probs = new double[V];
        // 3 heavy tokens (0.3, 0.2, 0.1) and 4997 light ones sharing 0.4
        probs[0] = 0.3; probs[1] = 0.2; probs[2] = 0.1;
        for (int i = 3; i < V; i++) probs[i] = 0.4 / (V - 3);
        // top_p 0.5: tokens 0 and 1 (cum 0.3, 0.5); top_p 0.7: 0.6 + 0.1 more of the light ones (~1249 tokens)
        int[] h = histogram(params(1f, 0, 0.5f, 0f, 9), probs, 4000);
        for (int i = 2; i < V; i++) assertEquals(0, h[i], "token " + i);
        int[] h2 = histogram(params(1f, 0, 0.7f, 0f, 9), probs, 4000);
        int light = 0;
        for (int i = 3; i < V; i++) light += h2[i];
        double wantLight = 4000 * (0.1 / 0.7); // the nucleus holds 0.7 of the mass, 0.1 of it light
        assertEquals(wantLight, light, 6 * Math.sqrt(wantLight));
        // no truncation: every token can come out, in proportion
        int[] h3 = histogram(params(1f, 0, 1f, 0f, 9), probs, 20_000);
        assertEquals(20_000 * 0.3, h3[0], 5 * Math.sqrt(20_000 * 0.3 * 0.7));
    }
}

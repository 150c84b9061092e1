package dev.jllm.train.pref;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import org.junit.jupiter.api.Test;

/** GAE, whitening, the clipped policy and value losses and the adaptive KL coefficient: by hand and against PyTorch (scripts/golden/make_ppo_golden.py). */
class PpoTest {
    @Test
    void gaeByHand() {
        // rewards (0, 0, 1), values (0.5, 0.2, 0.4), γ = 0.9, λ = 0.8:
        // δ2 = 1 − 0.4 = 0.6; A2 = 0.6
        // δ1 = 0 + 0.9·0.4 − 0.2 = 0.16; A1 = 0.16 + 0.72·0.6 = 0.592
        // δ0 = 0 + 0.9·0.2 − 0.5 = −0.32; A0 = −0.32 + 0.72·0.592 = 0.10624
        double[] a = new double[3], r = new double[3];
        Ppo.gae(new double[] {0, 0, 1}, new double[] {0.5, 0.2, 0.4}, 0.9, 0.8, a, r);
        assertArrayEquals(new double[] {0.10624, 0.592, 0.6}, a, 1e-12);
        assertArrayEquals(new double[] {0.60624, 0.792, 1.0}, r, 1e-12);
        // λ = 1, γ = 1: advantages are the reward-to-go minus the value
        Ppo.gae(new double[] {1, 2, 3}, new double[] {0, 0, 0}, 1, 1, a, r);
        assertArrayEquals(new double[] {6, 5, 3}, a, 1e-12);
    }

    @Test
    void clippedLossesByHand() {
        double[] sums = new double[2];
        // A = 1, ratio e^0.5 = 1.6487 > 1.2: the clipped term (−1.2) is larger than −1.6487 → loss −1.2, clipped, no gradient
        assertEquals(0, Ppo.policyTerm(0.5, 0, 1, 0.2, 1, sums), 0);
        assertEquals(-1.2, sums[0], 1e-12);
        assertEquals(1, sums[1]);
        // A = −1, same ratio: −A·ratio = 1.6487 is the larger one → gradient −A·ratio
        sums = new double[2];
        assertEquals(Math.exp(0.5), Ppo.policyTerm(0.5, 0, -1, 0.2, 1, sums), 1e-12);
        assertEquals(Math.exp(0.5), sums[0], 1e-12);
        assertEquals(0, sums[1]);
        // value: v = 1, v_old = 0, R = 0, clip 0.2: (1−0)² = 1 > (0.2−0)² → loss 0.5, gradient v − R = 1
        sums = new double[2];
        assertEquals(1, Ppo.valueTerm(1, 0, 0, 0.2, 1, sums), 1e-12);
        assertEquals(0.5, sums[0], 1e-12);
        // adaptive KL: measured 2× the target → +20 % error cap; n/horizon = 0.5 → ×1.1
        assertEquals(0.11, Ppo.adaptiveKl(0.1, 12, 6, 5000, 10000), 1e-12);
        assertEquals(0.09, Ppo.adaptiveKl(0.1, 0, 6, 5000, 10000), 1e-12);
    }

    @Test
    void matchesPyTorch() throws IOException {
        JsonNode g;
        try (InputStream in = PpoTest.class.getResourceAsStream("/torch/ppo_terms.json")) {
            g = new ObjectMapper().readTree(in);
        }
        double[] rw = d(g.get("rewards")), v = d(g.get("values"));
        int n = rw.length;
        double[] a = new double[n], r = new double[n];
        Ppo.gae(rw, v, g.get("gamma").asDouble(), g.get("lam").asDouble(), a, r);
        assertArrayEquals(d(g.get("advantages")), a, 1e-12);
        assertArrayEquals(d(g.get("returns")), r, 1e-12);
        Ppo.whiten(a, n);
        assertArrayEquals(d(g.get("whitened")), a, 1e-9);
        double[] pn = d(g.get("logp_new")), po = d(g.get("logp_old")), vp = d(g.get("vpred")), dl = d(g.get("d_logp_new")), dv = d(g.get("d_vpred"));
        double[] ps = new double[2], vs = new double[2];
        double clip = g.get("clip").asDouble(), vclip = g.get("vclip").asDouble();
        for (int t = 0; t < n; t++) {
            assertEquals(dl[t], Ppo.policyTerm(pn[t], po[t], a[t], clip, n, ps), 1e-12, "d pg_loss / d logp " + t);
            assertEquals(dv[t], Ppo.valueTerm(vp[t], v[t], r[t], vclip, n, vs), 1e-12, "d vf_loss / d v " + t);
        }
        assertEquals(g.get("pg_loss").asDouble(), ps[0], 1e-12);
        assertEquals(g.get("pg_clipfrac").asDouble(), ps[1], 1e-12);
        assertEquals(g.get("vf_loss").asDouble(), vs[0], 1e-12);
        assertEquals(g.get("vf_clipfrac").asDouble(), vs[1], 1e-12);
        assertTrue(ps[1] > 0 && vs[1] > 0, "the golden exercises both clipped regions");
    }

    static double[] d(JsonNode a) {
        double[] r = new double[a.size()];
        for (int i = 0; i < r.length; i++) r[i] = a.get(i).asDouble();
        return r;
    }
}

package dev.jllm.train;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jllm.tensor.Parallel;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * Each layer's backward against central finite differences of its forward. The scalar probed is
 * f = Σ R ⊙ forward(x) for a fixed random R (so dout = R), summed in double; with fp32 forwards and
 * h = 1e-2 the numerical gradient is good to ~1e-3, so the check is norm-wise:
 * ‖g_num − g_ana‖ / ‖g_ana‖ &lt; 1e-2, which a wrong sign, factor or index fails by orders of magnitude.
 */
class LayersGradientTest {
    private static final Parallel POOL = new Parallel(2);
    private static final float H = 1e-2f;

    @AfterAll
    static void close() { POOL.close(); }

    static float[] random(int n, long seed, double scale) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) (r.nextGaussian() * scale);
        return a;
    }

    static double weighted(float[] out, float[] r) {
        double s = 0;
        for (int i = 0; i < out.length; i++) s += (double) out[i] * r[i];
        return s;
    }

    /** Checks {@code analytic} against central differences of {@code f} over every element of {@code x}. */
    static void check(String what, float[] x, float[] analytic, java.util.function.DoubleSupplier f) {
        double num2 = 0, diff2 = 0, ana2 = 0;
        for (int i = 0; i < x.length; i++) {
            float keep = x[i];
            x[i] = keep + H;
            double fp = f.getAsDouble();
            x[i] = keep - H;
            double fm = f.getAsDouble();
            x[i] = keep;
            double num = (fp - fm) / (2 * H);
            diff2 += (num - analytic[i]) * (num - analytic[i]);
            num2 += num * num;
            ana2 += (double) analytic[i] * analytic[i];
        }
        double rel = Math.sqrt(diff2) / Math.max(1e-12, Math.sqrt(ana2));
        assertTrue(ana2 > 0, what + ": analytic gradient is all zero");
        assertTrue(rel < 1e-2, what + ": relative error " + rel + " (‖num‖ " + Math.sqrt(num2) + ", ‖ana‖ " + Math.sqrt(ana2) + ")");
    }

    @Test
    void encoder() {
        int V = 7, C = 5, BT = 6;
        int[] tok = {1, 3, 1, 6, 0, 1};
        float[] wte = random(V * C, 1, 1), r = random(BT * C, 2, 1), out = new float[BT * C], dwte = new float[V * C];
        Layers.encoderBackward(dwte, r, tok, BT, C, POOL);
        check("encoder dE", wte, dwte, () -> { Layers.encoderForward(out, tok, wte, BT, C); return weighted(out, r); });
    }

    @Test
    void rmsnorm() {
        int BT = 4, C = 12;
        float[] x = random(BT * C, 3, 1), w = random(C, 4, 1), r = random(BT * C, 5, 1);
        float[] out = new float[BT * C], rstd = new float[BT], dx = new float[BT * C], dw = new float[C];
        Layers.rmsnormForward(out, rstd, x, w, BT, C, 1e-5f, POOL);
        Layers.rmsnormBackward(dx, dw, r, x, w, rstd, BT, C, POOL);
        java.util.function.DoubleSupplier f = () -> { Layers.rmsnormForward(out, rstd, x, w, BT, C, 1e-5f, POOL); return weighted(out, r); };
        check("rmsnorm dx", x, dx, f);
        check("rmsnorm dw", w, dw, f);
    }

    @Test
    void matmul() {
        int BT = 9, C = 20, OC = 70;
        float[] x = random(BT * C, 6, 1), w = random(OC * C, 7, 0.3), r = random(BT * OC, 8, 1);
        float[] out = new float[BT * OC], wT = new float[OC * C], dx = new float[BT * C], dw = new float[OC * C];
        Layers.matmulBackward(dx, dw, r, x, w, BT, C, OC, POOL);
        java.util.function.DoubleSupplier f = () -> { Layers.matmulForward(out, x, w, wT, BT, C, OC, POOL); return weighted(out, r); };
        check("matmul dx", x, dx, f);
        check("matmul dw", w, dw, f);
    }

    @Test
    void rope() {
        int B = 2, T = 5, NH = 3, HD = 8, BT = B * T;
        float[] cos = new float[T * HD / 2], sin = new float[T * HD / 2];
        Layers.ropeTables(cos, sin, T, HD, 10000f);
        float[] x = random(BT * NH * HD, 9, 1), r = random(BT * NH * HD, 10, 1), y = new float[x.length];
        float[] dx = r.clone();
        Layers.ropeBackward(dx, cos, sin, null, BT, T, NH, HD);
        check("rope dx", x, dx, () -> { System.arraycopy(x, 0, y, 0, x.length); Layers.ropeForward(y, cos, sin, null, BT, T, NH, HD); return weighted(y, r); });
    }

    @Test
    void attentionWithGroupedHeads() {
        int B = 2, T = 6, NH = 4, NKV = 2, HD = 8, BT = B * T;
        float[] q = random(BT * NH * HD, 11, 1), k = random(BT * NKV * HD, 12, 1), v = random(BT * NKV * HD, 13, 1);
        float[] r = random(BT * NH * HD, 14, 1), out = new float[BT * NH * HD], att = new float[B * NH * T * T];
        float[] dq = new float[q.length], dk = new float[k.length], dv = new float[v.length];
        Layers.attentionForward(out, att, q, k, v, null, B, T, NH, NKV, HD, POOL);
        Layers.attentionBackward(dq, dk, dv, r, att, q, k, v, null, B, T, NH, NKV, HD, POOL);
        java.util.function.DoubleSupplier f = () -> { Layers.attentionForward(out, att, q, k, v, null, B, T, NH, NKV, HD, POOL); return weighted(out, r); };
        check("attention dq", q, dq, f);
        check("attention dk", k, dk, f);
        check("attention dv", v, dv, f);
    }

    @Test
    void swiglu() {
        int n = 40;
        float[] g = random(n, 15, 2), u = random(n, 16, 1), r = random(n, 17, 1), out = new float[n], dg = new float[n], du = new float[n];
        Layers.swigluBackward(dg, du, r, g, u, n, POOL);
        java.util.function.DoubleSupplier f = () -> { Layers.swigluForward(out, g, u, n, POOL); return weighted(out, r); };
        check("swiglu dg", g, dg, f);
        check("swiglu du", u, du, f);
    }

    @Test
    void crossEntropyWithIgnoredRows() {
        int BT = 5, V = 11;
        int[] y = {3, Layers.IGNORE, 0, 10, Layers.IGNORE};
        float[] z = random(BT * V, 18, 2), p = new float[BT * V], losses = new float[BT];
        System.arraycopy(z, 0, p, 0, z.length);
        Layers.crossEntropyForward(p, losses, y, BT, V, POOL);
        Layers.crossEntropyBackward(p, y, BT, V, 1f, POOL);
        float[] dz = p.clone();
        check("cross-entropy dz", z, dz, () -> {
            System.arraycopy(z, 0, p, 0, z.length);
            return Layers.crossEntropyForward(p, losses, y, BT, V, POOL);
        });
        for (int i = V; i < 2 * V; i++) assertTrue(dz[i] == 0f, "an ignored row has no gradient");
    }
}

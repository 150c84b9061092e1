package dev.jllm.train;

import dev.jllm.tensor.Parallel;

/** Manual probe (not a test): time of each non-matmul layer at the shapes of one block of a 10M model. */
public final class LayersProbe {
    interface Body { void run(); }

    static void time(String name, Body b) {
        double best = 1e9;
        for (int r = 0; r < 5; r++) {
            long t0 = System.nanoTime();
            b.run();
            best = Math.min(best, (System.nanoTime() - t0) / 1e6);
        }
        System.out.printf("%-22s %8.2f ms%n", name, best);
    }

    public static void main(String[] a) {
        int threads = Integer.parseInt(a[0]);
        int B = 8, T = 256, NH = 6, HD = 64, C = 384, H = 1024, V = 4096, BT = B * T;
        float[] q = LayersGradientTest.random(BT * C, 1, 1), k = LayersGradientTest.random(BT * C, 2, 1), v = LayersGradientTest.random(BT * C, 3, 1);
        float[] out = new float[BT * C], att = new float[B * NH * T * T], dq = new float[BT * C], dk = new float[BT * C], dv = new float[BT * C];
        float[] g = LayersGradientTest.random(BT * H, 4, 1), u = LayersGradientTest.random(BT * H, 5, 1), s = new float[BT * H];
        float[] logits = LayersGradientTest.random(BT * V, 6, 1), losses = new float[BT];
        int[] y = new int[BT];
        float[] cos = new float[T * HD / 2], sin = new float[T * HD / 2], rstd = new float[BT], w = LayersGradientTest.random(C, 7, 1);
        Layers.ropeTables(cos, sin, T, HD, 10000f);
        float[] wT = new float[V * C], W = LayersGradientTest.random(V * C, 8, 1);
        try (Parallel pool = new Parallel(threads)) {
            time("attentionForward", () -> Layers.attentionForward(out, att, q, k, v, null, B, T, NH, NH, HD, pool));
            time("attentionBackward", () -> Layers.attentionBackward(dq, dk, dv, out, att, q, k, v, null, B, T, NH, NH, HD, pool));
            time("swigluForward", () -> Layers.swigluForward(s, g, u, BT * H, pool));
            time("swigluBackward", () -> Layers.swigluBackward(dq, dk, s, g, u, BT * C, pool));
            time("crossEntropyForward", () -> Layers.crossEntropyForward(logits.clone(), losses, y, BT, V, pool));
            time("rmsnormForward", () -> Layers.rmsnormForward(out, rstd, q, w, BT, C, 1e-5f, pool));
            time("rmsnormBackward", () -> Layers.rmsnormBackward(dq, w.clone(), out, q, w, rstd, BT, C, pool));
            time("ropeForward", () -> Layers.ropeForward(q, cos, sin, null, BT, T, NH, HD));
            time("transpose V×C", () -> Gemm.transpose(W, V, C, wT));
            time("clone BT×V", () -> logits.clone());
        }
    }
}

package dev.jllm.train;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.jllm.tensor.FloatOps;
import dev.jllm.tensor.Parallel;
import org.junit.jupiter.api.Test;

/**
 * Attention as matrix products (Layers) against the obvious per-pair loops below, on a shape with
 * partial row blocks (T not a multiple of 64) and grouped heads.
 */
class AttentionReferenceTest {
    static void naiveForward(float[] out, float[] att, float[] q, float[] k, float[] v, int B, int T, int NH, int NKV, int HD,
                                 Parallel pool) {
        int QD = NH * HD, KVD = NKV * HD, group = NH / NKV;
        float scale = (float) (1.0 / Math.sqrt(HD));
        Layers.forRange(pool, B * NKV, (long) group * T * T * HD, (w0, w1) -> {
            for (int w = w0; w < w1; w++) {
                int b = w / NKV, kvh = w % NKV;
                for (int h = kvh * group; h < (kvh + 1) * group; h++) {
                    for (int t = 0; t < T; t++) {
                        int qo = (b * T + t) * QD + h * HD, ao = ((b * NH + h) * T + t) * T;
                        for (int s = 0; s <= t; s++) att[ao + s] = FloatOps.dot(q, qo, k, (b * T + s) * KVD + kvh * HD, HD) * scale;
                        FloatOps.softmax(att, ao, t + 1);
                        java.util.Arrays.fill(att, ao + t + 1, ao + T, 0f);
                        java.util.Arrays.fill(out, qo, qo + HD, 0f);
                        for (int s = 0; s <= t; s++) FloatOps.axpy(att[ao + s], v, (b * T + s) * KVD + kvh * HD, out, qo, HD);
                    }
                }
            }
        });
    }

    /**
     * dv_s += Σ_t a_ts·dout_t;  da_ts = dout_t·v_s;  dz_ts = a_ts·(da_ts − Σ_s' a_ts'·da_ts')  (softmax);
     * dq_t += Σ_s dz_ts·k_s/√HD;  dk_s += Σ_t dz_ts·q_t/√HD.
     */
    static void naiveBackward(float[] dq, float[] dk, float[] dv, float[] dout, float[] att, float[] q, float[] k, float[] v,
                                  int B, int T, int NH, int NKV, int HD, Parallel pool) {
        int QD = NH * HD, KVD = NKV * HD, group = NH / NKV;
        float scale = (float) (1.0 / Math.sqrt(HD));
        Layers.forRange(pool, B * NKV, (long) group * T * T * HD * 2, (w0, w1) -> {
            float[] dz = new float[T];
            for (int w = w0; w < w1; w++) {
                int b = w / NKV, kvh = w % NKV;
                for (int h = kvh * group; h < (kvh + 1) * group; h++) {
                    for (int t = 0; t < T; t++) {
                        int qo = (b * T + t) * QD + h * HD, ao = ((b * NH + h) * T + t) * T;
                        double sum = 0;
                        for (int s = 0; s <= t; s++) {
                            int kvo = (b * T + s) * KVD + kvh * HD;
                            float da = FloatOps.dot(dout, qo, v, kvo, HD);
                            dz[s] = da;
                            sum += (double) att[ao + s] * da;
                            FloatOps.axpy(att[ao + s], dout, qo, dv, kvo, HD);
                        }
                        for (int s = 0; s <= t; s++) {
                            int kvo = (b * T + s) * KVD + kvh * HD;
                            float g = att[ao + s] * (float) (dz[s] - sum) * scale;
                            FloatOps.axpy(g, k, kvo, dq, qo, HD);
                            FloatOps.axpy(g, q, qo, dk, kvo, HD);
                        }
                    }
                }
            }
        });
    }

    @Test
    void matrixFormEqualsPerPairLoops() {
        int B = 2, T = 70, NH = 4, NKV = 2, HD = 16, BT = B * T;
        float[] q = LayersGradientTest.random(BT * NH * HD, 1, 1), k = LayersGradientTest.random(BT * NKV * HD, 2, 1);
        float[] v = LayersGradientTest.random(BT * NKV * HD, 3, 1), dout = LayersGradientTest.random(BT * NH * HD, 4, 1);
        float[] o1 = new float[BT * NH * HD], o2 = new float[o1.length], a1 = new float[B * NH * T * T], a2 = new float[a1.length];
        float[] dq1 = new float[q.length], dq2 = new float[q.length], dk1 = new float[k.length], dk2 = new float[k.length];
        float[] dv1 = new float[v.length], dv2 = new float[v.length];
        try (Parallel pool = new Parallel(2)) {
            naiveForward(o1, a1, q, k, v, B, T, NH, NKV, HD, pool);
            Layers.attentionForward(o2, a2, q, k, v, null, B, T, NH, NKV, HD, pool);
            naiveBackward(dq1, dk1, dv1, dout, a1, q, k, v, B, T, NH, NKV, HD, pool);
            Layers.attentionBackward(dq2, dk2, dv2, dout, a2, q, k, v, null, B, T, NH, NKV, HD, pool);
        }
        assertClose("att", a1, a2);
        assertClose("out", o1, o2);
        assertClose("dq", dq1, dq2);
        assertClose("dk", dk1, dk2);
        assertClose("dv", dv1, dv2);
    }

    private static void assertClose(String what, float[] want, float[] got) {
        for (int i = 0; i < want.length; i++) assertEquals(want[i], got[i], 1e-4f * (1 + Math.abs(want[i])), what + " at " + i);
    }
}

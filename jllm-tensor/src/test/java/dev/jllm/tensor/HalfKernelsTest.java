package dev.jllm.tensor;

import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.Test;

/** FloatOps' vectorized half conversion against Float.float16ToFloat, and the F16 dot/axpy against scalar loops. */
class HalfKernelsTest {
    @Test
    void everyHalfConvertsBitExactly() {
        int lanes = FloatOps.halfLanes();
        if (lanes == 0) return;
        short[] h = new short[65536];
        for (int i = 0; i < h.length; i++) h[i] = (short) i;
        float[] ref = new float[h.length];
        FloatOps.halvesReference(h, 0, ref, h.length);
        for (int i = 0; i < h.length; i += lanes) {
            float[] got = new float[lanes];
            FloatOps.halves(h, i).intoArray(got, 0);
            for (int j = 0; j < lanes; j++) {
                assertEquals(Float.floatToRawIntBits(ref[i + j]), Float.floatToRawIntBits(got[j]), "half 0x" + Integer.toHexString(i + j));
            }
        }
    }

    @Test
    void dotAndAxpyMatchScalarLoops() {
        for (int n : new int[] {1, 15, 16, 64, 77, 128}) {
            float[] a = QuantTesting.randomRow(n, n + 3, 1);
            float[] hv = QuantTesting.randomRow(n + 1, n + 2, 1);
            short[] h = new short[n + 2];
            for (int i = 0; i < h.length; i++) h[i] = Float.floatToFloat16(hv[i]);
            double ref = 0, abs = 0;
            for (int i = 0; i < n; i++) {
                ref += a[3 + i] * Float.float16ToFloat(h[2 + i]);
                abs += Math.abs(a[3 + i] * Float.float16ToFloat(h[2 + i]));
            }
            assertEquals(ref, FloatOps.dotF16(a, 3, h, 2, n), 1e-6 * abs + 1e-30, "dot n " + n);
            float[] y = QuantTesting.randomRow(n + 2, n + 1, 1), yRef = y.clone();
            FloatOps.axpyF16(0.37f, h, 2, y, 1, n);
            for (int i = 0; i < n; i++) yRef[1 + i] += 0.37f * Float.float16ToFloat(h[2 + i]);
            assertEquals(yRef[0], y[0]);
            for (int i = 1; i <= n; i++) assertEquals(yRef[i], y[i], 1e-6f * (1 + Math.abs(yRef[i])), "axpy n " + n + " i " + i);
        }
    }

    @Test
    void vectorSwigluAndSoftmaxTrackScalar() {
        for (int n : new int[] {3, 16, 100, 8192}) {
            float[] g = QuantTesting.randomRow(n, n, 1), u = QuantTesting.randomRow(n + 9, n, 1);
            for (int i = 0; i < n; i++) g[i] *= 8; // into exp's tails
            float[] a = g.clone(), b = g.clone();
            FloatOps.swiglu(a, 0, u, 0, n);
            FloatOps.swigluReference(b, 0, u, 0, n);
            for (int i = 0; i < n; i++) assertEquals(b[i], a[i], 1e-6f * Math.abs(b[i]) + 1e-30f, "swiglu n " + n + " i " + i);
            float[] s = g.clone();
            FloatOps.softmax(s, 0, n);
            double max = Double.NEGATIVE_INFINITY, sum = 0;
            for (float v : g) max = Math.max(max, v);
            for (float v : g) sum += Math.exp(v - max);
            for (int i = 0; i < n; i++) assertEquals(Math.exp(g[i] - max) / sum, s[i], 1e-5 * s[i] + 1e-30, "softmax n " + n + " i " + i);
        }
    }
}

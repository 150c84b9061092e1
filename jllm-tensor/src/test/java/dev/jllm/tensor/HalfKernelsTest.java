package dev.jllm.tensor;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Test;

/**
 * FloatOps' vectorized half conversion against Float.float16ToFloat, and the F16 dot/axpy/conversion
 * kernels against their scalar references (tolerances as in {@link FloatOpsTest}: a half widens to
 * float exactly, so these are the float kernels' bounds).
 */
class HalfKernelsTest {
    static final double U = 0x1p-24;

    /** The vector half path is taken wherever the preferred species has 4, 8 or 16 lanes (NEON/SSE, AVX2, AVX-512). */
    @Test
    void vectorHalfPathIsTakenWhereTheHardwareHasIt() {
        int lanes = FloatVector.SPECIES_PREFERRED.length();
        if (lanes >= 4) assertEquals(lanes, FloatOps.halfLanes(), "preferred species has " + lanes + " lanes, yet the half kernels run scalar");
        else assertEquals(0, FloatOps.halfLanes());
    }

    @Test
    void everyHalfConvertsBitExactly() {
        int lanes = FloatOps.halfLanes();
        assumeTrue(lanes > 0, "no vector half path on this machine (preferred species " + FloatVector.SPECIES_PREFERRED + "): the kernels run their scalar tails");
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
        float[] all = new float[h.length + 3];
        FloatOps.halvesToFloats(h, 0, all, 3, h.length);
        for (int i = 0; i < h.length; i++) assertEquals(Float.floatToRawIntBits(ref[i]), Float.floatToRawIntBits(all[3 + i]), "halvesToFloats 0x" + Integer.toHexString(i));
        // short runs take the lanes trick, long ones the plain loop C2 vectorizes: both exact
        for (int n : new int[] {FloatOps.LONG_RUN - 1, 100, lanes + 3}) {
            for (int i = 0; i + n <= h.length; i += n + 13) {
                float[] part = new float[n];
                FloatOps.halvesToFloats(h, i, part, 0, n);
                for (int j = 0; j < n; j++) {
                    assertEquals(Float.floatToRawIntBits(ref[i + j]), Float.floatToRawIntBits(part[j]), "run of " + n + ", half 0x" + Integer.toHexString(i + j));
                }
            }
        }
    }

    @Test
    void dotAndAxpyMatchTheirReferences() {
        for (int n : new int[] {1, 7, 15, 16, 17, 31, 33, 64, 77, 128, 1000}) {
            float[] a = QuantTesting.randomRow(n, n + 3, 1);
            float[] hv = QuantTesting.randomRow(n + 1, n + 2, 1);
            short[] h = new short[n + 2];
            for (int i = 0; i < h.length; i++) h[i] = Float.floatToFloat16(hv[i]);
            double abs = 0;
            for (int i = 0; i < n; i++) abs += Math.abs(a[3 + i] * Float.float16ToFloat(h[2 + i]));
            // two summation orders of n exact-widened products: each within n·u·Σ|a·h| of exact
            assertEquals(FloatOps.dotF16Reference(a, 3, h, 2, n), FloatOps.dotF16(a, 3, h, 2, n), 2 * n * U * 1.001 * abs, "dot n " + n);
            float[] y = QuantTesting.randomRow(n + 2, n + 2, 1), yRef = y.clone();
            FloatOps.axpyF16(0.37f, h, 2, y, 1, n);
            FloatOps.axpyF16Reference(0.37f, h, 2, yRef, 1, n);
            assertEquals(yRef[0], y[0]);
            assertEquals(yRef[n + 1], y[n + 1]);
            for (int i = 1; i <= n; i++) { // one fused rounding against two
                double ax = Math.abs(0.37f * Float.float16ToFloat(h[1 + i]));
                assertEquals(yRef[i], y[i], 1.001 * (U * ax + 2 * U * Math.abs(yRef[i])), "axpy n " + n + " i " + i);
            }
        }
    }
}

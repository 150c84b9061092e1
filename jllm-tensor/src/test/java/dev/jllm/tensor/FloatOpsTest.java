package dev.jllm.tensor;

import static org.junit.jupiter.api.Assertions.*;

import java.util.Arrays;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Each vectorized FloatOps kernel against its scalar reference on random inputs whose lengths
 * exercise the vector loop, the tail and both (1, 7 and 15 are tail only on 8- or 16-lane vectors;
 * 16, 17, 31, 33 one or two vectors plus a tail; 1000 and 4099 many), at odd offsets, with the
 * values outside the range checked untouched.
 *
 * <p>Tolerances are worst-case rounding bounds, in units of u = 2^-24 (half an ulp of 1.0f: the
 * relative error of one float rounding) or in ulps of the reference value:
 * <ul>
 *   <li>dot: any order of summing n products is within γ_n·Σ|aᵢbᵢ| of the exact sum, γ_n ≈ n·u
 *       (Higham, Accuracy and Stability, §3.1; the kernel's FMAs only remove roundings). Kernel and
 *       reference sum in different orders, so they may differ by twice that.</li>
 *   <li>axpy: the kernel rounds a·x + y once (FMA), the reference twice: they differ by at most
 *       u·|a·x| + 2u·|y'|.</li>
 *   <li>rmsnorm: 0 ulps. The mean of squares is the same scalar loop in both, and every output is
 *       x · scale · w, the same two IEEE multiplies in the same order.</li>
 *   <li>exp (expShifted, softmax, swiglu): the Vector API's EXP keeps {@link Math#exp}'s contract
 *       (within 1 ulp of exact, computed in double and narrowed to float), so each lane is within
 *       1 float ulp of the reference's {@code (float) Math.exp}.</li>
 *   <li>softmax: 1 ulp of exp (2u relative), the kernel's Σ summed in float lanes (n − 1 roundings
 *       at most, plus the terms' own 2u), 1/Σ and the final multiply rounded in both: within
 *       (n + 8)·u relative. Values that underflow to subnormals get an absolute 4·2^-149.</li>
 * </ul>
 */
class FloatOpsTest {
    static final double U = 0x1p-24;

    /** n Gaussian values (magnitude varying 100× between 16-value blocks) times {@code spread}, between margins of 3 sentinels. */
    static float[] data(long seed, int n, float spread) {
        float[] r = QuantTesting.randomRow(seed, n, 16);
        float[] x = new float[n + 6];
        Arrays.fill(x, 12345f);
        for (int i = 0; i < n; i++) x[3 + i] = r[i] * spread;
        return x;
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 7, 15, 16, 17, 31, 32, 33, 100, 1000, 4099})
    void dotWithinTwiceTheSummationBound(int n) {
        float[] a = data(n, n, 1), b = data(n + 1, n, 1);
        double abs = 0;
        for (int i = 0; i < n; i++) abs += Math.abs((double) a[3 + i] * b[3 + i]);
        float ref = FloatOps.dotReference(a, 3, b, 3, n);
        assertEquals(ref, FloatOps.dot(a, 3, b, 3, n), 2 * n * U * 1.001 * abs, "n " + n);
        assertEquals(0f, FloatOps.dot(a, 3, b, 3, 0));
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 7, 15, 16, 17, 31, 32, 33, 100, 1000, 4099})
    void axpyWithinOneFusedRounding(int n) {
        float[] x = data(n, n, 1), y = data(n + 1, n, 1), yRef = y.clone();
        float a = -0.731f;
        FloatOps.axpy(a, x, 3, y, 3, n);
        FloatOps.axpyReference(a, x, 3, yRef, 3, n);
        for (int i = 0; i < n + 6; i++) {
            double tol = i < 3 || i >= n + 3 ? 0 : 1.001 * (U * Math.abs(a * x[i]) + 2 * U * Math.abs(yRef[i]));
            assertEquals(yRef[i], y[i], tol, "n " + n + " i " + i);
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 7, 15, 16, 17, 31, 32, 33, 100, 1000, 4099})
    void rmsnormBitIdentical(int n) {
        float[] x = data(n, n, 3);
        float[] w = Arrays.copyOfRange(data(n + 1, n, 1), 3, n + 3);
        float[] out = new float[n + 6], ref = new float[n + 6];
        Arrays.fill(out, 7f);
        Arrays.fill(ref, 7f);
        FloatOps.rmsnorm(out, 3, x, 3, w, n, 1e-5f);
        FloatOps.rmsnormReference(ref, 3, x, 3, w, n, 1e-5f);
        assertBitsEqual(ref, out, "n " + n);
        float[] inPlace = x.clone(); // out may alias x
        FloatOps.rmsnorm(inPlace, 3, inPlace, 3, w, n, 1e-5f);
        for (int i = 3; i < n + 3; i++) assertEquals(Float.floatToRawIntBits(ref[i]), Float.floatToRawIntBits(inPlace[i]), "in place, n " + n + " i " + i);
        assertEquals(12345f, inPlace[2]);
        assertEquals(12345f, inPlace[n + 3]);
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 7, 15, 16, 17, 31, 32, 33, 100, 1000, 4099})
    void expShiftedWithinOneUlpAndItsSumWithinTheBound(int n) {
        for (float spread : new float[] {1, 24}) { // 24: logits up to ~±70, deep into exp's tails and subnormals
            float[] x = data(n + 7, n, spread), ref = x.clone();
            double sum = FloatOps.expShifted(x, 3, n);
            double sumRef = FloatOps.expShiftedReference(ref, 3, n);
            for (int i = 0; i < n + 6; i++) {
                float tol = i < 3 || i >= n + 3 ? 0 : Math.ulp(ref[i]);
                assertEquals(ref[i], x[i], tol, "n " + n + " spread " + spread + " i " + i);
            }
            assertEquals(sumRef, sum, (n + 2) * U * 1.001 * sumRef, "sum, n " + n + " spread " + spread);
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 7, 15, 16, 17, 31, 32, 33, 100, 1000, 4099})
    void softmaxWithinTheRelativeBound(int n) {
        for (float spread : new float[] {1, 24}) {
            float[] x = data(n + 11, n, spread), ref = x.clone();
            FloatOps.softmax(x, 3, n);
            FloatOps.softmaxReference(ref, 3, n);
            double total = 0;
            for (int i = 0; i < n + 6; i++) {
                double tol = i < 3 || i >= n + 3 ? 0 : (n + 8) * U * ref[i] + 4 * Float.MIN_VALUE;
                assertEquals(ref[i], x[i], tol, "n " + n + " spread " + spread + " i " + i);
                if (i >= 3 && i < n + 3) total += x[i];
            }
            assertEquals(1.0, total, (2 * n + 8) * U, "probabilities sum to 1, n " + n);
        }
    }

    /**
     * swiglu: z / (1 + e^−z) · u. e^−z within 1 ulp (2u relative) moves 1 + e^−z by at most 2u relative;
     * the division and the multiply round once each in both: within 6u relative, 8u allowed.
     */
    @ParameterizedTest
    @ValueSource(ints = {1, 7, 15, 16, 17, 31, 32, 33, 100, 1000, 4099})
    void swigluWithinEightU(int n) {
        float[] g = data(n + 5, n, 8), u = data(n + 6, n, 1); // ×8: into exp's tails
        float[] a = g.clone(), b = g.clone();
        FloatOps.swiglu(a, 3, u, 3, n);
        FloatOps.swigluReference(b, 3, u, 3, n);
        for (int i = 0; i < n + 6; i++) {
            double tol = i < 3 || i >= n + 3 ? 0 : 8 * U * Math.abs(b[i]) + 4 * Float.MIN_VALUE;
            assertEquals(b[i], a[i], tol, "n " + n + " i " + i);
        }
    }

    static void assertBitsEqual(float[] want, float[] got, String what) {
        assertEquals(want.length, got.length, what);
        for (int i = 0; i < want.length; i++) {
            assertEquals(Float.floatToRawIntBits(want[i]), Float.floatToRawIntBits(got[i]), what + " i " + i + ": " + want[i] + " vs " + got[i]);
        }
    }
}

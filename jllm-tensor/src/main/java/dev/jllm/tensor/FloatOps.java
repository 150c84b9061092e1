package dev.jllm.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Float-array kernels of the forward pass (dot, RMSNorm, softmax, SwiGLU), each a short Vector API
 * loop with a scalar tail. Sums that decide normalisation are accumulated in double, as ggml does
 * ({@code ggml_float}), so results track llama.cpp closely.
 */
public final class FloatOps {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    private FloatOps() {}

    /** Σ a[aOff+i]·b[bOff+i], i < n. */
    public static float dot(float[] a, int aOff, float[] b, int bOff, int n) {
        FloatVector acc0 = FloatVector.zero(S), acc1 = FloatVector.zero(S);
        int i = 0, step = 2 * S.length();
        for (; i + step <= n; i += step) {
            acc0 = FloatVector.fromArray(S, a, aOff + i).fma(FloatVector.fromArray(S, b, bOff + i), acc0);
            acc1 = FloatVector.fromArray(S, a, aOff + i + S.length()).fma(FloatVector.fromArray(S, b, bOff + i + S.length()), acc1);
        }
        for (; i + S.length() <= n; i += S.length()) {
            acc0 = FloatVector.fromArray(S, a, aOff + i).fma(FloatVector.fromArray(S, b, bOff + i), acc0);
        }
        float s = acc0.add(acc1).reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) s += a[aOff + i] * b[bOff + i];
        return s;
    }

    /** y[yOff+i] += a·x[xOff+i]. */
    public static void axpy(float a, float[] x, int xOff, float[] y, int yOff, int n) {
        int i = 0;
        FloatVector av = FloatVector.broadcast(S, a);
        for (; i + S.length() <= n; i += S.length()) {
            FloatVector.fromArray(S, x, xOff + i).fma(av, FloatVector.fromArray(S, y, yOff + i)).intoArray(y, yOff + i);
        }
        for (; i < n; i++) y[yOff + i] += a * x[xOff + i];
    }

    /** out = x / sqrt(mean(x²) + eps) · w (RMSNorm; out may alias x). */
    public static void rmsnorm(float[] out, int outOff, float[] x, int xOff, float[] w, int n, float eps) {
        double ss = 0;
        for (int i = 0; i < n; i++) ss += (double) x[xOff + i] * x[xOff + i];
        float scale = (float) (1.0 / Math.sqrt(ss / n + eps));
        int i = 0;
        FloatVector sv = FloatVector.broadcast(S, scale);
        for (; i + S.length() <= n; i += S.length()) {
            FloatVector.fromArray(S, x, xOff + i).mul(sv).mul(FloatVector.fromArray(S, w, i)).intoArray(out, outOff + i);
        }
        for (; i < n; i++) out[outOff + i] = x[xOff + i] * scale * w[i];
    }

    /** In-place softmax of x[off..off+n). */
    public static void softmax(float[] x, int off, int n) {
        float max = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) max = Math.max(max, x[off + i]);
        double sum = 0;
        for (int i = 0; i < n; i++) {
            float e = (float) Math.exp(x[off + i] - max);
            x[off + i] = e;
            sum += e;
        }
        float inv = (float) (1.0 / sum);
        for (int i = 0; i < n; i++) x[off + i] *= inv;
    }

    /** SwiGLU: g[i] = silu(g[i]) · u[i], silu(z) = z / (1 + e^−z). */
    public static void swiglu(float[] g, int gOff, float[] u, int uOff, int n) {
        for (int i = 0; i < n; i++) {
            float z = g[gOff + i];
            g[gOff + i] = z / (1f + (float) Math.exp(-z)) * u[uOff + i];
        }
    }

    /** x[off+i] += b[i]. */
    public static void add(float[] x, int off, float[] b, int n) {
        for (int i = 0; i < n; i++) x[off + i] += b[i];
    }
}

package dev.jllm.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * Float-array kernels of the forward pass (dot, RMSNorm, softmax, SwiGLU), each a short Vector API
 * loop with a scalar tail. Sums that decide normalisation are accumulated in double, as ggml does
 * ({@code ggml_float}), so results track llama.cpp closely.
 *
 * <p>Beside each vectorized kernel is a plain scalar {@code ...Reference} (package-private) that
 * defines what it computes; FloatOpsTest and HalfKernelsTest hold each pair together on awkward
 * lengths, with the tolerance each pair's rounding allows.
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
        float s = VectorMath.sum(acc0.add(acc1));
        for (; i < n; i++) s += a[aOff + i] * b[bOff + i];
        return s;
    }

    /** Reference for {@link #dot}: a plain scalar loop in float. */
    static float dotReference(float[] a, int aOff, float[] b, int bOff, int n) {
        float s = 0;
        for (int i = 0; i < n; i++) s += a[aOff + i] * b[bOff + i];
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

    /** Reference for {@link #axpy}: a plain scalar loop (a product rounded, then a sum; the kernel fuses them). */
    static void axpyReference(float a, float[] x, int xOff, float[] y, int yOff, int n) {
        for (int i = 0; i < n; i++) y[yOff + i] += a * x[xOff + i];
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

    /** Reference for {@link #rmsnorm}: mean of squares in double, then x · scale · w one element at a time. */
    static void rmsnormReference(float[] out, int outOff, float[] x, int xOff, float[] w, int n, float eps) {
        double ss = 0;
        for (int i = 0; i < n; i++) ss += (double) x[xOff + i] * x[xOff + i];
        float scale = (float) (1.0 / Math.sqrt(ss / n + eps));
        for (int i = 0; i < n; i++) out[outOff + i] = x[xOff + i] * scale * w[i];
    }

    /** In-place softmax of x[off..off+n): vector exp ({@link VectorMath#exp}: the same bits in every JIT tier, unlike the JDK's SVML lanewise EXP). */
    public static void softmax(float[] x, int off, int n) {
        float inv = (float) (1.0 / expShifted(x, off, n));
        FloatVector iv = FloatVector.broadcast(S, inv);
        int i = 0;
        for (; i + S.length() <= n; i += S.length()) FloatVector.fromArray(S, x, off + i).mul(iv).intoArray(x, off + i);
        for (; i < n; i++) x[off + i] *= inv;
    }

    /** Reference for {@link #softmax}: {@link #expShiftedReference}, then each value times 1/Σ. */
    static void softmaxReference(float[] x, int off, int n) {
        float inv = (float) (1.0 / expShiftedReference(x, off, n));
        for (int i = 0; i < n; i++) x[off + i] *= inv;
    }

    /**
     * x[off..off+n) ← exp(x − max), returning Σ: softmax without the division, for callers that scale
     * a later product by 1/Σ once instead of every probability (attention).
     */
    public static double expShifted(float[] x, int off, int n) {
        return expShifted(x, off, n, max(x, off, n));
    }

    /** max of x[off..off+n) (−∞ for n = 0). */
    public static float max(float[] x, int off, int n) {
        float max = Float.NEGATIVE_INFINITY;
        int i = 0;
        if (n >= S.length()) {
            FloatVector mv = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
            for (; i + S.length() <= n; i += S.length()) mv = mv.max(FloatVector.fromArray(S, x, off + i));
            max = mv.reduceLanes(VectorOperators.MAX);
        }
        for (; i < n; i++) max = Math.max(max, x[off + i]);
        return max;
    }

    /**
     * x[off..off+n) ← exp(x − max) for a given max (at least the largest value, so no exp overflows),
     * returning Σ: the part of a softmax over a slice of keys whose max is combined with other slices'.
     */
    public static double expShifted(float[] x, int off, int n, float max) {
        // lane-wise partial sums, one horizontal add at the end (a reduction per vector cost more than the exp)
        FloatVector mv = FloatVector.broadcast(S, max), acc = FloatVector.zero(S);
        int i = 0;
        for (; i + S.length() <= n; i += S.length()) {
            FloatVector e = VectorMath.exp(FloatVector.fromArray(S, x, off + i).sub(mv));
            e.intoArray(x, off + i);
            acc = acc.add(e);
        }
        // VectorMath.sum's lane-order loop written out: after the vector exp (~17,000 nodes while parsed) C2 no
        // longer inlines a helper of ours, and acc would be boxed to cross the call
        float lanes = acc.lane(0);
        for (int l = 1; l < S.length(); l++) lanes += acc.lane(l);
        double sum = lanes;
        for (; i < n; i++) { // the vector lanes' exp, so a value's bits do not depend on where the vector part ends
            float e = VectorMath.exp(x[off + i] - max);
            x[off + i] = e;
            sum += e;
        }
        return sum;
    }

    /** Reference for {@link #expShifted}: scalar max, {@link Math#exp} per value, the sum in double. */
    static double expShiftedReference(float[] x, int off, int n) {
        float max = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) max = Math.max(max, x[off + i]);
        double sum = 0;
        for (int i = 0; i < n; i++) {
            float e = (float) Math.exp(x[off + i] - max);
            x[off + i] = e;
            sum += e;
        }
        return sum;
    }

    /** SwiGLU: g[i] = silu(g[i]) · u[i], silu(z) = z / (1 + e^−z); vector exp ({@link VectorMath#exp}). */
    public static void swiglu(float[] g, int gOff, float[] u, int uOff, int n) {
        int i = 0;
        FloatVector one = FloatVector.broadcast(S, 1f);
        for (; i + S.length() <= n; i += S.length()) {
            FloatVector z = FloatVector.fromArray(S, g, gOff + i);
            FloatVector e = VectorMath.exp(z.neg());
            z.div(e.add(one)).mul(FloatVector.fromArray(S, u, uOff + i)).intoArray(g, gOff + i);
        }
        for (; i < n; i++) {
            float z = g[gOff + i];
            g[gOff + i] = z / (VectorMath.exp(-z) + 1f) * u[uOff + i];
        }
    }

    /** Reference for {@link #swiglu}: scalar {@link Math#exp}. */
    static void swigluReference(float[] g, int gOff, float[] u, int uOff, int n) {
        for (int i = 0; i < n; i++) {
            float z = g[gOff + i];
            g[gOff + i] = z / (1f + (float) Math.exp(-z)) * u[uOff + i];
        }
    }

    /** x[off+i] += b[i]. */
    public static void add(float[] x, int off, float[] b, int n) {
        for (int i = 0; i < n; i++) x[off + i] += b[i];
    }

    // ---- IEEE half (F16) operands, as stored in the KV cache ----

    private static final VectorSpecies<Integer> SI = IntVector.SPECIES_PREFERRED;
    /** As many halves as S has floats: half its bits (64-bit with 128-bit NEON/SSE vectors). */
    private static final VectorSpecies<Short> SH = VectorSpecies.of(short.class, VectorShape.forBitSize(S.vectorBitSize() / 2));
    private static final boolean HALF_OK = S.length() >= 4 && SI.length() == S.length() && SH.length() == S.length();
    private static final FloatVector TWO_112 = FloatVector.broadcast(S, 0x1p112f);

    /**
     * S.length() halves from h[off..] as floats, exactly as {@link Float#float16ToFloat}: the 15 low
     * bits shifted into a float's exponent and mantissa and scaled by 2^112 (exact for normals,
     * subnormals and zero), infinities and NaNs patched, the sign put back.
     */
    static FloatVector halves(short[] h, int off) {
        IntVector i = (IntVector) ShortVector.fromArray(SH, h, off).convertShape(VectorOperators.S2I, SI, 0);
        IntVector mag = i.and(0x7fff);
        IntVector bits = mag.lanewise(VectorOperators.LSHL, 13).reinterpretAsFloats().mul(TWO_112).reinterpretAsInts();
        VectorMask<Integer> special = mag.compare(VectorOperators.GE, 0x7c00);
        if (special.anyTrue()) { // infinity, or NaN made quiet with its payload kept (as float16ToFloat does)
            IntVector inf = mag.and(0x3ff).lanewise(VectorOperators.LSHL, 13).or(0x7f800000);
            inf = inf.blend(inf.or(0x400000), mag.compare(VectorOperators.GT, 0x7c00));
            bits = bits.blend(inf, special);
        }
        return bits.or(i.and(0x8000).lanewise(VectorOperators.LSHL, 16)).reinterpretAsFloats();
    }

    /** Σ a[aOff+i]·half(h[hOff+i]), i < n. */
    public static float dotF16(float[] a, int aOff, short[] h, int hOff, int n) {
        int i = 0;
        float s = 0;
        if (HALF_OK) {
            FloatVector acc0 = FloatVector.zero(S), acc1 = FloatVector.zero(S);
            int step = 2 * S.length();
            for (; i + step <= n; i += step) {
                acc0 = FloatVector.fromArray(S, a, aOff + i).fma(halves(h, hOff + i), acc0);
                acc1 = FloatVector.fromArray(S, a, aOff + i + S.length()).fma(halves(h, hOff + i + S.length()), acc1);
            }
            for (; i + S.length() <= n; i += S.length()) acc0 = FloatVector.fromArray(S, a, aOff + i).fma(halves(h, hOff + i), acc0);
            s = VectorMath.sum(acc0.add(acc1));
        }
        for (; i < n; i++) s += a[aOff + i] * Float.float16ToFloat(h[hOff + i]);
        return s;
    }

    /** Reference for {@link #dotF16}: a plain scalar loop, one {@link Float#float16ToFloat} per value. */
    static float dotF16Reference(float[] a, int aOff, short[] h, int hOff, int n) {
        float s = 0;
        for (int i = 0; i < n; i++) s += a[aOff + i] * Float.float16ToFloat(h[hOff + i]);
        return s;
    }

    /** y[yOff+i] += a·half(h[hOff+i]), i < n. */
    public static void axpyF16(float a, short[] h, int hOff, float[] y, int yOff, int n) {
        int i = 0;
        if (HALF_OK) {
            FloatVector av = FloatVector.broadcast(S, a);
            for (; i + S.length() <= n; i += S.length()) {
                halves(h, hOff + i).fma(av, FloatVector.fromArray(S, y, yOff + i)).intoArray(y, yOff + i);
            }
        }
        for (; i < n; i++) y[yOff + i] += a * Float.float16ToFloat(h[hOff + i]);
    }

    /** Reference for {@link #axpyF16}: a plain scalar loop (product rounded, then sum). */
    static void axpyF16Reference(float a, short[] h, int hOff, float[] y, int yOff, int n) {
        for (int i = 0; i < n; i++) y[yOff + i] += a * Float.float16ToFloat(h[hOff + i]);
    }

    /**
     * Runs at least this long are converted by a plain {@link Float#float16ToFloat} loop, which C2's
     * superword pass vectorizes with the hardware conversion; shorter runs (a head's 64 values) lose
     * more to that loop's pre- and post-loops than they gain, and take {@link #halves}.
     */
    static final int LONG_RUN = 512;

    /** dst[dstOff + i] = half(h[off + i]), i < n: a run of F16 values as floats, a vector at a time. */
    public static void halvesToFloats(short[] h, int off, float[] dst, int dstOff, int n) {
        if (n >= LONG_RUN) { // C2 turns this loop into vcvtph2ps (one instruction per vector; ~2× the lanes trick on long runs)
            for (int i = 0; i < n; i++) dst[dstOff + i] = Float.float16ToFloat(h[off + i]);
            return;
        }
        int i = 0;
        if (HALF_OK) for (; i + S.length() <= n; i += S.length()) halves(h, off + i).intoArray(dst, dstOff + i);
        for (; i < n; i++) dst[dstOff + i] = Float.float16ToFloat(h[off + i]);
    }

    /** Reference for {@link #halves} and {@link #halvesToFloats}: h[off..off+n) → dst, one {@link Float#float16ToFloat} each. */
    static void halvesReference(short[] h, int off, float[] dst, int n) {
        for (int i = 0; i < n; i++) dst[i] = Float.float16ToFloat(h[off + i]);
    }

    static int halfLanes() {
        return HALF_OK ? S.length() : 0;
    }
}

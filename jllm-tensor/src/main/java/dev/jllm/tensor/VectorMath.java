package dev.jllm.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;

/**
 * Vector exp and sum whose results do not depend on the JIT tier (shared by inference's FloatOps and
 * training's Layers). The JDK's {@code
 * lanewise(EXP)} is the SVML intrinsic once C2 compiles a loop but {@code Math.exp} per lane
 * before, and {@code reduceLanes(ADD)} may add the lanes in another order once compiled: a
 * training run that resumes in a fresh JVM (cold code) then drifts from the uninterrupted run by
 * an ulp. These use only lane-wise IEEE operations (exact in every tier) and a fixed lane order.
 */
public final class VectorMath {
    private VectorMath() {}

    private static final float LOG2E = 1.44269504088896341f;
    // ln 2 split in two (Cody–Waite) so n·ln2 is subtracted without rounding error
    private static final float LN2_HI = 0.693359375f, LN2_LO = -2.12194440e-4f;
    private static final float ROUND = 12582912f; // 1.5·2^23: x + ROUND − ROUND rounds to nearest int
    // below ln(2^-150) e^x rounds to 0; between that and ln(smallest normal) it is subnormal, as Math.exp gives it
    private static final float MAX_ARG = 88.7228391f, MIN_ARG = -103.972077f;

    /**
     * e^x per lane (Cephes expf: range reduction to |r| ≤ ln2/2, degree-6 polynomial, ≤ 2 ulp
     * against Math.exp; subnormal results within 2 of their ulps). Below ln(2^-150) the result is 0,
     * above ln(MAX_VALUE) +∞, NaN stays NaN.
     */
    public static FloatVector exp(FloatVector x) {
        var s = x.species();
        VectorMask<Float> under = x.compare(VectorOperators.LT, MIN_ARG), over = x.compare(VectorOperators.GT, MAX_ARG);
        FloatVector c = x.max(MIN_ARG).min(MAX_ARG);
        FloatVector t = c.mul(LOG2E).add(ROUND);
        FloatVector n = t.sub(ROUND);
        FloatVector r = c.sub(n.mul(LN2_HI)).sub(n.mul(LN2_LO));
        FloatVector p = r.mul(1.9875691500e-4f).add(1.3981999507e-3f);
        p = p.mul(r).add(8.3334519073e-3f);
        p = p.mul(r).add(4.1665795894e-2f);
        p = p.mul(r).add(1.6666665459e-1f);
        p = p.mul(r).add(5.0000001201e-1f);
        p = p.mul(r.mul(r)).add(r).add(1f);
        // 2^n from the integer in t's low mantissa bits; n ∈ [−150, 128]: split in two normal factors so
        // n = 128 does not overflow the exponent field and a subnormal result is rounded once, by the last product
        IntVector ni = t.reinterpretAsInts().sub(Float.floatToRawIntBits(ROUND));
        IntVector half = ni.lanewise(VectorOperators.ASHR, 1);
        FloatVector p1 = half.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
        FloatVector p2 = ni.sub(half).add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
        FloatVector e = p.mul(p1).mul(p2);
        return e.blend(0f, under).blend(Float.POSITIVE_INFINITY, over);
    }

    /**
     * The same e^x for one value: the very operations of {@link #exp(FloatVector)} in the same order
     * (each lane-wise operation is one IEEE float operation), so a kernel's scalar tail gives the bits
     * its vector lanes would — a value's exp must not depend on where a row's vector part ends.
     */
    public static float exp(float x) {
        if (x < MIN_ARG) return 0f;
        if (x > MAX_ARG) return Float.POSITIVE_INFINITY;
        float t = x * LOG2E + ROUND;
        float n = t - ROUND;
        float r = x - n * LN2_HI - n * LN2_LO;
        float p = r * 1.9875691500e-4f + 1.3981999507e-3f;
        p = p * r + 8.3334519073e-3f;
        p = p * r + 4.1665795894e-2f;
        p = p * r + 1.6666665459e-1f;
        p = p * r + 5.0000001201e-1f;
        p = p * (r * r) + r + 1f;
        int ni = Float.floatToRawIntBits(t) - Float.floatToRawIntBits(ROUND);
        int half = ni >> 1;
        return p * Float.intBitsToFloat((half + 127) << 23) * Float.intBitsToFloat((ni - half + 127) << 23);
    }

    /**
     * Σ lanes, added in lane order (no array: {@code lane(i)} on a species-sized vector is one
     * extract per lane once compiled, and the loop unrolls).
     */
    public static float sum(FloatVector v) {
        float s = v.lane(0);
        for (int i = 1; i < v.length(); i++) s += v.lane(i);
        return s;
    }
}

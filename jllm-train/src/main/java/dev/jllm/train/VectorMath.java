package dev.jllm.train;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;

/**
 * Vector exp and sum whose results do not depend on the JIT tier. The JDK's {@code
 * lanewise(EXP)} is the SVML intrinsic once C2 compiles a loop but {@code Math.exp} per lane
 * before, and {@code reduceLanes(ADD)} may add the lanes in another order once compiled: a
 * training run that resumes in a fresh JVM (cold code) then drifts from the uninterrupted run by
 * an ulp. These use only lane-wise IEEE operations (exact in every tier) and a fixed lane order.
 */
final class VectorMath {
    private VectorMath() {}

    private static final float LOG2E = 1.44269504088896341f;
    // ln 2 split in two (Cody–Waite) so n·ln2 is subtracted without rounding error
    private static final float LN2_HI = 0.693359375f, LN2_LO = -2.12194440e-4f;
    private static final float ROUND = 12582912f; // 1.5·2^23: x + ROUND − ROUND rounds to nearest int
    private static final float MAX_ARG = 88.7228391f, MIN_ARG = -87.3365448f;

    /**
     * e^x per lane (Cephes expf: range reduction to |r| ≤ ln2/2, degree-6 polynomial, ≤ 2 ulp
     * against Math.exp). Below ln(smallest normal) the result is 0, above ln(MAX_VALUE) +∞, NaN
     * stays NaN.
     */
    static FloatVector exp(FloatVector x) {
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
        // 2^n from the integer in t's low mantissa bits; n ∈ [−126, 128]: split in two factors so
        // n = 128 does not overflow the exponent field
        IntVector ni = t.reinterpretAsInts().sub(Float.floatToRawIntBits(ROUND));
        IntVector half = ni.lanewise(VectorOperators.ASHR, 1);
        FloatVector p1 = half.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
        FloatVector p2 = ni.sub(half).add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
        FloatVector e = p.mul(p1).mul(p2);
        return e.blend(0f, under).blend(Float.POSITIVE_INFINITY, over);
    }

    /** Σ lanes, added in lane order. */
    static float sum(FloatVector v) {
        float[] lanes = v.toArray();
        float s = 0;
        for (float f : lanes) s += f;
        return s;
    }
}

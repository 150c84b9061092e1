package dev.jllm.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import org.junit.jupiter.api.Test;

class VectorMathTest {
    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    static float[] exp(float[] x) {
        float[] out = new float[x.length];
        for (int i = 0; i < x.length; i += S.length()) VectorMath.exp(FloatVector.fromArray(S, x, i)).intoArray(out, i);
        return out;
    }

    @Test
    void expIsWithinTwoUlpOfMathExpOverTheNormalRange() {
        SplittableRandom r = new SplittableRandom(7);
        float[] x = new float[S.length() * 20_000];
        for (int i = 0; i < x.length; i++) x[i] = (float) r.nextDouble(-87.3, 88.7);
        x[0] = 0f; x[1] = -0f; x[2] = 1f; x[3] = -1f;
        float[] e = exp(x);
        float worst = 0;
        for (int i = 0; i < x.length; i++) {
            float want = (float) Math.exp(x[i]);
            float ulps = Math.abs(e[i] - want) / Math.ulp(want);
            worst = Math.max(worst, ulps);
            assertTrue(ulps <= 2, "exp(" + x[i] + ") = " + e[i] + ", Math.exp gives " + want);
        }
        assertEquals(1f, e[0]);
        assertEquals(1f, e[1]);
        assertTrue(worst > 0, "a polynomial that never differs from Math.exp would be suspicious");
    }

    @Test
    void expSaturatesAndPropagatesNaN() {
        float[] x = new float[S.length() * 2];
        float[] in = {-1000f, Float.NEGATIVE_INFINITY, -88f, 89f, 1000f, Float.POSITIVE_INFINITY, Float.NaN, 88.7f, -104f, -103.5f, -95f};
        for (int i = 0; i < x.length; i++) x[i] = in[i % in.length];
        float[] e = exp(x);
        for (int i = 0; i < x.length; i++) {
            float v = x[i];
            if (Float.isNaN(v)) assertTrue(Float.isNaN(e[i]), "NaN in, NaN out");
            else if (v < -103.98f) assertEquals(0f, e[i], "exp(" + v + ") underflows to 0");
            else if (v > 88.73f) assertEquals(Float.POSITIVE_INFINITY, e[i], "exp(" + v + ") overflows");
            else assertEquals((float) Math.exp(v), e[i], Math.ulp((float) Math.exp(v)) * 2, "exp(" + v + ")");
        }
    }

    /** Math.exp's subnormal results (e^x for x in [ln 2^-150, ln of the smallest normal)), within 2 of their ulps. */
    @Test
    void expGivesSubnormalsLikeMathExp() {
        float[] x = new float[S.length() * 2000];
        SplittableRandom r = new SplittableRandom(11);
        for (int i = 0; i < x.length; i++) x[i] = (float) r.nextDouble(-103.9, -87.34);
        float[] e = exp(x);
        boolean some = false;
        for (int i = 0; i < x.length; i++) {
            float want = (float) Math.exp(x[i]);
            some |= want > 0 && want < Float.MIN_NORMAL;
            assertEquals(want, e[i], 2 * Math.ulp(want), "exp(" + x[i] + ")");
        }
        assertTrue(some, "the inputs reach the subnormal range");
    }

    /** The scalar exp gives the vector lanes' bits for every input, special values included. */
    @Test
    void theScalarExpIsBitForBitTheVectorOne() {
        float[] x = new float[S.length() * 4000];
        SplittableRandom r = new SplittableRandom(13);
        for (int i = 0; i < x.length; i++) x[i] = (float) r.nextDouble(-110, 95);
        float[] special = {0f, -0f, 1f, -1f, Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, -103.972077f, -103.97208f,
            88.7228391f, 88.72284f, -87.3365448f, Float.MIN_VALUE, -Float.MIN_VALUE, 1e-30f};
        System.arraycopy(special, 0, x, 0, special.length);
        float[] e = exp(x);
        for (int i = 0; i < x.length; i++) {
            assertEquals(Float.floatToIntBits(e[i]), Float.floatToIntBits(VectorMath.exp(x[i])), "exp(" + x[i] + ")");
        }
    }

    @Test
    void sumAddsTheLanesInOrder() {
        float[] x = new float[S.length()];
        x[0] = 1e8f;
        for (int i = 1; i < x.length; i++) x[i] = 1f;
        float want = 0;
        for (float f : x) want += f; // each 1 is lost against 1e8 in this order
        assertEquals(want, VectorMath.sum(FloatVector.fromArray(S, x, 0)));
    }
}

package dev.jllm.tensor;

import static dev.jllm.tensor.QuantTesting.bytes;
import static org.junit.jupiter.api.Assertions.*;

import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Test;

/** F16 and BF16: known encodings, special values, and the vector decoders against all 65536 patterns. */
class HalfFormatsTest {

    static float[] decode(BlockFormat f, MemorySegment s, int n) {
        float[] out = new float[n];
        f.dequantize(s, 0, out, 0, n);
        return out;
    }

    static short[] encode(BlockFormat f, float... v) {
        MemorySegment s = QuantTesting.segment(2L * v.length);
        f.quantize(v, 0, v.length, s, 0);
        return s.toArray(QuantMath.SHORT_LE);
    }

    @Test
    void f16DecodesKnownBits() {
        MemorySegment s = bytes(0x00, 0x3C, 0x00, 0xC0, 0xFF, 0x7B, 0x01, 0x00, 0x00, 0x7C, 0x00, 0xFC, 0x00, 0x7E,
                0x00, 0x80, 0x55, 0x35);
        float[] w = decode(F16Format.INSTANCE, s, 9);
        assertEquals(1f, w[0]);
        assertEquals(-2f, w[1]);
        assertEquals(65504f, w[2]);
        assertEquals(0x1p-24f, w[3]);                       // smallest subnormal half
        assertEquals(Float.POSITIVE_INFINITY, w[4]);
        assertEquals(Float.NEGATIVE_INFINITY, w[5]);
        assertTrue(Float.isNaN(w[6]));
        assertEquals(Float.floatToRawIntBits(-0f), Float.floatToRawIntBits(w[7]));
        assertEquals(0.25f * (1 + 341f / 1024), w[8]);      // 0x3555: exponent 13 − 15, mantissa 0x155 = 341
    }

    @Test
    void f16EncodesSpecialValuesLikeGgml() {
        short[] h = encode(F16Format.INSTANCE, 0f, -0f, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.NaN,
                Float.intBitsToFloat(0xFF800001), 0x1p-24f, 0x1p-25f, 0x1.8p-25f, 65504f, 65520f, 1e-30f, 1 + 0x1p-11f);
        assertEquals((short) 0x0000, h[0]);
        assertEquals((short) 0x8000, h[1]);
        assertEquals((short) 0x7C00, h[2]);
        assertEquals((short) 0xFC00, h[3]);
        assertEquals((short) 0x7E00, h[4]);   // ggml: quiet NaN, payload dropped
        assertEquals((short) 0xFE00, h[5]);   // sign kept
        assertEquals((short) 0x0001, h[6]);   // subnormal, exact
        assertEquals((short) 0x0000, h[7]);   // half of the smallest subnormal: tie to even → 0
        assertEquals((short) 0x0001, h[8]);   // 0.75 × 2^-24 rounds to the nearest subnormal, 2^-24
        assertEquals((short) 0x7BFF, h[9]);   // largest finite half
        assertEquals((short) 0x7C00, h[10]);  // 65520 ties between 65504 and 65536: even mantissa → infinity
        assertEquals((short) 0x0000, h[11]);  // underflow to +0
        assertEquals((short) 0x3C00, h[12]);  // 1 + 2^-11 ties between 0x3C00 and 0x3C01: even
    }

    @Test
    void f16RoundTripsEveryFiniteHalfAndSpecials() {
        for (int bits = 0; bits < 65536; bits++) {
            float v = Float.float16ToFloat((short) bits);
            short back = encode(F16Format.INSTANCE, v)[0];
            if (Float.isNaN(v)) assertTrue(Float.isNaN(Float.float16ToFloat(back)));
            else assertEquals((short) bits, back, "half 0x" + Integer.toHexString(bits));
        }
    }

    @Test
    void f16VectorDecoderMatchesScalarForAllPatterns() {
        checkVectorDecoder((s, off) -> F16Format.toFloats(s, off), b -> Float.float16ToFloat((short) b));
    }

    @Test
    void bf16DecodesKnownBits() {
        MemorySegment s = bytes(0x80, 0x3F, 0x00, 0xC0, 0x80, 0x7F, 0x01, 0x00, 0x00, 0x80, 0xC0, 0x7F);
        float[] w = decode(BF16Format.INSTANCE, s, 6);
        assertEquals(1f, w[0]);
        assertEquals(-2f, w[1]);
        assertEquals(Float.POSITIVE_INFINITY, w[2]);
        assertEquals(Float.intBitsToFloat(0x00010000), w[3]);  // a subnormal float, kept as is
        assertEquals(Float.floatToRawIntBits(-0f), Float.floatToRawIntBits(w[4]));
        assertTrue(Float.isNaN(w[5]));
    }

    @Test
    void bf16EncodesWithRoundToNearestEvenAndQuietNaN() {
        short[] h = encode(BF16Format.INSTANCE, 1 + 0x1p-8f, 1 + 3 * 0x1p-8f, 1 + 0x1.2p-8f, -0f,
                Float.intBitsToFloat(0x7F800001), Float.intBitsToFloat(0xFFC12345), Float.MAX_VALUE,
                Float.POSITIVE_INFINITY, Float.intBitsToFloat(0x00012345), Float.intBitsToFloat(0x0001_8000));
        assertEquals((short) 0x3F80, h[0]);   // 1 + 2^-8 is a tie between 1 and 1 + 2^-7: even is 1
        assertEquals((short) 0x3F82, h[1]);   // 1 + 3·2^-8 ties between 0x3F81 and 0x3F82: even is 0x3F82
        assertEquals((short) 0x3F81, h[2]);   // just above the tie rounds up
        assertEquals((short) 0x8000, h[3]);
        assertEquals((short) 0x7FC0, h[4]);   // signalling NaN with low payload: quieted, not rounded to inf
        assertEquals((short) 0xFFC1, h[5]);
        assertEquals((short) 0x7F80, h[6]);   // MAX_VALUE rounds up to infinity, as in ggml
        assertEquals((short) 0x7F80, h[7]);
        assertEquals((short) 0x0001, h[8]);   // subnormals are rounded, not flushed
        assertEquals((short) 0x0002, h[9]);   // 0x0001_8000: tie, odd 0x0001 → even 0x0002
    }

    @Test
    void bf16RoundTripsEveryPattern() {
        for (int bits = 0; bits < 65536; bits++) {
            float v = BF16Format.toFloat((short) bits);
            short back = encode(BF16Format.INSTANCE, v)[0];
            if (Float.isNaN(v)) assertEquals((short) (bits | 0x40), back);
            else assertEquals((short) bits, back);
        }
    }

    @Test
    void bf16VectorDecoderMatchesScalarForAllPatterns() {
        checkVectorDecoder((s, off) -> BF16Format.toFloats(s, off), b -> BF16Format.toFloat((short) b));
    }

    interface VectorDecoder { FloatVector at(MemorySegment s, long off); }
    interface ScalarDecoder { float of(int bits); }

    static void checkVectorDecoder(VectorDecoder vd, ScalarDecoder sd) {
        MemorySegment s = QuantTesting.segment(2L * 65536 + 1);
        for (int b = 0; b < 65536; b++) s.set(QuantMath.SHORT_LE, 1 + 2L * b, (short) b); // odd offset: unaligned
        int L = Simd.L;
        float[] lanes = new float[L];
        for (int b = 0; b < 65536; b += L) {
            vd.at(s, 1 + 2L * b).intoArray(lanes, 0);
            for (int k = 0; k < L; k++) {
                float want = sd.of(b + k);
                if (Float.isNaN(want)) assertTrue(Float.isNaN(lanes[k]), "pattern " + (b + k));
                else assertEquals(Float.floatToRawIntBits(want), Float.floatToRawIntBits(lanes[k]), "pattern 0x" + Integer.toHexString(b + k));
            }
        }
    }
}

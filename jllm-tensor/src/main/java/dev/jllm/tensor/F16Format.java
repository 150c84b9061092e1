package dev.jllm.tensor;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * F16: no blocks; weight i is the IEEE binary16 at bytes 2i–2i+1 (little-endian): bit 15 sign,
 * bits 14–10 exponent (bias 15), bits 9–0 mantissa.
 *
 * <p>The Vector API (JDK 25) has no half-to-float lane conversion, so {@link #dot} widens the shorts
 * to ints and rebuilds the float bits: shifting the 15 magnitude bits left by 13 puts the mantissa in
 * place and leaves an exponent 112 too small, which one multiply by 2^112 fixes exactly — for
 * subnormal halves too, since the product of a float and a power of two is exact. Infinity/NaN
 * (exponent 31) would come out finite, so those lanes get the all-ones exponent by a blend.
 */
public final class F16Format implements BlockFormat {
    public static final F16Format INSTANCE = new F16Format();

    /** L halves (half the float shape's bits) widened to L ints. */
    private static final VectorSpecies<Short> SS = Simd.H;
    private static final VectorSpecies<Integer> IS = Simd.I;

    private F16Format() {}

    @Override public GgmlType type() { return GgmlType.F16; }

    @Override
    public void dequantize(MemorySegment src, long offset, float[] dst, int dstOff, int n) {
        for (int i = 0; i < n; i++) dst[dstOff + i] = QuantMath.f16(src, offset + 2L * i);
    }

    /** ggml's GGML_FP32_TO_FP16 per weight (round to nearest even; NaN → quiet NaN 0x7E00 with sign). */
    @Override
    public void quantize(float[] src, int srcOff, int n, MemorySegment dst, long offset) {
        for (int i = 0; i < n; i++) QuantMath.putF16(dst, offset + 2L * i, src[srcOff + i]);
    }

    @Override
    public float dot(MemorySegment w, long offset, float[] x, int xOff, int n) {
        if (!Simd.OK) return dotReference(w, offset, x, xOff, n);
        FloatVector acc0 = FloatVector.zero(Simd.F), acc1 = FloatVector.zero(Simd.F);
        int L = Simd.L;
        int i = 0;
        // two accumulators so consecutive FMAs do not wait on each other's latency
        for (; i + 2 * L <= n; i += 2 * L) {
            acc0 = toFloats(w, offset + 2L * i).fma(Simd.x(x, xOff + i), acc0);
            acc1 = toFloats(w, offset + 2L * (i + L)).fma(Simd.x(x, xOff + i + L), acc1);
        }
        for (; i + L <= n; i += L) acc0 = toFloats(w, offset + 2L * i).fma(Simd.x(x, xOff + i), acc0);
        float s = VectorMath.sum(acc0.add(acc1));
        for (; i < n; i++) s += QuantMath.f16(w, offset + 2L * i) * x[xOff + i];
        return s;
    }

    /**
     * L halves at {@code off} as floats, exactly (see the class comment). The halves are sign-extended to ints, so
     * one left shift by 13 puts the sign at bit 31 (bits 28–30 are copies of it, masked off) and the 15 magnitude bits
     * at 13–27, and infinities/NaN are patched only behind a test that a finite model never passes: seven vector
     * operations instead of ten, and the decode loop is bound by them (7.6 → 11.5 G weights/s per thread in L2).
     */
    static FloatVector toFloats(MemorySegment w, long off) {
        IntVector h = (IntVector) ShortVector.fromMemorySegment(SS, w, off, ByteOrder.LITTLE_ENDIAN)
                .convertShape(VectorOperators.S2I, IS, 0);
        IntVector bits = h.lanewise(VectorOperators.LSHL, 13).and(0x8FFFE000);
        IntVector scaled = bits.reinterpretAsFloats().mul(0x1p112f).reinterpretAsInts();
        VectorMask<Integer> infNan = h.and(0x7c00).compare(VectorOperators.EQ, 0x7c00);
        if (infNan.anyTrue()) scaled = scaled.blend(bits.or(0x7f800000), infNan); // never in a finite model
        return scaled.reinterpretAsFloats();
    }
}

package dev.jllm.tensor;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * BF16: no blocks; weight i is the little-endian 16-bit value at bytes 2i–2i+1, which is the upper
 * half of an IEEE binary32 (sign, 8-bit exponent, 7-bit mantissa). Decoding is a 16-bit left shift,
 * exact for every value, so {@link #dot} is just widen, shift, reinterpret, FMA.
 */
public final class BF16Format implements BlockFormat {
    public static final BF16Format INSTANCE = new BF16Format();

    /** L halves (half the float shape's bits) widened to L ints. */
    private static final VectorSpecies<Short> SS = Simd.H;
    private static final VectorSpecies<Integer> IS = Simd.I;

    private BF16Format() {}

    @Override public GgmlType type() { return GgmlType.BF16; }

    static float toFloat(short bits) {
        return Float.intBitsToFloat(bits << 16);
    }

    /**
     * ggml's GGML_FP32_TO_BF16: round to nearest even by adding 0x7FFF plus the lowest kept bit; a
     * NaN keeps its top bits and gets the quiet bit (0x40) forced, so it cannot round into infinity.
     * Subnormals are kept (current ggml no longer flushes them).
     */
    static short fromFloat(float f) {
        int u = Float.floatToRawIntBits(f);
        if ((u & 0x7fffffff) > 0x7f800000) return (short) ((u >>> 16) | 64);
        return (short) ((u + (0x7fff + ((u >>> 16) & 1))) >>> 16);
    }

    @Override
    public void dequantize(MemorySegment src, long offset, float[] dst, int dstOff, int n) {
        for (int i = 0; i < n; i++) dst[dstOff + i] = toFloat(src.get(QuantMath.SHORT_LE, offset + 2L * i));
    }

    @Override
    public void quantize(float[] src, int srcOff, int n, MemorySegment dst, long offset) {
        for (int i = 0; i < n; i++) dst.set(QuantMath.SHORT_LE, offset + 2L * i, fromFloat(src[srcOff + i]));
    }

    @Override
    public float dot(MemorySegment w, long offset, float[] x, int xOff, int n) {
        if (!Simd.OK) return dotReference(w, offset, x, xOff, n);
        FloatVector acc0 = FloatVector.zero(Simd.F), acc1 = FloatVector.zero(Simd.F);
        int L = Simd.L;
        int i = 0;
        for (; i + 2 * L <= n; i += 2 * L) {
            acc0 = toFloats(w, offset + 2L * i).fma(Simd.x(x, xOff + i), acc0);
            acc1 = toFloats(w, offset + 2L * (i + L)).fma(Simd.x(x, xOff + i + L), acc1);
        }
        for (; i + L <= n; i += L) acc0 = toFloats(w, offset + 2L * i).fma(Simd.x(x, xOff + i), acc0);
        float s = VectorMath.sum(acc0.add(acc1));
        for (; i < n; i++) s += toFloat(w.get(QuantMath.SHORT_LE, offset + 2L * i)) * x[xOff + i];
        return s;
    }

    static FloatVector toFloats(MemorySegment w, long off) {
        IntVector h = (IntVector) ShortVector.fromMemorySegment(SS, w, off, ByteOrder.LITTLE_ENDIAN)
                .convertShape(VectorOperators.S2I, IS, 0);
        return h.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
    }
}

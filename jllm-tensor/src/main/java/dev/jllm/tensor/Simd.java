package dev.jllm.tensor;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The vector shapes the quant kernels use. Kernels work in groups of {@link #L} weights: one float
 * vector of L lanes is fed by L bytes of quants (a 128-bit byte vector for AVX-512, 64-bit for AVX2),
 * so one byte lane becomes one float lane with a single widening conversion. Block sizes (32, 16)
 * are multiples of L for L = 8 and 16. With a narrower preferred shape (128-bit NEON/SSE) there is no
 * byte species small enough, so {@link #OK} is false and the formats fall back to the scalar reference.
 */
final class Simd {
    private Simd() {}

    static final VectorSpecies<Float> F;
    static final VectorSpecies<Byte> B;
    /** Ints with the lane count of {@link #F} (Q5_0/Q5_1 spread their 32-bit qh over these lanes). */
    static final VectorSpecies<Integer> I;
    static final int L;
    static final boolean OK;

    static {
        int bits = FloatVector.SPECIES_PREFERRED.vectorBitSize();
        OK = bits >= 256;
        F = bits >= 512 ? FloatVector.SPECIES_512 : FloatVector.SPECIES_256;
        B = bits >= 512 ? ByteVector.SPECIES_128 : ByteVector.SPECIES_64;
        L = F.length();
        I = F.withLanes(int.class);
    }

    /**
     * {@code v.lanewise(LSHR, n)} for 0 ≤ n &lt; 8, in two instructions: x86 has no byte shift, and C2
     * emulates one by widening to 16 bits, shifting, masking and packing back (six instructions, seen in
     * the IQ4_NL kernel's assembly). Shifted as int lanes, the top n bits of each byte come from the next
     * byte and are masked off.
     */
    static ByteVector shr(ByteVector v, int n) {
        return v.reinterpretAsInts().lanewise(VectorOperators.LSHR, n).reinterpretAsBytes().and((byte) (0xFF >>> n));
    }

    /** L bytes at {@code off}. */
    static ByteVector bytes(MemorySegment s, long off) {
        return ByteVector.fromMemorySegment(B, s, off, ByteOrder.LITTLE_ENDIAN);
    }

    /** Signed bytes widened to floats, lane for lane. */
    static FloatVector toFloat(ByteVector v) {
        return (FloatVector) v.convertShape(VectorOperators.B2F, F, 0);
    }

    static FloatVector x(float[] x, int i) {
        return FloatVector.fromArray(F, x, i);
    }

    static FloatVector splat(float v) {
        return FloatVector.broadcast(F, v);
    }

    private static final int[] IOTA = new int[48];
    static { for (int i = 0; i < IOTA.length; i++) IOTA[i] = i; }

    /**
     * Q5_0/Q5_1 high bits: lane i gets 16 if bit {@code from + i} of the broadcast {@code qh} is set,
     * else 0 (a variable shift per lane, then I2F in the same shape: no reshaping).
     */
    static FloatVector bit4(IntVector qh, int from) {
        IntVector b = qh.lanewise(VectorOperators.LSHR, IntVector.fromArray(I, IOTA, from)).and(1);
        return (FloatVector) b.lanewise(VectorOperators.LSHL, 4).convert(VectorOperators.I2F, 0);
    }
}

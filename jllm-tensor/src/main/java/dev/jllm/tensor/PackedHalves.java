package dev.jllm.tensor;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The 16 rows' scales of a repacked block, kept as the file's IEEE halves (32 bytes) rather than
 * floats (64 bytes): for Q4_0 and IQ4_NL that is 0.5625 bytes per weight, the file's size, instead
 * of 0.625, and decode streams that much less (it is memory-bound on machines with few cores per
 * memory channel). {@link #load} widens them in registers once per block of 32 columns.
 *
 * <p>The Vector API (JDK 25) has no half-to-float lane conversion (see {@link F16Format}): shifting
 * the 15 magnitude bits left by 13 puts the mantissa in place and leaves the exponent 112 too small,
 * which one multiply by 2^112 fixes exactly (subnormal halves too); exponent 31 (infinity, NaN)
 * lanes get the all-ones float exponent by a blend, without a branch.
 */
final class PackedHalves {
    private PackedHalves() {}

    /** Bytes of 16 halves. */
    static final int BYTES = 32;

    /** {@link Simd#L} halves: all 16 of a block with AVX-512, one 8-row slice with AVX2 (see {@link PackedMatrix}). */
    private static final VectorSpecies<Short> S = Simd.H;
    private static final VectorSpecies<Integer> I = Simd.I;
    private static final FloatVector TWO_112 = FloatVector.broadcast(Simd.F, 0x1p112f);

    /** Stores half h (the file's bits) as lane r of the 16 halves at o. */
    static void put(MemorySegment dst, long o, int r, short h) {
        dst.set(QuantMath.SHORT_LE, o + 2L * r, h);
    }

    /** The {@link Simd#L} halves at o as floats; lane r equal to {@link #reference}(p, o, r) (NaN lanes stay NaN). */
    static FloatVector load(MemorySegment p, long o) {
        IntVector h = (IntVector) ShortVector.fromMemorySegment(S, p, o, ByteOrder.LITTLE_ENDIAN).convertShape(VectorOperators.S2I, I, 0);
        IntVector mag = h.and(0x7fff), sh = mag.lanewise(VectorOperators.LSHL, 13);
        IntVector bits = sh.reinterpretAsFloats().mul(TWO_112).reinterpretAsInts();
        bits = bits.blend(sh.or(0x7f800000), mag.compare(VectorOperators.GE, 0x7c00));
        return bits.or(h.and(0x8000).lanewise(VectorOperators.LSHL, 16)).reinterpretAsFloats();
    }

    /** Scalar reference for {@link #load}: lane r. */
    static float reference(MemorySegment p, long o, int r) {
        return QuantMath.f16(p, o + 2L * r);
    }
}

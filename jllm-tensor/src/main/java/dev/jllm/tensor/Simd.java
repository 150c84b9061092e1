package dev.jllm.tensor;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * The vector shapes the quant kernels use. Kernels work in groups of {@link #BL} weights: one load of BL
 * bytes of quants feeds {@link #P} float vectors of {@link #L} lanes, part p of the byte vector widened
 * to floats by one conversion ({@link #toFloat(ByteVector, int)}). With AVX-512 (L = 16) and AVX2 (L = 8)
 * a group is one vector, byte lane for float lane (BL = L, P = 1: a 128-bit or 64-bit byte vector). With
 * 128-bit vectors (NEON on Apple Silicon and most Arm servers, SSE) there is no 32-bit byte species, so a
 * group is 8 bytes into two 4-lane float vectors (BL = 8, P = 2). Block sizes (32, 16) are multiples of BL.
 * Below 128 bits {@link #OK} is false and the formats fall back to their scalar reference.
 */
final class Simd {
    private Simd() {}

    static final VectorSpecies<Float> F;
    static final VectorSpecies<Byte> B;
    /** Ints with the lane count of {@link #F} (Q5_0/Q5_1 spread their 32-bit qh over these lanes). */
    static final VectorSpecies<Integer> I;
    /** Shorts with the lane count of {@link #F} (half its bits): F16/BF16 values widened to {@link #I}. */
    static final VectorSpecies<Short> H;
    /** Float lanes per vector. */
    static final int L;
    /** Bytes per quant load: the weights of one group. */
    static final int BL;
    /** Float vectors per group: BL / L. */
    static final int P;
    static final boolean OK;

    static {
        int bits = FloatVector.SPECIES_PREFERRED.vectorBitSize();
        OK = bits >= 128;
        F = bits >= 512 ? FloatVector.SPECIES_512 : bits >= 256 ? FloatVector.SPECIES_256 : FloatVector.SPECIES_128;
        B = bits >= 512 ? ByteVector.SPECIES_128 : ByteVector.SPECIES_64;
        L = F.length();
        BL = B.length();
        P = BL / L;
        I = F.withLanes(int.class);
        H = VectorSpecies.of(short.class, VectorShape.forBitSize(F.vectorBitSize() / 2));
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

    /** Signed bytes {@code part·L … part·L + L − 1} of a group widened to floats (part &lt; {@link #P}). */
    static FloatVector toFloat(ByteVector v, int part) {
        return (FloatVector) v.convertShape(VectorOperators.B2F, F, part);
    }

    static FloatVector x(float[] x, int i) {
        return FloatVector.fromArray(F, x, i);
    }

    static FloatVector splat(float v) {
        return FloatVector.broadcast(F, v);
    }

    /** 0, 1, 2, …: lane indices for per-lane shifts (Q5_0/Q5_1 fifth bits). */
    static final int[] IOTA = new int[48];
    static { for (int i = 0; i < IOTA.length; i++) IOTA[i] = i; }
}

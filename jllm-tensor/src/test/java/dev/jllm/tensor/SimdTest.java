package dev.jllm.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import org.junit.jupiter.api.Test;

/**
 * {@link Simd#shr} (an int-lane shift and a mask) equals the Vector API's byte shift, bit for bit; the kernels' shape
 * follows the CPU's preferred one, and the POM's runs with a narrower {@code -XX:MaxVectorSize} really get theirs.
 */
class SimdTest {

    @Test
    void shapeFollowsThePreferredSpecies() {
        int bits = FloatVector.SPECIES_PREFERRED.vectorBitSize();
        String expected = System.getProperty("jllm.test.simdBits");
        if (expected != null) assertEquals(Integer.parseInt(expected), bits, "this surefire run's -XX:MaxVectorSize did not take");
        assertTrue(Simd.OK, "every x86-64 and Arm64 JIT has 128-bit vectors: " + bits);
        assertEquals(Math.min(bits, 512) / 32, Simd.L, "float lanes");
        assertEquals(bits >= 512 ? 16 : 8, Simd.BL, "quant bytes per group");
        assertEquals(Simd.BL, Simd.P * Simd.L, "parts per group");
        assertEquals(Simd.BL, Simd.B.length());
        assertEquals(Simd.L, Simd.I.length());
    }

    @Test
    void intLaneShiftEqualsByteShift() {
        Random rnd = new Random(7);
        for (VectorSpecies<Byte> s : new VectorSpecies[] {Simd.B, ByteVector.SPECIES_128, ByteVector.SPECIES_256, ByteVector.SPECIES_512}) {
            byte[] a = new byte[s.length()];
            for (int round = 0; round < 200; round++) {
                rnd.nextBytes(a);
                if (round == 0) java.util.Arrays.fill(a, (byte) 0xFF); // every bit set: any bit leaking from a neighbour shows
                ByteVector v = ByteVector.fromArray(s, a, 0);
                for (int n = 0; n < 8; n++) {
                    assertArrayEquals(v.lanewise(VectorOperators.LSHR, n).toArray(), Simd.shr(v, n).toArray(), s + " >>> " + n);
                }
            }
        }
    }
}

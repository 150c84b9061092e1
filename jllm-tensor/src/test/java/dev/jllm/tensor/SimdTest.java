package dev.jllm.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.util.Random;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import org.junit.jupiter.api.Test;

/** {@link Simd#shr} (an int-lane shift and a mask) equals the Vector API's byte shift, bit for bit. */
class SimdTest {

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

package dev.jllm.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.Test;

class PackedHalvesTest {

    @Test
    void everyHalfWidensToItsFloat() {
        assumeTrue(Simd.OK && Simd.L >= 8, "16- or 8-lane vectors only (the repacked layouts)");
        int lanes = Simd.L;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment p = arena.allocate(65536L * 2 + 2); // +2: the loads start at an odd half too
            for (int shift = 0; shift < 2; shift++) {
                long base = 2L * shift;
                for (int h = 0; h < 65536; h++) PackedHalves.put(p, base, h, (short) h);
                float[] got = new float[lanes];
                for (int o = 0; o < 65536; o += lanes) {
                    PackedHalves.load(p, base + 2L * o).intoArray(got, 0);
                    for (int r = 0; r < lanes; r++) {
                        int h = o + r;
                        float want = Float.float16ToFloat((short) h);
                        assertEquals(want, PackedHalves.reference(p, base + 2L * o, r));
                        if (Float.isNaN(want)) {
                            assertTrue(Float.isNaN(got[r]), "half 0x" + Integer.toHexString(h) + " must stay NaN, got " + got[r]);
                            assertEquals(h >>> 15, Float.floatToRawIntBits(got[r]) >>> 31, "sign of NaN 0x" + Integer.toHexString(h));
                        } else {
                            assertEquals(Float.floatToRawIntBits(want), Float.floatToRawIntBits(got[r]), "half 0x" + Integer.toHexString(h));
                        }
                    }
                }
            }
        }
    }
}

package dev.jllm.tensor;

import static org.junit.jupiter.api.Assertions.*;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class QuantMathTest {

    @Test
    void nearestIntRoundsHalfToEven() {
        assertEquals(2, QuantMath.nearestInt(2.5f));
        assertEquals(4, QuantMath.nearestInt(3.5f));
        assertEquals(-2, QuantMath.nearestInt(-2.5f));
        assertEquals(-2, QuantMath.nearestInt(-1.5f));
        assertEquals(0, QuantMath.nearestInt(0.49999997f));
        assertEquals(1, QuantMath.nearestInt(0.50000006f));
        assertEquals(4194303, QuantMath.nearestInt(4194303f));
        assertEquals(-4194303, QuantMath.nearestInt(-4194303f));
        SplittableRandom r = new SplittableRandom(5);
        for (int i = 0; i < 100_000; i++) {
            float v = (float) r.nextDouble(-5000, 5000);
            assertEquals((int) Math.rint(v), QuantMath.nearestInt(v), "v=" + v);
        }
    }

    @Test
    void roundfRoundsHalfAwayFromZero() {
        assertEquals(3f, QuantMath.roundf(2.5f));
        assertEquals(-3f, QuantMath.roundf(-2.5f));
        assertEquals(1f, QuantMath.roundf(0.5f));
        assertEquals(0f, QuantMath.roundf(0.49999997f)); // floor(x + 0.5f) in float would give 1
        assertEquals(-0f, QuantMath.roundf(-0.3f));
        assertEquals(8388609f, QuantMath.roundf(8388609f));
    }

    /**
     * ggml's portable fp32→fp16 (ggml-impl.h, after Maratyszcza's FP16 library), rewritten here as
     * the oracle: scaling by 2^112·2^-110 lets the FPU do the rounding of the mantissa into place.
     */
    static short ggmlFp32ToFp16(float f) {
        float base = (Math.abs(f) * 0x1p112f) * 0x1p-110f;
        int w = Float.floatToRawIntBits(f);
        int shl1w = w + w;
        int sign = w & 0x80000000;
        int bias = shl1w & 0xFF000000;
        if (Integer.compareUnsigned(bias, 0x71000000) < 0) bias = 0x71000000;
        base = Float.intBitsToFloat((bias >>> 1) + 0x07800000) + base;
        int bits = Float.floatToRawIntBits(base);
        int expBits = (bits >>> 13) & 0x00007C00;
        int mantissaBits = bits & 0x00000FFF;
        int nonsign = expBits + mantissaBits;
        return (short) ((sign >>> 16) | (Integer.compareUnsigned(shl1w, 0xFF000000) > 0 ? 0x7E00 : nonsign));
    }

    @Test
    void fp32ToFp16MatchesGgmlOnRandomAndEdgeBitPatterns() {
        SplittableRandom r = new SplittableRandom(11);
        for (int i = 0; i < 2_000_000; i++) {
            int bits = r.nextInt();
            float f = Float.intBitsToFloat(bits);
            assertEquals(ggmlFp32ToFp16(f), QuantMath.fp32ToFp16(f), "bits 0x" + Integer.toHexString(bits));
        }
        // every float within a few ulps of each half and of each midpoint between halves
        for (int h = 0; h < 0x7C00; h++) {
            float v = Float.float16ToFloat((short) h);
            int vb = Float.floatToRawIntBits(v);
            for (int d = -3; d <= 3; d++) {
                for (int sign : new int[] {0, 0x80000000}) {
                    float f = Float.intBitsToFloat((vb + d) | sign);
                    assertEquals(ggmlFp32ToFp16(f), QuantMath.fp32ToFp16(f));
                    float mid = Float.intBitsToFloat(((vb + Float.floatToRawIntBits(Float.float16ToFloat((short) (h + 1)))) >>> 1) + d | sign);
                    assertEquals(ggmlFp32ToFp16(mid), QuantMath.fp32ToFp16(mid));
                }
            }
        }
    }

    @Test
    void scaleMinK4UnpacksWhatPackScalesK4Packs() {
        SplittableRandom r = new SplittableRandom(2);
        byte[] packed = new byte[12];
        for (int trial = 0; trial < 2000; trial++) {
            int[] ls = new int[8], lm = new int[8];
            for (int j = 0; j < 8; j++) { ls[j] = r.nextInt(64); lm[j] = r.nextInt(64); }
            java.util.Arrays.fill(packed, (byte) 0);
            QuantMath.packScalesK4(ls, lm, packed);
            var seg = java.lang.foreign.MemorySegment.ofArray(packed);
            for (int j = 0; j < 8; j++) {
                int sm = QuantMath.scaleMinK4(j, seg, 0);
                assertEquals(ls[j], sm & 0xFF);
                assertEquals(lm[j], sm >> 8);
            }
        }
    }

    @Test
    void scaleMinsK4EqualsScaleMinK4ForEachSubBlock() {
        SplittableRandom r = new SplittableRandom(3);
        byte[] b = new byte[16];
        var seg = java.lang.foreign.MemorySegment.ofArray(b);
        for (int trial = 0; trial < 2000; trial++) {
            for (int i = 0; i < b.length; i++) b[i] = (byte) r.nextInt(256);
            int off = trial % 4; // unaligned, as in a 144- or 176-byte super-block
            for (int half = 0; half < 2; half++) {
                long sm = QuantMath.scaleMinsK4(seg, off, half);
                for (int k = 0; k < 4; k++) {
                    int ref = QuantMath.scaleMinK4(4 * half + k, seg, off);
                    assertEquals(ref & 0xFF, (int) (sm >>> 8 * k & 0xFF), "scale " + (4 * half + k));
                    assertEquals(ref >> 8, (int) (sm >>> 32 + 8 * k & 0xFF), "min " + (4 * half + k));
                }
            }
        }
    }

    @Test
    void scaleMinK4HandPackedBytes() {
        // scale 4 = 0b110101 (53): low nibble 5 in byte 8, top bits 0b11 in byte 0's bits 6–7;
        // min 4 = 0b011010 (26): high nibble 0xA in byte 8, top bits 0b01 in byte 4's bits 6–7
        byte[] b = new byte[12];
        b[0] = (byte) (0b11 << 6 | 7);   // scale 0 = 7
        b[4] = (byte) (0b01 << 6 | 9);   // min 0 = 9
        b[8] = (byte) 0xA5;
        var seg = java.lang.foreign.MemorySegment.ofArray(b);
        assertEquals(7 | 9 << 8, QuantMath.scaleMinK4(0, seg, 0));
        assertEquals(53 | 26 << 8, QuantMath.scaleMinK4(4, seg, 0));
    }
}

package dev.jllm.tensor;

import static org.junit.jupiter.api.Assertions.*;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.junit.jupiter.api.Test;

/** Q4_K, Q5_K, Q6_K dequantization of super-blocks whose bytes and values were worked out by hand. */
class KQuantFormatsTest {

    static void put(MemorySegment s, int off, int... b) {
        for (int i = 0; i < b.length; i++) s.set(ValueLayout.JAVA_BYTE, off + i, (byte) b[i]);
    }

    static float[] dequant(BlockFormat f, MemorySegment s) {
        float[] out = new float[256];
        f.dequantize(s, 0, out, 0, 256);
        return out;
    }

    /**
     * d = 0.5, dmin = 0.25; sub-block 0: sc 2, m 4 (bytes 0 and 4 of scales); sub-block 5: sc 37 =
     * 0b10_0101, m 50 = 0b11_0010 → scales byte 9 = 0x25 (low nibbles), top bits 0b10 in byte 1 and
     * 0b11 in byte 5 (bits 6–7). Every other sub-block has sc = m = 0.
     */
    static MemorySegment k4Header(int bytes) {
        MemorySegment s = QuantTesting.segment(bytes);
        put(s, 0, 0x00, 0x38, 0x00, 0x34);
        put(s, 4, 2, 0x80, 0, 0, 4, 0xC0, 0, 0, 0, 0x25, 0, 0);
        return s;
    }

    @Test
    void q4_KHandBuiltSuperBlock() {
        MemorySegment s = k4Header(144);
        put(s, 16, 0x07);        // qs[0]: low nibble 7 → weight 0 (sub-block 0); high 0 → weight 32 (sub-block 1)
        put(s, 16 + 64, 0xF3);   // qs[64]: low 3 → weight 128 (sub-block 4), high 15 → weight 160 (sub-block 5)
        float[] w = dequant(Q4_KFormat.INSTANCE, s);
        assertEquals(0.5f * 2 * 7 - 0.25f * 4, w[0]);   // 6
        assertEquals(-1f, w[1]);                         // nibble 0: just −dmin·m
        assertEquals(-1f, w[31]);
        assertEquals(0f, w[32]);
        assertEquals(0f, w[128]);                        // sc = 0
        assertEquals(0.5f * 37 * 15 - 0.25f * 50, w[160]); // 265
        assertEquals(-12.5f, w[161]);
    }

    @Test
    void q5_KHandBuiltSuperBlock() {
        MemorySegment s = k4Header(176);
        put(s, 16, 0x21, 0x01);  // qh[0]: bit 0 (sub-block 0) and bit 5 (sub-block 5); qh[1]: bit 0
        put(s, 48, 0x07);        // qs[0] low nibble 7
        put(s, 48 + 64, 0xF3);   // qs[64] high nibble 15 → sub-block 5, l = 0
        float[] w = dequant(Q5_KFormat.INSTANCE, s);
        assertEquals(0.5f * 2 * (7 + 16) - 1, w[0]);             // 22
        assertEquals(0.5f * 2 * 16 - 1, w[1]);                   // 15: only the fifth bit
        assertEquals(-1f, w[2]);
        assertEquals(0.5f * 37 * (15 + 16) - 12.5f, w[160]);     // 561
        assertEquals(-12.5f, w[161]);
    }

    @Test
    void q6_KHandBuiltSuperBlock() {
        MemorySegment s = QuantTesting.segment(210);
        put(s, 208, 0x00, 0x38);                 // d = 0.5
        put(s, 192, 2, 0, 0xFD, 0, 1, 0, 4, 0, 0, 5); // sc[0]=2, sc[2]=−3, sc[4]=1, sc[6]=4, sc[9]=5
        put(s, 0, 0x21);                         // ql[0]: low 1 → weight 0, high 2 → weight 64
        put(s, 32, 0x5F);                        // ql[32]: low 15 → weight 32, high 5 → weight 96
        put(s, 128, 0xE4);                       // qh[0] = 0b11_10_01_00: weight 0 gets 0, 32 gets 1, 64 gets 2, 96 gets 3
        put(s, 64 + 16, 0x0A);                   // second half, l = 16: ql low nibble 10
        put(s, 128 + 32 + 16, 0x02);             // its qh bits 0–1 = 2 → q = 10 | 32 = 42
        float[] w = dequant(Q6_KFormat.INSTANCE, s);
        assertEquals(0.5f * 2 * (1 - 32), w[0]);             // −31
        assertEquals(0.5f * -3 * ((15 | 1 << 4) - 32), w[32]); // 1.5
        assertEquals(0.5f * 1 * ((2 | 2 << 4) - 32), w[64]);   // 1
        assertEquals(0.5f * 4 * ((5 | 3 << 4) - 32), w[96]);   // 42
        assertEquals(0.5f * 2 * -32, w[1]);                    // all-zero bits: q = −32
        assertEquals(0.5f * 5 * (42 - 32), w[128 + 16]);       // 25
        assertEquals(-0f, w[128]);                             // sc[8] = 0: (d·0)·(−32) = −0, as in C
    }

    @Test
    void allZeroSuperBlocksQuantizeToZeros() {
        float[] x = new float[512];
        for (BlockFormat f : new BlockFormat[] {Q4_KFormat.INSTANCE, Q5_KFormat.INSTANCE, Q6_KFormat.INSTANCE}) {
            MemorySegment s = QuantTesting.quantized(f, x, 0);
            float[] back = new float[512];
            f.dequantize(s, 0, back, 0, 512);
            for (float v : back) assertEquals(0f, Math.abs(v), f.type().toString());
            assertEquals(0f, f.dot(s, 0, QuantTesting.randomRow(1, 512, 1), 0, 512), 0f);
        }
    }
}

package dev.jllm.tensor;

import static dev.jllm.tensor.QuantTesting.bytes;
import static org.junit.jupiter.api.Assertions.*;

import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.Test;

/** Q8_0, Q4_0, Q4_1, Q5_0, Q5_1 against blocks whose bytes and values were worked out by hand. */
class SmallBlockFormatsTest {

    static float[] dequant(BlockFormat f, MemorySegment s, int n) {
        float[] out = new float[n];
        f.dequantize(s, 0, out, 0, n);
        return out;
    }

    static int[] pad(int n, int fill, int... head) {
        int[] b = new int[n];
        java.util.Arrays.fill(b, fill);
        System.arraycopy(head, 0, b, 0, head.length);
        return b;
    }

    @Test
    void q8_0DequantizeHandBuiltBlock() {
        // d = 0.25 (f16 0x3400), q = -128, 127, 1, -1, then zeros
        MemorySegment s = bytes(pad(34, 0, 0x00, 0x34, 0x80, 0x7F, 0x01, 0xFF));
        float[] w = dequant(Q8_0Format.INSTANCE, s, 32);
        assertArrayEquals(new float[] {-32f, 31.75f, 0.25f, -0.25f}, java.util.Arrays.copyOf(w, 4));
        for (int i = 4; i < 32; i++) assertEquals(0f, w[i]);
    }

    @Test
    void q8_0QuantizeFixedVector() {
        // amax = 127 makes d = 1 exactly, so q = roundf(x): ties go AWAY from zero (2.5 → 3, not 2)
        float[] x = new float[32];
        float[] head = {127, -0.5f, 0.5f, 2.5f, -2.5f, 1.4999999f, 3.7f, -100.2f, 0, -127, 126.5f, -126.5f,
                0.49999997f, 1, -1, 64.49f};
        System.arraycopy(head, 0, x, 0, head.length);
        MemorySegment s = QuantTesting.quantized(Q8_0Format.INSTANCE, x, 0);
        int[] expected = pad(34, 0, 0x00, 0x3C, // f16 1.0
                0x7F, 0xFF, 0x01, 0x03, 0xFD, 0x01, 0x04, 0x9C, 0x00, 0x81, 0x7F, 0x81, 0x00, 0x01, 0xFF, 0x40);
        assertArrayEquals(toBytes(expected), QuantTesting.toBytes(s, 0, 34));
    }

    @Test
    void q4_0DequantizeHandBuiltBlock() {
        // d = 0.5 (0x3800); qs[0] = 0x1F: w0 = (15−8)·0.5, w16 = (1−8)·0.5; qs[1] = 0x80: w1 = −4, w17 = 0
        MemorySegment s = bytes(pad(18, 0x88, 0x00, 0x38, 0x1F, 0x80));
        float[] w = dequant(Q4_0Format.INSTANCE, s, 32);
        assertEquals(3.5f, w[0]);
        assertEquals(-4f, w[1]);
        assertEquals(-3.5f, w[16]);
        assertEquals(0f, w[17]);
        for (int i : new int[] {2, 15, 18, 31}) assertEquals(0f, w[i]);
    }

    @Test
    void q4_0QuantizeFixedVectorUsesSignedMax() {
        // max |x| is 8 at x[0] (x[1] = −8 does not replace it: strict >), so d = 8/−8 = −1 (f16 0xBC00)
        // and nibble = min(15, trunc(−x + 8.5))
        float[] x = new float[32];
        float[] head = {8, -8, 7, -7, 0.49f, 0.5f, -0.5f, 3.2f, -3.2f, 7.5f, -7.5f, 1};
        System.arraycopy(head, 0, x, 0, head.length);
        x[16] = -4;    // 12.5 → 12
        x[17] = 2.25f; // 6.25 → 6
        // low nibbles: 0, 15 (16 clamped), 1, 15, 8, 8, 9, 5, 11, 1, 15 (16 clamped), 7, then 8 for zeros
        int[] expected = {0x00, 0xBC, 0xC0, 0x6F, 0x81, 0x8F, 0x88, 0x88, 0x89, 0x85, 0x8B, 0x81, 0x8F, 0x87,
                0x88, 0x88, 0x88, 0x88};
        MemorySegment s = QuantTesting.quantized(Q4_0Format.INSTANCE, x, 0);
        assertArrayEquals(toBytes(expected), QuantTesting.toBytes(s, 0, 18));
    }

    @Test
    void q4_1DequantizeHandBuiltBlock() {
        // d = 0.5 (0x3800), m = −1 (0xBC00); qs[0] = 0xA3: w0 = 3·0.5 − 1, w16 = 10·0.5 − 1; others nibble 0 → −1
        MemorySegment s = bytes(pad(20, 0x00, 0x00, 0x38, 0x00, 0xBC, 0xA3));
        float[] w = dequant(Q4_1Format.INSTANCE, s, 32);
        assertEquals(0.5f, w[0]);
        assertEquals(4f, w[16]);
        assertEquals(-1f, w[1]);
        assertEquals(-1f, w[31]);
    }

    @Test
    void q4_1QuantizeFixedVector() {
        // min = −1, max = 14 → d = 1 (0x3C00), m = −1 (0xBC00); nibble = min(15, trunc(x + 1 + 0.5))
        float[] x = new float[32];
        java.util.Arrays.fill(x, -1);
        x[0] = 14; x[1] = 0.49f; x[2] = 0.5f; x[16] = 3.2f; x[17] = -0.6f;
        // nibbles: x0 15, x1 trunc(1.99) = 1, x2 trunc(2.0) = 2, x16 trunc(4.7) = 4, x17 trunc(0.9) = 0
        int[] expected = pad(20, 0x00, 0x00, 0x3C, 0x00, 0xBC, 0x4F, 0x01, 0x02);
        MemorySegment s = QuantTesting.quantized(Q4_1Format.INSTANCE, x, 0);
        assertArrayEquals(toBytes(expected), QuantTesting.toBytes(s, 0, 20));
    }

    @Test
    void q5_0DequantizeHandBuiltBlock() {
        // d = 0.5 (0x3800); qh = 0xFFFDFFFD: every high bit set except weights 1 and 17.
        // qs[0] = 0x1F: w0 = (15|16 − 16)·0.5 = 7.5, w16 = (1|16 − 16)·0.5 = 0.5;
        // qs[1] = 0x80: w1 = (0 − 16)·0.5 = −8, w17 = (8 − 16)·0.5 = −4; the rest (0|16 − 16) = 0
        MemorySegment s = bytes(pad(22, 0x00, 0x00, 0x38, 0xFD, 0xFF, 0xFD, 0xFF, 0x1F, 0x80));
        float[] w = dequant(Q5_0Format.INSTANCE, s, 32);
        assertEquals(7.5f, w[0]);
        assertEquals(-8f, w[1]);
        assertEquals(0.5f, w[16]);
        assertEquals(-4f, w[17]);
        for (int i : new int[] {2, 15, 18, 31}) assertEquals(0f, w[i]);
    }

    @Test
    void q5_0QuantizeFixedVectorUsesSignedMax() {
        // max |x| is 16 at x[0] (x[1] = −16 does not replace it), so d = 16/−16 = −1 (f16 0xBC00)
        // and q = min(31, trunc(−x + 16.5))
        float[] x = new float[32];
        float[] head = {16, -16, 15, -15, 0.49f, 0.5f, -0.5f, 3.2f, -3.2f, 7.5f, -15.5f, 1};
        System.arraycopy(head, 0, x, 0, head.length);
        x[16] = -4;    // 20.5 → 20
        x[17] = 2.25f; // 14.25 → 14
        // q, weights 0–15: 0, 31 (32 clamped), 1, 31, 16, 16, 17, 13, 19, 9, 31 (32 clamped), 15, then 16 for zeros
        // qh bits 0–15 (q ≥ 16): 0111 1010 = 0x7A, 1111 0101 = 0xF5; bits 16–31: all but 17 → 0xFD, 0xFF
        int[] expected = {0x00, 0xBC, 0x7A, 0xF5, 0xFD, 0xFF,
                0x40, 0xEF, 0x01, 0x0F, 0x00, 0x00, 0x01, 0x0D, 0x03, 0x09, 0x0F, 0x0F, 0x00, 0x00, 0x00, 0x00};
        MemorySegment s = QuantTesting.quantized(Q5_0Format.INSTANCE, x, 0);
        assertArrayEquals(toBytes(expected), QuantTesting.toBytes(s, 0, 22));
    }

    @Test
    void q5_1DequantizeHandBuiltBlock() {
        // d = 0.5 (0x3800), m = −1 (0xBC00), qh = 0x00010001 (weights 0 and 16 have their 16 bit);
        // qs[0] = 0xA3: w0 = (3|16)·0.5 − 1 = 8.5, w16 = (10|16)·0.5 − 1 = 12; others q = 0 → −1
        MemorySegment s = bytes(pad(24, 0x00, 0x00, 0x38, 0x00, 0xBC, 0x01, 0x00, 0x01, 0x00, 0xA3));
        float[] w = dequant(Q5_1Format.INSTANCE, s, 32);
        assertEquals(8.5f, w[0]);
        assertEquals(12f, w[16]);
        assertEquals(-1f, w[1]);
        assertEquals(-1f, w[17]);
        assertEquals(-1f, w[31]);
    }

    @Test
    void q5_1QuantizeFixedVector() {
        // min = −1, max = 30 → d = 1 (0x3C00), m = −1 (0xBC00); q = trunc(x + 1 + 0.5), no clamp
        float[] x = new float[32];
        java.util.Arrays.fill(x, -1);
        x[0] = 30; x[1] = 0.49f; x[2] = 0.5f; x[3] = 14.5f; x[16] = 15.2f; x[17] = -0.6f;
        // q: x0 31, x1 trunc(1.99) = 1, x2 trunc(2.0) = 2, x3 16, x16 trunc(16.7) = 16, x17 trunc(0.9) = 0
        // qh: bits 0, 3 and 16 → 0x09, 0x00, 0x01, 0x00; nibbles keep the low 4 bits
        int[] expected = pad(24, 0x00, 0x00, 0x3C, 0x00, 0xBC, 0x09, 0x00, 0x01, 0x00, 0x0F, 0x01, 0x02, 0x00);
        MemorySegment s = QuantTesting.quantized(Q5_1Format.INSTANCE, x, 0);
        assertArrayEquals(toBytes(expected), QuantTesting.toBytes(s, 0, 24));
    }

    @Test
    void allZeroBlocksQuantizeToZeroScale() {
        float[] x = new float[32];
        for (BlockFormat f : new BlockFormat[] {Q8_0Format.INSTANCE, Q4_0Format.INSTANCE, Q4_1Format.INSTANCE,
                Q5_0Format.INSTANCE, Q5_1Format.INSTANCE}) {
            MemorySegment s = QuantTesting.quantized(f, x, 0);
            float[] w = dequant(f, s, 32);
            for (float v : w) assertEquals(0f, Math.abs(v), f.type().toString());
        }
        // llama.cpp's Q4_0 divides the signed max by −8, so an all-zero block stores d = −0 (f16 0x8000)
        MemorySegment s = QuantTesting.quantized(Q4_0Format.INSTANCE, x, 0);
        assertEquals((short) 0x8000, s.get(QuantMath.SHORT_LE, 0));
        // so does Q5_0 (d = max/−16)
        s = QuantTesting.quantized(Q5_0Format.INSTANCE, x, 0);
        assertEquals((short) 0x8000, s.get(QuantMath.SHORT_LE, 0));
    }

    @Test
    void rejectsPartialBlocks() {
        MemorySegment s = QuantTesting.segment(100);
        assertThrows(IllegalArgumentException.class, () -> Q8_0Format.INSTANCE.dequantize(s, 0, new float[40], 0, 40));
        assertThrows(IllegalArgumentException.class, () -> Q4_0Format.INSTANCE.dot(s, 0, new float[40], 0, 40));
        assertThrows(IllegalArgumentException.class, () -> Q5_0Format.INSTANCE.dot(s, 0, new float[40], 0, 40));
        assertThrows(IllegalArgumentException.class, () -> Q5_1Format.INSTANCE.quantize(new float[40], 0, 40, s, 0));
    }

    static byte[] toBytes(int[] b) {
        byte[] out = new byte[b.length];
        for (int i = 0; i < b.length; i++) out[i] = (byte) b[i];
        return out;
    }
}

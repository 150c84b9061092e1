package dev.jllm.tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The value grid of one weight inside an already-encoded block: every supported quantized type
 * decodes weight j of a block as {@code a_j · level + b_j}, with the integer level in [lo, hi] and
 * (a_j, b_j) fixed by the block's header (scale, min, sub-block scales). Error-compensating
 * quantizers (GPTQ) let the type's own block quantizer choose the header, then pick each weight's
 * level themselves with {@link #setLevel}: the result is an ordinary block of that type.
 *
 * <p>Q4_0: d·(q−8), q 0..15 · Q4_1: d·q + m · Q5_0: d·(q−16), q 0..31 · Q5_1: d·q + m ·
 * Q8_0: d·q, q −127..127 (what quantize_row_q8_0 produces) · Q4_K / Q5_K: d·sc·q − dmin·m, q 0..15 / 0..31 ·
 * Q6_K: d·sc·(q − 32), q 0..63. Layouts: see each type's format class.
 */
public final class BlockGrid {
    private BlockGrid() {}

    public static boolean supports(GgmlType t) {
        return switch (t) {
            case Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q4_K, Q5_K, Q6_K -> true;
            default -> false;
        };
    }

    /** Lowest level. */
    public static int lo(GgmlType t) {
        return t == GgmlType.Q8_0 ? -127 : 0;
    }

    /** Highest level. */
    public static int hi(GgmlType t) {
        return switch (t) {
            case Q4_0, Q4_1, Q4_K -> 15;
            case Q5_0, Q5_1, Q5_K -> 31;
            case Q6_K -> 63;
            case Q8_0 -> 127;
            default -> throw unsupported(t);
        };
    }

    private static IllegalArgumentException unsupported(GgmlType t) {
        return new IllegalArgumentException("no level grid for " + t + "; supported: Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q4_K, Q5_K, Q6_K");
    }

    private static int u8(MemorySegment s, long o) {
        return s.get(ValueLayout.JAVA_BYTE, o) & 0xFF;
    }

    /** ab[0] = a_j, ab[1] = b_j of weight j of the block at byte {@code o}. */
    public static void affine(GgmlType t, MemorySegment s, long o, int j, float[] ab) {
        switch (t) {
            case Q4_0 -> { float d = QuantMath.f16(s, o); ab[0] = d; ab[1] = -8 * d; }
            case Q5_0 -> { float d = QuantMath.f16(s, o); ab[0] = d; ab[1] = -16 * d; }
            case Q4_1, Q5_1 -> { ab[0] = QuantMath.f16(s, o); ab[1] = QuantMath.f16(s, o + 2); }
            case Q8_0 -> { ab[0] = QuantMath.f16(s, o); ab[1] = 0; }
            case Q4_K, Q5_K -> {
                int sm = QuantMath.scaleMinK4(j / 32, s, o + 4);
                ab[0] = QuantMath.f16(s, o) * (sm & 0xFF);
                ab[1] = -(QuantMath.f16(s, o + 2) * (sm >> 8));
            }
            case Q6_K -> {
                float a = QuantMath.f16(s, o + 208) * s.get(ValueLayout.JAVA_BYTE, o + 192 + j / 16);
                ab[0] = a;
                ab[1] = -32 * a;
            }
            default -> throw unsupported(t);
        }
    }

    /** The level stored for weight j of the block at byte {@code o}. */
    public static int level(GgmlType t, MemorySegment s, long o, int j) {
        return switch (t) {
            case Q4_0 -> nibble(s, o + 2, j, 32);
            case Q4_1 -> nibble(s, o + 4, j, 32);
            case Q5_0 -> nibble(s, o + 6, j, 32) | (s.get(QuantMath.INT_LE, o + 2) >>> j & 1) << 4;
            case Q5_1 -> nibble(s, o + 8, j, 32) | (s.get(QuantMath.INT_LE, o + 4) >>> j & 1) << 4;
            case Q8_0 -> s.get(ValueLayout.JAVA_BYTE, o + 2 + j);
            case Q4_K -> nibbleK(s, o + 16, j);
            case Q5_K -> nibbleK(s, o + 48, j) | (u8(s, o + 16 + j % 32) >> (2 * (j / 64) + (j % 64) / 32) & 1) << 4;
            case Q6_K -> {
                int h = j / 128, r = j % 128, qq = r / 32, l = r % 32;
                int ql = u8(s, o + 64 * h + l + (qq & 1) * 32);
                int low = qq < 2 ? ql & 0xF : ql >> 4;
                int high = u8(s, o + 128 + 32 * h + l) >> (2 * qq) & 3;
                yield low | high << 4;
            }
            default -> throw unsupported(t);
        };
    }

    /** Stores {@code level} (in [lo, hi]) for weight j of the block at byte {@code o}, leaving every other weight as it was. */
    public static void setLevel(GgmlType t, MemorySegment s, long o, int j, int level) {
        if (level < lo(t) || level > hi(t)) throw new IllegalArgumentException(t + " level " + level + " outside [" + lo(t) + ", " + hi(t) + "]");
        switch (t) {
            case Q4_0 -> setNibble(s, o + 2, j, 32, level);
            case Q4_1 -> setNibble(s, o + 4, j, 32, level);
            case Q5_0 -> { setNibble(s, o + 6, j, 32, level & 0xF); setBit(s, o + 2, j, level >> 4); }
            case Q5_1 -> { setNibble(s, o + 8, j, 32, level & 0xF); setBit(s, o + 4, j, level >> 4); }
            case Q8_0 -> s.set(ValueLayout.JAVA_BYTE, o + 2 + j, (byte) level);
            case Q4_K -> setNibbleK(s, o + 16, j, level);
            case Q5_K -> {
                setNibbleK(s, o + 48, j, level & 0xF);
                long qh = o + 16 + j % 32;
                int bit = 2 * (j / 64) + (j % 64) / 32;
                s.set(ValueLayout.JAVA_BYTE, qh, (byte) (u8(s, qh) & ~(1 << bit) | (level >> 4) << bit));
            }
            case Q6_K -> {
                int h = j / 128, r = j % 128, qq = r / 32, l = r % 32;
                long ql = o + 64 * h + l + (qq & 1) * 32;
                int v = u8(s, ql);
                v = qq < 2 ? (v & 0xF0) | (level & 0xF) : (v & 0x0F) | (level & 0xF) << 4;
                s.set(ValueLayout.JAVA_BYTE, ql, (byte) v);
                long qh = o + 128 + 32 * h + l;
                s.set(ValueLayout.JAVA_BYTE, qh, (byte) (u8(s, qh) & ~(3 << 2 * qq) | (level >> 4) << 2 * qq));
            }
            default -> throw unsupported(t);
        }
    }

    /** Legacy 32-blocks: weight j &lt; 16 in the low nibble of byte j, weight j + 16 in its high nibble. */
    private static int nibble(MemorySegment s, long qs, int j, int qk) {
        int b = u8(s, qs + j % (qk / 2));
        return j < qk / 2 ? b & 0xF : b >> 4;
    }

    private static void setNibble(MemorySegment s, long qs, int j, int qk, int v) {
        long at = qs + j % (qk / 2);
        int b = u8(s, at);
        s.set(ValueLayout.JAVA_BYTE, at, (byte) (j < qk / 2 ? (b & 0xF0) | v : (b & 0x0F) | v << 4));
    }

    private static void setBit(MemorySegment s, long qhOff, int j, int bit) {
        int qh = s.get(QuantMath.INT_LE, qhOff);
        s.set(QuantMath.INT_LE, qhOff, qh & ~(1 << j) | bit << j);
    }

    /** K super-blocks: chunk c = j/64 holds sub-block 2c in the low nibbles of its 32 bytes and 2c+1 in the high ones. */
    private static int nibbleK(MemorySegment s, long qs, int j) {
        int b = u8(s, qs + 32 * (j / 64) + j % 32);
        return (j % 64) < 32 ? b & 0xF : b >> 4;
    }

    private static void setNibbleK(MemorySegment s, long qs, int j, int v) {
        long at = qs + 32 * (j / 64) + j % 32;
        int b = u8(s, at);
        s.set(ValueLayout.JAVA_BYTE, at, (byte) ((j % 64) < 32 ? (b & 0xF0) | v : (b & 0x0F) | v << 4));
    }
}

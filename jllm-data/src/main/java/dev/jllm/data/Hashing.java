package dev.jllm.data;

/** 64/128-bit hashes of chars: MurmurHash3 x64-128 over UTF-16 code units (4 chars per 64-bit block). */
public final class Hashing {
    private Hashing() {}

    private static final long C1 = 0x87c37b91114253d5L, C2 = 0x4cf5ad432745937fL;

    static long fmix64(long k) {
        k ^= k >>> 33;
        k *= 0xff51afd7ed558ccdL;
        k ^= k >>> 33;
        k *= 0xc4ceb9fe1a85ec53L;
        k ^= k >>> 33;
        return k;
    }

    /** MurmurHash3_x64_128 of the chars [from, to) as little-endian 16-bit units; returns {h1, h2}. */
    public static long[] murmur128(CharSequence s, int from, int to, long seed) {
        long h1 = seed, h2 = seed;
        int i = from;
        for (; i + 8 <= to; i += 8) {
            long k1 = block(s, i), k2 = block(s, i + 4);
            k1 *= C1; k1 = Long.rotateLeft(k1, 31); k1 *= C2; h1 ^= k1;
            h1 = Long.rotateLeft(h1, 27); h1 += h2; h1 = h1 * 5 + 0x52dce729;
            k2 *= C2; k2 = Long.rotateLeft(k2, 33); k2 *= C1; h2 ^= k2;
            h2 = Long.rotateLeft(h2, 31); h2 += h1; h2 = h2 * 5 + 0x38495ab5;
        }
        long k1 = 0, k2 = 0;
        int rem = to - i;
        for (int j = rem - 1; j >= 4; j--) k2 |= (long) s.charAt(i + j) << (16 * (j - 4));
        for (int j = Math.min(rem, 4) - 1; j >= 0; j--) k1 |= (long) s.charAt(i + j) << (16 * j);
        if (rem > 4) { k2 *= C2; k2 = Long.rotateLeft(k2, 33); k2 *= C1; h2 ^= k2; }
        if (rem > 0) { k1 *= C1; k1 = Long.rotateLeft(k1, 31); k1 *= C2; h1 ^= k1; }
        long len = 2L * (to - from);
        h1 ^= len; h2 ^= len;
        h1 += h2; h2 += h1;
        h1 = fmix64(h1); h2 = fmix64(h2);
        h1 += h2; h2 += h1;
        return new long[] {h1, h2};
    }

    private static long block(CharSequence s, int i) {
        return s.charAt(i) | (long) s.charAt(i + 1) << 16 | (long) s.charAt(i + 2) << 32 | (long) s.charAt(i + 3) << 48;
    }

    /** 64-bit hash of a whole string (first half of murmur128). */
    public static long hash64(CharSequence s) {
        return murmur128(s, 0, s.length(), 0)[0];
    }
}

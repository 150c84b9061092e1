package dev.jllm.data;

/**
 * Open-addressing map from a 128-bit key (k1, k2) to the first document id that had it: the
 * memory of exact dedup (k1, k2 = the text's MurmurHash3-128) and of MinHash LSH (k1 = band hash,
 * k2 = band index). 24 bytes per slot at ≤ 60% load ≈ 40 bytes per key; no boxing. Single-threaded
 * (the runner's committer owns it).
 */
final class KeyIndex {
    private long[] keys = new long[2 * 1024];
    private long[] vals = new long[1024]; // doc id + 1; 0 = empty slot
    private int size;

    int size() {
        return size;
    }

    /** Returns the id already stored for the key, or stores {@code id} and returns -1. */
    long putIfAbsent(long k1, long k2, long id) {
        if (size * 5 >= vals.length * 3) grow();
        int mask = vals.length - 1;
        int i = (int) Hashing.fmix64(k1 ^ (k2 * 0x9E3779B97F4A7C15L)) & mask;
        while (true) {
            long v = vals[i];
            if (v == 0) {
                keys[2 * i] = k1;
                keys[2 * i + 1] = k2;
                vals[i] = id + 1;
                size++;
                return -1;
            }
            if (keys[2 * i] == k1 && keys[2 * i + 1] == k2) return v - 1;
            i = (i + 1) & mask;
        }
    }

    private void grow() {
        long[] ok = keys, ov = vals;
        keys = new long[ok.length * 2];
        vals = new long[ov.length * 2];
        size = 0;
        for (int i = 0; i < ov.length; i++) {
            if (ov[i] != 0) putIfAbsent(ok[2 * i], ok[2 * i + 1], ov[i] - 1);
        }
    }
}

package dev.jllm.grammar;

import java.util.Arrays;

/** An open-addressing long → non-negative int map (no boxing on the matcher's hot path); {@link #get} is -1 when absent. */
final class LongIntMap {
    private static final long EMPTY = Long.MIN_VALUE;
    private long[] keys = new long[64];
    private int[] values = new int[64];
    private int size;

    LongIntMap() {
        Arrays.fill(keys, EMPTY);
    }

    int get(long key) {
        int mask = keys.length - 1;
        for (int i = mix(key) & mask; ; i = (i + 1) & mask) {
            long k = keys[i];
            if (k == key) return values[i];
            if (k == EMPTY) return -1;
        }
    }

    void put(long key, int value) {
        if ((size + 1) * 2 > keys.length) grow();
        int mask = keys.length - 1;
        for (int i = mix(key) & mask; ; i = (i + 1) & mask) {
            if (keys[i] == key) {
                values[i] = value;
                return;
            }
            if (keys[i] == EMPTY) {
                keys[i] = key;
                values[i] = value;
                size++;
                return;
            }
        }
    }

    void clear() {
        if (size == 0) return;
        if (keys.length > 1024) {
            keys = new long[64];
            values = new int[64];
        }
        Arrays.fill(keys, EMPTY);
        size = 0;
    }

    private void grow() {
        long[] ok = keys;
        int[] ov = values;
        keys = new long[ok.length * 2];
        values = new int[ok.length * 2];
        Arrays.fill(keys, EMPTY);
        size = 0;
        for (int i = 0; i < ok.length; i++) if (ok[i] != EMPTY) put(ok[i], ov[i]);
    }

    private static int mix(long k) {
        long h = k * 0x9E3779B97F4A7C15L;
        return (int) (h ^ (h >>> 32));
    }
}

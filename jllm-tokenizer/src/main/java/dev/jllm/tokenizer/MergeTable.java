package dev.jllm.tokenizer;

import java.util.Arrays;

/**
 * The BPE merge rules as an open-addressing hash map from a symbol pair (left id, right id) to its
 * rank, plus the symbol each rank produces. Symbols are vocabulary ids; strings that take part in
 * merges but are not tokens get "virtual" ids past the end of the vocabulary so that merge order
 * stays exactly as the merges list says (llama.cpp merges by text and only maps to ids at the end).
 *
 * <p>Example: merges {@code ["Ġ t", "Ġt he"]} over a vocabulary with Ġ=220, t=83, Ġt=256, he=258,
 * Ġthe=262 give {@code rank(220, 83) == 0, result(0) == 256, rank(256, 258) == 1, result(1) == 262}.
 * Lookups never allocate, which keeps the merge loop cheap.
 */
final class MergeTable {
    private long[] keys;
    private int[] ranks;
    private int[] results = new int[16];
    private int mask;
    private int size;
    private int maxRank = -1;

    MergeTable(int expected) {
        int cap = Integer.highestOneBit(Math.max(16, expected * 2) - 1) << 1;
        keys = new long[cap];
        ranks = new int[cap];
        Arrays.fill(keys, -1L);
        mask = cap - 1;
    }

    private static long key(int left, int right) {
        return ((long) left << 32) | (right & 0xffffffffL);
    }

    private static int hash(long k) {
        long h = k * 0x9E3779B97F4A7C15L;
        return (int) (h ^ (h >>> 29));
    }

    /** Adds a rule unless the pair already has one (the first, best-ranked rule wins, as in llama.cpp). */
    void put(int left, int right, int rank, int result) {
        if (left < 0 || right < 0) throw new IllegalArgumentException("negative symbol id in merge rule " + rank);
        long k = key(left, right);
        int i = hash(k) & mask;
        while (keys[i] != -1L) {
            if (keys[i] == k) return;
            i = (i + 1) & mask;
        }
        keys[i] = k;
        ranks[i] = rank;
        if (rank >= results.length) results = Arrays.copyOf(results, Math.max(rank + 1, results.length * 2));
        results[rank] = result;
        maxRank = Math.max(maxRank, rank);
        if (++size * 2 > keys.length) grow();
    }

    /** The rank of the pair, or -1 when no rule merges it. */
    int rank(int left, int right) {
        if (left < 0 || right < 0) return -1;
        long k = key(left, right);
        int i = hash(k) & mask;
        long cur;
        while ((cur = keys[i]) != -1L) {
            if (cur == k) return ranks[i];
            i = (i + 1) & mask;
        }
        return -1;
    }

    /** The symbol produced by the rule with this rank. */
    int result(int rank) {
        return results[rank];
    }

    int size() {
        return size;
    }

    private void grow() {
        long[] oldKeys = keys;
        int[] oldRanks = ranks;
        keys = new long[oldKeys.length * 2];
        ranks = new int[oldKeys.length * 2];
        Arrays.fill(keys, -1L);
        mask = keys.length - 1;
        for (int j = 0; j < oldKeys.length; j++) {
            if (oldKeys[j] == -1L) continue;
            int i = hash(oldKeys[j]) & mask;
            while (keys[i] != -1L) i = (i + 1) & mask;
            keys[i] = oldKeys[j];
            ranks[i] = oldRanks[j];
        }
    }
}

package dev.jllm.tokenizer;

import java.util.Arrays;

/**
 * A binary min-heap of primitive longs. The BPE loops pack (priority, position) into one long so
 * that the smallest value is the best merge and ties go to the leftmost position, the order both
 * llama.cpp and HF tokenizers use; stale entries are skipped by the caller when popped.
 *
 * <p>Example: push(5L<<32|2), push(5L<<32|0), push(3L<<32|7) → pop() gives 3L<<32|7, then 5L<<32|0.
 */
final class LongHeap {
    private long[] a;
    private int size;

    LongHeap(int capacity) {
        a = new long[Math.max(4, capacity)];
    }

    boolean isEmpty() {
        return size == 0;
    }

    void push(long v) {
        if (size == a.length) a = Arrays.copyOf(a, size * 2);
        int i = size++;
        while (i > 0) {
            int p = (i - 1) >>> 1;
            if (a[p] <= v) break;
            a[i] = a[p];
            i = p;
        }
        a[i] = v;
    }

    long pop() {
        long top = a[0];
        long last = a[--size];
        int i = 0;
        int half = size >>> 1;
        while (i < half) {
            int c = 2 * i + 1;
            if (c + 1 < size && a[c + 1] < a[c]) c++;
            if (last <= a[c]) break;
            a[i] = a[c];
            i = c;
        }
        if (size > 0) a[i] = last;
        return top;
    }
}

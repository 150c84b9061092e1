package dev.jllm.tensor;

import static org.junit.jupiter.api.Assertions.*;

import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.Test;

/** Parallel.forChunks covers [0, n) exactly once with contiguous pieces, and reports failures. */
class ParallelChunksTest {
    @Test
    void everyIndexOnce() {
        try (Parallel p = new Parallel(2)) {
            for (int n : new int[] {1, 2, 7, 64, 1000, 8016}) {
                for (int grain : new int[] {1, 3, 16, 5000}) {
                    AtomicIntegerArray hits = new AtomicIntegerArray(n);
                    p.forChunks(n, grain, (a, b) -> {
                        assertTrue(a < b && b - a <= grain, a + ".." + b);
                        for (int i = a; i < b; i++) hits.incrementAndGet(i);
                    });
                    for (int i = 0; i < n; i++) assertEquals(1, hits.get(i), "n " + n + " grain " + grain + " i " + i);
                }
            }
            assertThrows(IllegalStateException.class, () -> p.forChunks(100, 1, (a, b) -> {
                if (a == 57) throw new IllegalStateException("boom");
            }));
            AtomicIntegerArray after = new AtomicIntegerArray(10);
            p.forChunks(10, 2, (a, b) -> { for (int i = a; i < b; i++) after.incrementAndGet(i); });
            for (int i = 0; i < 10; i++) assertEquals(1, after.get(i));
        }
    }
}

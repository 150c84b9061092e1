package dev.jllm.tensor;

import java.util.concurrent.atomic.AtomicLong;
import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * A STREAM-like read-bandwidth probe: each thread sums its own large array repeatedly for a fixed
 * time. Decode speed of an LLM is bounded by this number divided by the bytes read per token.
 */
public final class MemoryBandwidth {
    private static final VectorSpecies<Long> S = LongVector.SPECIES_PREFERRED;

    private MemoryBandwidth() {}

    /** Result in bytes per second. */
    public record Result(int threads, long bytesRead, double seconds) {
        public double bytesPerSecond() { return bytesRead / seconds; }
    }

    /**
     * Reads {@code bytesPerThread} per thread over and over for about {@code millis} ms. Arrays must
     * be far larger than the caches (256 MiB per thread is plenty) to measure DRAM.
     */
    public static Result measure(int threads, long bytesPerThread, long millis) throws InterruptedException {
        int n = (int) Math.min(Integer.MAX_VALUE - 8, bytesPerThread / 8) / S.length() * S.length();
        long[][] arrays = new long[threads][];
        for (int t = 0; t < threads; t++) {
            arrays[t] = new long[n];
            java.util.Arrays.fill(arrays[t], t + 1); // touch every page before timing
        }
        AtomicLong total = new AtomicLong();
        AtomicLong sink = new AtomicLong();
        Thread[] workers = new Thread[threads];
        long deadline = System.nanoTime() + millis * 1_000_000L;
        // one warm-up pass per thread so JIT compilation is not timed
        for (long[] a : arrays) sink.addAndGet(sum(a));
        long start = System.nanoTime();
        for (int t = 0; t < threads; t++) {
            long[] a = arrays[t];
            workers[t] = new Thread(() -> {
                long bytes = 0, s = 0;
                do {
                    s += sum(a);
                    bytes += (long) a.length * 8;
                } while (System.nanoTime() < deadline);
                total.addAndGet(bytes);
                sink.addAndGet(s);
            });
            workers[t].start();
        }
        for (Thread w : workers) w.join();
        double secs = (System.nanoTime() - start) / 1e9;
        if (sink.get() == 42) System.out.print(""); // keep the sums alive
        return new Result(threads, total.get(), secs);
    }

    private static long sum(long[] a) {
        LongVector acc0 = LongVector.zero(S), acc1 = LongVector.zero(S);
        int step = S.length() * 2;
        int i = 0;
        for (; i + step <= a.length; i += step) {
            acc0 = acc0.add(LongVector.fromArray(S, a, i));
            acc1 = acc1.add(LongVector.fromArray(S, a, i + S.length()));
        }
        long s = acc0.add(acc1).reduceLanes(VectorOperators.ADD);
        for (; i < a.length; i++) s += a[i];
        return s;
    }
}

package dev.jllm.bench;

import dev.jllm.model.Matmul;
import dev.jllm.model.Matrix;
import dev.jllm.tensor.BlockFormat;
import dev.jllm.tensor.BlockFormats;
import dev.jllm.tensor.GgmlType;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Prefill: Y (T, 2048) = X (T, 8192) · Wᵀ for a batch of T tokens through {@link Matmul#matmul} on 2
 * threads (the tile kernel over the repacked Q4_0/Q8_0 weights: 16 rows decoded to a float tile, then
 * 16 rows × 8 tokens of FMAs in registers). One (format, T) per forked JVM. {@code flop} counts
 * 2·rows·cols·T per product; per ns it reads as GFLOP/s.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED", "-XX:+UseParallelGC", "-Xmx4g"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class PrefillBench {
    static final int ROWS = 2048, COLS = 8192, THREADS = 2;

    @Param({"Q8_0", "Q4_0"})
    public String format;

    @Param({"64", "512"})
    public int tokens;

    private Matmul mm;
    private Matrix w;
    private float[] x, out;

    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    public static class Counters {
        /** Floating-point operations (multiply and add counted separately); per ns = GFLOP/s. */
        public long flop;
    }

    @Setup(Level.Trial)
    public void setup() {
        BlockFormat f = BlockFormats.of(GgmlType.valueOf(format));
        mm = new Matmul(THREADS);
        w = new Matrix("bench", f, Fixtures.randomMatrix(f, ROWS, COLS), ROWS, COLS).packed(mm.parallel());
        x = new float[tokens * COLS];
        for (int t = 0; t < tokens; t++) System.arraycopy(Fixtures.randomRow(t, COLS), 0, x, t * COLS, COLS);
        out = new float[tokens * ROWS];
        mm.matmul(w, x, tokens, out);
        // spot-check a few tokens against the format's scalar reference
        float[] want = new float[ROWS], got = new float[ROWS];
        for (int t : new int[] {0, tokens / 2, tokens - 1}) {
            for (int r = 0; r < ROWS; r++) want[r] = f.dotReference(w.data(), r * w.rowBytes(), x, t * COLS, COLS);
            System.arraycopy(out, t * ROWS, got, 0, ROWS);
            Fixtures.check(format + " prefill token " + t, got, want, ROWS, 1e-4);
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        mm.close();
    }

    @Benchmark
    public float matmul(Counters c) {
        mm.matmul(w, x, tokens, out);
        c.flop += 2L * ROWS * COLS * tokens;
        return out[0] + out[out.length - 1];
    }
}

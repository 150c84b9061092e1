package dev.jllm.bench;

import dev.jllm.model.Matmul;
import dev.jllm.model.Matrix;
import dev.jllm.tensor.BlockFormat;
import dev.jllm.tensor.BlockFormats;
import dev.jllm.tensor.GgmlType;
import dev.jllm.tensor.PackedMatrix;
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
 * Decode: y = W·x for one token over a 2048 × 8192 matrix (the shape of Llama-3.2-1B's ffn_down),
 * through {@link Matmul#matvec} on 2 threads exactly as the forward pass calls it, with Q4_0/Q8_0
 * repacked as {@code Weights} does at load. One format per forked JVM ({@code @Param} values fork
 * separately), so each kernel gets the JIT to itself: a dispatch site that has seen several formats
 * compiles differently than in a real model, which holds one or two.
 *
 * <p>One such matrix (10–34 MB in the quantized and half formats) fits in a 32 MB L3 and stays
 * there between products; {@code -p copies=8} cycles through 8 separate copies per product so the
 * weights stream from DRAM, as a whole model's do.
 *
 * <p>{@code weightBytes} counts the weight bytes each product streams (the repacked copy where
 * there is one, the file's size for the 32-column types, 1.078 B/weight for Q6_K); in
 * bytes/ns it reads directly as GB/s.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED", "-XX:+UseParallelGC", "-Xmx4g"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class MatVecBench {
    static final int ROWS = 2048, COLS = 8192, THREADS = 2;

    @Param({"F32", "F16", "BF16", "Q8_0", "Q4_0", "Q4_1", "Q4_K", "Q5_K", "Q6_K"})
    public String format;

    /** Distinct copies of the matrix used in turn (1: cache-warm; enough to exceed the L3: DRAM-bound). */
    @Param({"1"})
    public int copies;

    private Matmul mm;
    private Matrix[] ws;
    private int turn;
    private float[] x, out;
    long bytesPerOp;

    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    public static class Counters {
        /** Weight bytes streamed; per ns = GB/s. */
        public long weightBytes;
    }

    @Setup(Level.Trial)
    public void setup() {
        BlockFormat f = BlockFormats.of(GgmlType.valueOf(format));
        mm = new Matmul(THREADS);
        ws = new Matrix[copies];
        for (int i = 0; i < copies; i++) {
            ws[i] = new Matrix("bench", f, Fixtures.randomMatrix(f, ROWS, COLS), ROWS, COLS).packed(mm.parallel());
        }
        Matrix w = ws[0];
        PackedMatrix p = w.packed();
        bytesPerOp = p == null ? w.data().byteSize() : p.byteSize() + (long) (ROWS - p.groups() * PackedMatrix.GROUP) * w.rowBytes();
        x = Fixtures.randomRow(1234, COLS);
        out = new float[ROWS];
        // the measured path must compute the right thing: compare with the format's scalar reference
        mm.matvec(w, x, 0, out, 0);
        float[] want = new float[ROWS];
        for (int r = 0; r < ROWS; r++) want[r] = f.dotReference(w.data(), r * w.rowBytes(), x, 0, COLS);
        Fixtures.check(format + " matvec", out, want, ROWS, 1e-4);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        mm.close();
    }

    @Benchmark
    public float matvec(Counters c) {
        Matrix m = ws[turn];
        turn = turn + 1 == ws.length ? 0 : turn + 1;
        mm.matvec(m, x, 0, out, 0);
        c.weightBytes += bytesPerOp;
        return out[0] + out[ROWS - 1];
    }
}

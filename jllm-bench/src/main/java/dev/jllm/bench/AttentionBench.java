package dev.jllm.bench;

import dev.jllm.model.Attention;
import dev.jllm.model.KvCacheManager;
import dev.jllm.model.Matmul;
import dev.jllm.model.ModelConfig;
import dev.jllm.model.ModelPresets;
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
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Decode attention of one layer of Llama-3.2-1B (32 query heads, 8 KV heads, head dim 64) for the
 * token at position 2047 over an F16 KV cache of 2,048 tokens in 16-token blocks: all heads split
 * over 2 threads, each head through the engine's reference walk {@link Attention#head} (scores,
 * softmax, weighted V sum). The forward pass now runs that walk only for head widths its kernels cannot
 * split; decode tokens go through {@code DecodeAttention}'s position splits (package-private; measured
 * by the probe in docs/PERFORMANCE.md, "Session 14"), which this benchmark does not measure. {@code kvBytes} counts the K and V bytes each query head
 * reads (GQA: four query heads read the same KV head, mostly from cache); per ns it reads as GB/s.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED", "-XX:+UseParallelGC", "-Xmx4g"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class AttentionBench {
    static final int CONTEXT = 2048, THREADS = 2, BLOCK_TOKENS = 16;

    private final ModelConfig c = ModelPresets.get("llama-3.2-1b");
    private final int nh = c.nHeads(), nkv = c.nKvHeads(), hd = c.headDim();
    private Matmul mm;
    private KvCacheManager kv;
    private int seq;
    private float[] q, att;
    private final ThreadLocal<float[]> scores = ThreadLocal.withInitial(() -> new float[CONTEXT]);

    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    public static class Counters {
        /** K and V bytes read by all query heads; per ns = GB/s. */
        public long kvBytes;
    }

    @Setup(Level.Trial)
    public void setup() {
        mm = new Matmul(THREADS);
        kv = new KvCacheManager(c, GgmlType.F16, BLOCK_TOKENS, CONTEXT / BLOCK_TOKENS);
        seq = kv.allocate();
        int kvd = c.kvDim();
        float[] k = new float[CONTEXT * kvd], v = new float[CONTEXT * kvd];
        for (int p = 0; p < CONTEXT; p++) {
            System.arraycopy(Fixtures.randomRow(2L * p, kvd), 0, k, p * kvd, kvd);
            System.arraycopy(Fixtures.randomRow(2L * p + 1, kvd), 0, v, p * kvd, kvd);
        }
        kv.beginWrite(seq, 0, CONTEXT); // layer 0 only: the one the benchmark reads
        for (int p = 0; p < CONTEXT; p++) kv.store(seq, 0, p, k, p * kvd, v, p * kvd);
        q = Fixtures.randomRow(99, c.qDim());
        for (int i = 0; i < q.length; i++) q[i] *= 0.25f; // keep the softmax from collapsing onto one position
        att = new float[c.qDim()];
        run();
        // reference: the same formula in doubles over the f16-rounded K and V
        float[] want = new float[c.qDim()];
        for (int h = 0; h < nh; h++) {
            int kvh = h / (nh / nkv);
            double[] s = new double[CONTEXT];
            double max = Double.NEGATIVE_INFINITY, sum = 0;
            for (int p = 0; p < CONTEXT; p++) {
                double d = 0;
                for (int i = 0; i < hd; i++) d += q[h * hd + i] * (double) f16(k[p * kvd + kvh * hd + i]);
                s[p] = d / Math.sqrt(hd);
                max = Math.max(max, s[p]);
            }
            for (int p = 0; p < CONTEXT; p++) sum += s[p] = Math.exp(s[p] - max);
            for (int i = 0; i < hd; i++) {
                double o = 0;
                for (int p = 0; p < CONTEXT; p++) o += s[p] / sum * f16(v[p * kvd + kvh * hd + i]);
                want[h * hd + i] = (float) o;
            }
        }
        Fixtures.check("F16 attention", att, want, want.length, 1e-4);
    }

    private static float f16(float x) {
        return Float.float16ToFloat(Float.floatToFloat16(x));
    }

    private void run() {
        mm.parallel().forRange(nh, (from, to) -> {
            float[] s = scores.get();
            for (int h = from; h < to; h++) {
                Attention.head(kv, 0, seq, CONTEXT - 1, q, h * hd, hd, h / (nh / nkv), att, h * hd, s);
            }
        });
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        mm.close();
    }

    @Benchmark
    public float attention(Counters counters) {
        run();
        counters.kvBytes += 2L * CONTEXT * hd * 2 * nh;
        return att[0] + att[att.length - 1];
    }
}

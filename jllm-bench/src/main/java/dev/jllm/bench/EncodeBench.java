package dev.jllm.bench;

import com.knuddels.jtokkit.Encodings;
import com.knuddels.jtokkit.api.Encoding;
import com.knuddels.jtokkit.api.EncodingType;
import dev.jllm.tokenizer.Tokenizer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
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
import org.openjdk.jmh.annotations.Warmup;

/**
 * Encode throughput on one thread, a whole corpus per operation, plain text (no special-token
 * parsing). Three benchmarks, each (tokenizer, text) in its own forked JVM:
 * <ul>
 * <li>{@code jllm}: steady state, jllm's word cache warm after the warm-up iterations;</li>
 * <li>{@code jtokkit}: jtokkit 1.1.0's {@code encodeOrdinary} on the same text (cl100k/o200k only);</li>
 * <li>{@code jllmColdCache}: a freshly loaded jllm tokenizer per operation (empty word cache, JIT
 *     warm), timed single-shot: the number to expect for text seen once.</li>
 * </ul>
 * Setup checks jllm's ids against jtokkit's where both exist. {@code utf8Bytes} per µs reads as MB/s.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED", "-XX:+UseParallelGC", "-Xmx4g"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class EncodeBench {

    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    public static class Counters {
        /** UTF-8 bytes of input encoded; per µs = MB/s. */
        public long utf8Bytes;
    }

    /** jllm tokenizer on a corpus. */
    @State(Scope.Benchmark)
    public static class Jllm {
        @Param({"cl100k_base", "o200k_base", "qwen3", "llama-spm"})
        public String tokenizer;

        @Param({"EN", "ZH"})
        public String text;

        String input;
        long bytes;
        Tokenizer tok;

        @Setup(Level.Trial)
        public void setup() {
            input = Corpora.text(text);
            bytes = input.getBytes(StandardCharsets.UTF_8).length;
            tok = Corpora.jllm(tokenizer);
            if (!tokenizer.equals("qwen3") && !tokenizer.equals("llama-spm")) {
                int[] want = jtokkit(tokenizer).encodeOrdinary(input).toArray();
                if (!Arrays.equals(tok.encode(input), want)) throw new IllegalStateException(tokenizer + " " + text + ": jllm and jtokkit disagree");
            }
        }
    }

    /** jtokkit on a corpus. */
    @State(Scope.Benchmark)
    public static class Jtokkit {
        @Param({"cl100k_base", "o200k_base"})
        public String tokenizer;

        @Param({"EN", "ZH"})
        public String text;

        String input;
        long bytes;
        Encoding enc;

        @Setup(Level.Trial)
        public void setup() {
            input = Corpora.text(text);
            bytes = input.getBytes(StandardCharsets.UTF_8).length;
            enc = jtokkit(tokenizer);
        }
    }

    /** A fresh jllm tokenizer before every operation. */
    @State(Scope.Benchmark)
    public static class Cold {
        @Param({"cl100k_base", "o200k_base", "qwen3", "llama-spm"})
        public String tokenizer;

        @Param({"EN", "ZH"})
        public String text;

        String input;
        long bytes;
        Tokenizer tok;

        @Setup(Level.Trial)
        public void warmJit() {
            input = Corpora.text(text);
            bytes = input.getBytes(StandardCharsets.UTF_8).length;
            // JIT warm-up on the other corpus, so that the first measured pass sees compiled code but no cached words
            Tokenizer t = Corpora.jllm(tokenizer);
            String other = Corpora.text(text.equals("EN") ? "ZH" : "EN");
            for (int i = 0; i < 3; i++) t.encode(other);
        }

        @Setup(Level.Invocation)
        public void fresh() {
            tok = Corpora.jllm(tokenizer);
        }
    }

    static Encoding jtokkit(String name) {
        EncodingType type = switch (name) {
            case "cl100k_base" -> EncodingType.CL100K_BASE;
            case "o200k_base" -> EncodingType.O200K_BASE;
            default -> throw new IllegalArgumentException("jtokkit has no " + name);
        };
        return Encodings.newDefaultEncodingRegistry().getEncoding(type);
    }

    @Benchmark
    public int jllm(Jllm s, Counters c) {
        c.utf8Bytes += s.bytes;
        return s.tok.encode(s.input).length;
    }

    @Benchmark
    public int jtokkit(Jtokkit s, Counters c) {
        c.utf8Bytes += s.bytes;
        return s.enc.encodeOrdinary(s.input).size();
    }

    @Benchmark
    @BenchmarkMode(Mode.SingleShotTime)
    @OutputTimeUnit(TimeUnit.MILLISECONDS)
    @Warmup(iterations = 0)
    @Measurement(iterations = 5, batchSize = 1)
    public int jllmColdCache(Cold s) {
        return s.tok.encode(s.input).length;
    }
}

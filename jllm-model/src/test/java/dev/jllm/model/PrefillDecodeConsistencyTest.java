package dev.jllm.model;

import static org.junit.jupiter.api.Assertions.*;

import dev.jllm.tensor.GgmlType;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Logits of a prompt run as one batch (tile kernel), and in batches of 2–8 tokens (the fused
 * small-batch kernels of repacked types), equal those of the same prompt decoded token by token; a
 * decode step of two sequences equals each sequence's own step.
 */
class PrefillDecodeConsistencyTest {
    @TempDir Path tmp;

    /** 40 tokens in batches of 2..8: each batch goes through {@code PackedMatrix.matmul} (1–2 passes of 4 tokens). */
    static final int[] CHUNKS = {2, 3, 8, 5, 4, 7, 6, 2, 3};

    @ParameterizedTest
    @CsvSource({"llama, F32", "qwen3, F32", "llama, Q8_0", "llama, Q4_0", "llama, Q4_K", "llama, Q5_K", "llama, Q6_K"})
    void batchEqualsTokenByToken(String arch, GgmlType type) throws Exception {
        ModelConfig c = new ModelConfig(arch, 256, 512, 3, 4, 2, 64, 600, 256, 1e-5f, 10000f, true);
        Path model = tmp.resolve(arch + ".gguf");
        RandomModel.write(c, type, 5, 0.08, model, null);
        int n = 40;
        int[] toks = new int[n];
        for (int i = 0; i < n; i++) toks[i] = (i * 37 + 11) % 600;
        try (ModelFile f = ModelFile.open(model); Matmul mm = new Matmul(2)) {
            Transformer tr = new Transformer(new Weights(f), new KvCacheManager(f.config(), GgmlType.F32, 16, 16), mm);
            int s1 = tr.cache().allocate();
            List<float[][]> batch = tr.forward(Batch.of(s1, toks, 0, Batch.Logits.ALL));
            int s2 = tr.cache().allocate();
            float[][] one = new float[n][];
            for (int i = 0; i < n; i++) one[i] = tr.forward(Batch.of(s2, new int[] {toks[i]}, i, Batch.Logits.LAST)).get(0)[0];
            int s3 = tr.cache().allocate();
            float[][] chunked = new float[n][];
            int pos = 0;
            for (int k : CHUNKS) {
                float[][] out = tr.forward(Batch.of(s3, java.util.Arrays.copyOfRange(toks, pos, pos + k), pos, Batch.Logits.ALL)).get(0);
                System.arraycopy(out, 0, chunked, pos, k);
                pos += k;
            }
            assertEquals(n, pos);
            for (int i = 0; i < n; i++) {
                assertClose(one[i], batch.get(0)[i], arch + " " + type + " batch of " + n + ", pos " + i);
                assertClose(one[i], chunked[i], arch + " " + type + " batches of 2-8, pos " + i);
            }
            // one decode step of two sequences (T = 2) against the same token decoded by one sequence alone
            int next = 123;
            List<float[][]> two = tr.forward(new Batch(List.of(new Batch.Entry(s1, new int[] {next}, n, Batch.Logits.LAST),
                    new Batch.Entry(s3, new int[] {next}, n, Batch.Logits.LAST))));
            float[] alone = tr.forward(Batch.of(s2, new int[] {next}, n, Batch.Logits.LAST)).get(0)[0];
            assertClose(alone, two.get(0)[0], arch + " " + type + " two-sequence step, first");
            assertClose(alone, two.get(1)[0], arch + " " + type + " two-sequence step, second");
        }
    }

    /**
     * A decode token over a long context — its cached positions split in two or more spans and merged
     * ({@code DecodeAttention}) — against the same position computed inside one prefill batch
     * ({@code ChunkAttention}'s tiles), for an F32 and an F16 cache.
     */
    @ParameterizedTest
    @CsvSource({"F32, 700", "F16, 700", "F16, 1000"})
    void longContextDecodeEqualsPrefill(GgmlType cacheType, int n) throws Exception {
        ModelConfig c = new ModelConfig("llama", 256, 512, 2, 4, 2, 64, 600, 1024, 1e-5f, 10000f, true);
        Path model = tmp.resolve("long.gguf");
        RandomModel.write(c, GgmlType.F32, 7, 0.08, model, null);
        int[] toks = new int[n];
        for (int i = 0; i < n; i++) toks[i] = (i * 37 + 11) % 600;
        int tail = 6;
        try (ModelFile f = ModelFile.open(model); Matmul mm = new Matmul(2)) {
            Transformer tr = new Transformer(new Weights(f), new KvCacheManager(f.config(), cacheType, 16, 2 * n / 16 + 4), mm);
            float[][] batch = tr.forward(Batch.of(tr.cache().allocate(), toks, 0, Batch.Logits.ALL)).get(0);
            int s = tr.cache().allocate();
            tr.forward(Batch.of(s, java.util.Arrays.copyOf(toks, n - tail), 0, Batch.Logits.NONE));
            for (int i = n - tail; i < n; i++) {
                float[] one = tr.forward(Batch.of(s, new int[] {toks[i]}, i, Batch.Logits.LAST)).get(0)[0];
                assertClose(batch[i], one, cacheType + " cache, decode at position " + i + " (splits of " + DecodeAttention.span(i + 1, 2, 16) + ")");
            }
        }
    }

    static void assertClose(float[] want, float[] got, String what) {
        assertEquals(want.length, got.length, what);
        for (int v = 0; v < want.length; v++) assertEquals(want[v], got[v], 2e-3f * (1 + Math.abs(want[v])), what + " v " + v);
    }
}

package dev.jllm.engine;

import static org.junit.jupiter.api.Assertions.*;

import dev.jllm.model.Batch;
import dev.jllm.model.KvCacheManager;
import dev.jllm.model.Transformer;
import dev.jllm.tensor.GgmlType;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Embeddings are the final hidden states after the output norm — the classifier's own input, checked
 * by recomputing logits from them — pooled (mean or last) and L2-normalised; the scheduler computes
 * them in chunks between steps and leaves no KV behind.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class EmbeddingTest {
    static TestModel m;

    @BeforeAll
    static void open() throws Exception {
        m = new TestModel();
    }

    @AfterAll
    static void close() {
        m.close();
    }

    private static Transformer fresh() {
        return new Transformer(m.weights, new KvCacheManager(m.weights.config, GgmlType.F16, 16, 16), m.matmul);
    }

    @Test
    void hiddenRowsAreWhatTheClassifierReads() {
        int[] ids = m.tokenizer.encode("Once upon a time there was a cat", true, false);
        Transformer tr = fresh();
        int seq = tr.cache().allocate();
        float[][] hidden = tr.forward(Batch.of(seq, ids, 0, Batch.Logits.HIDDEN)).get(0);
        tr.cache().free(seq);
        assertEquals(ids.length, hidden.length);
        assertEquals(m.weights.config.dim(), hidden[0].length);
        Transformer tr2 = fresh();
        int seq2 = tr2.cache().allocate();
        float[] logits = tr2.forward(Batch.of(seq2, ids, 0, Batch.Logits.LAST)).get(0)[0];
        float[] row = new float[m.weights.config.dim()];
        for (int v = 0; v < m.weights.config.vocabSize(); v += 37) {
            m.weights.output.row(v, row, 0);
            double dot = 0;
            for (int j = 0; j < row.length; j++) dot += (double) row[j] * hidden[ids.length - 1][j];
            assertEquals(logits[v], dot, 1e-3 * Math.max(1, Math.abs(logits[v])), "logit " + v + " = output row · last hidden state");
        }
    }

    @Test
    void theSchedulersEmbeddingIsThePooledNormalisedHiddenState() throws Exception {
        int[] ids = m.tokenizer.encode("Lily and Tom went to the park to play with a big red ball", true, false);
        Transformer tr = fresh();
        int seq = tr.cache().allocate();
        float[][] hidden = tr.forward(Batch.of(seq, ids, 0, Batch.Logits.HIDDEN)).get(0);
        int d = hidden[0].length;
        double[] mean = new double[d];
        for (float[] r : hidden) for (int j = 0; j < d; j++) mean[j] += r[j] / ids.length;
        double norm = 0;
        for (double v : mean) norm += v * v;
        // step budget 5: the input is prefilled in several chunks
        try (Scheduler s = new Scheduler(m.weights, m.matmul, m.tokenizer, 64, new Scheduler.Limits(2, 4, 5, 0), SchedulerMetrics.NONE)) { // no idle cache: every block is free at the end
            float[] e = s.embed(ids, Pooling.MEAN).get(30, TimeUnit.SECONDS);
            assertEquals(d, e.length);
            double len = 0;
            for (int j = 0; j < d; j++) {
                assertEquals(mean[j] / Math.sqrt(norm), e[j], 1e-5, "dimension " + j);
                len += (double) e[j] * e[j];
            }
            assertEquals(1.0, len, 1e-5, "unit length");
            float[] last = s.embed(ids, Pooling.LAST).get(30, TimeUnit.SECONDS);
            double ln = 0;
            for (float v : hidden[ids.length - 1]) ln += (double) v * v;
            for (int j = 0; j < d; j++) assertEquals(hidden[ids.length - 1][j] / Math.sqrt(ln), last[j], 1e-5);
            // alongside a running generation, and nothing left behind
            Generation g = s.submit(new GenerationRequest(m.tokenizer.encode("The cat sat", true, false),
                    dev.jllm.model.SamplingParams.GREEDY.withMaxTokens(30), null));
            float[] again = s.embed(ids, Pooling.MEAN).get(30, TimeUnit.SECONDS);
            assertArrayEquals(e, again, 1e-6f);
            TestModel.collect(g).finished();
            java.util.concurrent.CompletableFuture<Integer> used = new java.util.concurrent.CompletableFuture<>();
            s.onSchedulerThread(() -> used.complete(s.kvForTests().blocksUsed()));
            assertEquals(0, used.get(30, TimeUnit.SECONDS), "embeddings keep no KV");
            assertThrows(IllegalArgumentException.class, () -> s.embed(new int[200], Pooling.MEAN), "longer than the context (128)");
        }
    }
}

package dev.jllm.model;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.jllm.tensor.GgmlType;
import java.util.SplittableRandom;
import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The tiled chunk attention against the per-head reference walk, on random caches. */
class ChunkAttentionTest {

    @ParameterizedTest(name = "{0} KV, block {1}, nh {2}, nkv {3}, hd {4}, start {5}, {6} tokens")
    @CsvSource({
            "F32, 16, 4, 4, 16, 0, 2",
            "F16, 16, 9, 3, 64, 0, 37",
            "F16, 16, 9, 3, 64, 1300, 100",
            "F32, 16, 8, 2, 64, 5, 9",
            "F32, 32, 6, 2, 32, 31, 33",
            "F16, 16, 12, 4, 128, 17, 24",
            "F16, 16, 2, 1, 64, 250, 3",
            "F16, 16, 14, 2, 64, 1999, 1",
            "F32, 16, 9, 3, 64, 0, 1",
    })
    void matchesTheReferenceForEveryRowTile(GgmlType type, int bt, int nh, int nkv, int hd, int start, int n) {
        int nLayers = 2, kvd = nkv * hd, qd = nh * hd, group = nh / nkv;
        ModelConfig c = new ModelConfig("llama", qd, 4 * qd, nLayers, nh, nkv, hd, 100, 8192, 1e-5f, 10000f, true);
        assumeTrue(ChunkAttention.supports(hd), "head size " + hd + " is not a whole number of " + FloatVector.SPECIES_PREFERRED.length()
                + "-lane vectors here (or -Djllm.attention=reference): the forward pass uses only the reference walk, nothing to compare");
        KvCacheManager kv = new KvCacheManager(c, type, bt, (start + n) / bt + 2);
        int seq = kv.allocate();
        SplittableRandom r = new SplittableRandom(start * 31L + n);
        float[] k = new float[kvd], v = new float[kvd];
        kv.beginWrite(seq, 0, start + n);
        for (int p = 0; p < start + n; p++) {
            for (int l = 0; l < nLayers; l++) {
                for (int i = 0; i < kvd; i++) { k[i] = (float) r.nextGaussian() * 2; v[i] = (float) r.nextGaussian(); }
                kv.store(seq, l, p, k, 0, v, 0);
            }
        }
        float[] q = new float[n * qd];
        for (int i = 0; i < q.length; i++) q[i] = (float) r.nextGaussian() * 2;
        int layer = 1;
        float[] want = new float[n * qd], got = new float[n * qd];
        float[] scores = new float[start + n];
        for (int t = 0; t < n; t++) {
            for (int h = 0; h < nh; h++) Attention.head(kv, layer, seq, start + t, q, t * qd + h * hd, hd, h / group, want, t * qd + h * hd, scores);
        }
        ChunkAttention.Scratch sc = new ChunkAttention.Scratch();
        int rows = n * group;
        for (int g = 0; g < nkv; g++) {
            // uneven tiles, as the plan may cut them
            for (int a = 0; a < rows; ) {
                int b = Math.min(rows, a + 1 + r.nextInt(ChunkAttention.MAX_TILE_ROWS));
                ChunkAttention.rows(kv, layer, seq, start, a, b, group, g, q, 0, qd, hd, got, sc);
                a = b;
            }
        }
        assertClose(want, got, "tiles converting the cache themselves");
        // the same tiles reading the cache converted once per KV head (prepare), as a multi-tile prefill does
        float[] shared = new float[n * qd];
        float[] kAll = new float[ChunkAttention.preparedLength(start + n, hd)], vAll = new float[kAll.length];
        for (int g = 0; g < nkv; g++) {
            ChunkAttention.prepare(kv, layer, seq, start + n, g, hd, kAll, vAll, sc);
            for (int a = 0; a < rows; ) {
                int b = Math.min(rows, a + 1 + r.nextInt(ChunkAttention.MAX_TILE_ROWS));
                ChunkAttention.rows(kv, layer, seq, start, a, b, group, g, q, 0, qd, hd, shared, sc, kAll, vAll);
                a = b;
            }
        }
        assertClose(want, shared, "tiles reading the prepared cache");
    }

    static void assertClose(float[] want, float[] got, String what) {
        double maxErr = 0;
        for (int i = 0; i < want.length; i++) {
            assertTrue(Float.isFinite(got[i]), what + ": output " + i + " is " + got[i]);
            maxErr = Math.max(maxErr, Math.abs(got[i] - want[i]) / (1 + Math.abs(want[i]))); // outputs are O(1) (values ~ N(0, 1))
        }
        assertTrue(maxErr < 2e-5, what + ": max error " + maxErr);
    }
}

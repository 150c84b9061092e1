package dev.jllm.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.jllm.tensor.GgmlType;
import java.util.SplittableRandom;
import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * A decode token's attention by splits of its positions, merged, against the per-head reference
 * walk {@link Attention#head}, on random caches: one split and many, spans ending inside and on
 * block boundaries, grouped and ungrouped heads, F16 and F32 caches.
 */
class DecodeAttentionTest {

    @ParameterizedTest(name = "{0} KV, block {1}, nh {2}, nkv {3}, hd {4}, pos {5}, {6} threads")
    @CsvSource({
            "F16, 16, 32, 8, 64, 4095, 2",
            "F16, 16, 32, 8, 64, 4095, 1",
            "F32, 16, 8, 2, 64, 700, 2",
            "F16, 16, 9, 3, 64, 1300, 4",
            "F16, 32, 12, 4, 128, 259, 2",
            "F32, 16, 4, 4, 32, 0, 2",
            "F16, 16, 2, 1, 64, 17, 2",
            "F16, 16, 14, 2, 64, 2047, 3",
            "F16, 16, 16, 16, 64, 520, 2",
            "F32, 32, 6, 1, 64, 1024, 2",
    })
    void splitsMergedMatchTheReference(GgmlType type, int bt, int nh, int nkv, int hd, int pos, int threads) {
        int nLayers = 2, kvd = nkv * hd, qd = nh * hd, group = nh / nkv, keys = pos + 1;
        ModelConfig c = new ModelConfig("llama", qd, 4 * qd, nLayers, nh, nkv, hd, 100, 8192, 1e-5f, 10000f, true);
        assumeTrue(ChunkAttention.supports(hd), "head size " + hd + " is not a whole number of " + FloatVector.SPECIES_PREFERRED.length()
                + "-lane vectors here (or -Djllm.attention=reference): the forward pass uses only the reference walk, nothing to compare");
        KvCacheManager kv = new KvCacheManager(c, type, bt, keys / bt + 2);
        int seq = kv.allocate();
        SplittableRandom r = new SplittableRandom(pos * 31L + nh);
        float[] k = new float[kvd], v = new float[kvd];
        kv.beginWrite(seq, 0, keys);
        for (int p = 0; p < keys; p++) {
            for (int l = 0; l < nLayers; l++) {
                for (int i = 0; i < kvd; i++) { k[i] = (float) r.nextGaussian() * 2; v[i] = (float) r.nextGaussian(); }
                kv.store(seq, l, p, k, 0, v, 0);
            }
        }
        int qBase = 3 * qd; // the token's rows sit at some batch row
        float[] q = new float[qBase + qd + 5];
        for (int i = 0; i < q.length; i++) q[i] = (float) r.nextGaussian() * 2;
        int layer = 1;
        float[] want = new float[q.length], got = new float[q.length];
        for (int h = 0; h < nh; h++) Attention.head(kv, layer, seq, pos, q, qBase + h * hd, hd, h / group, want, qBase + h * hd, new float[keys]);

        int span = DecodeAttention.span(keys, threads, bt);
        assertEquals(0, span % bt, "span " + span + " is not whole blocks of " + bt);
        int parts = (keys + span - 1) / span;
        DecodeAttention.Partial[] part = new DecodeAttention.Partial[parts + 1];
        DecodeAttention.Scratch sc = new DecodeAttention.Scratch();
        for (int u = 0; u < parts; u++) {
            part[u + 1] = new DecodeAttention.Partial();
            DecodeAttention.split(kv, layer, seq, u * span, Math.min(keys, (u + 1) * span), q, qBase, nh, nkv, hd, part[u + 1], sc);
        }
        DecodeAttention.merge(part, 1, parts + 1, nh, hd, got, qBase);
        ChunkAttentionTest.assertClose(want, got, parts + " split(s) of " + span);

        // uneven splits (not on block boundaries) merge to the same result
        float[] uneven = new float[q.length];
        int cut1 = keys / 3 + 1, cut2 = Math.max(cut1, 2 * keys / 3);
        DecodeAttention.Partial[] three = {new DecodeAttention.Partial(), new DecodeAttention.Partial(), new DecodeAttention.Partial()};
        int[] ends = {0, cut1, cut2, keys};
        int used = 0;
        for (int u = 0; u < 3; u++) {
            if (ends[u + 1] == ends[u]) continue;
            DecodeAttention.split(kv, layer, seq, ends[u], ends[u + 1], q, qBase, nh, nkv, hd, three[used++], sc);
        }
        DecodeAttention.merge(three, 0, used, nh, hd, uneven, qBase);
        ChunkAttentionTest.assertClose(want, uneven, "splits cut at " + cut1 + " and " + cut2);
    }
}

package dev.jllm.model;

import dev.jllm.testkit.TestData;

import static org.junit.jupiter.api.Assertions.*;

import dev.jllm.tensor.GgmlType;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** Block bookkeeping, and the engine-level meaning of fork / truncate: same logits as recomputing. */
class KvCacheManagerTest {

    static final ModelConfig TINY = new ModelConfig("llama", 64, 172, 5, 8, 4, 8, 512, 512, 1e-5f, 10000f, true);

    @Test
    void exportedBlocksImportIntoAnotherCacheBitForBit() {
        for (GgmlType t : new GgmlType[] {GgmlType.F16, GgmlType.F32}) {
            KvCacheManager src = new KvCacheManager(TINY, t, 16, 10), dst = new KvCacheManager(TINY, t, 16, 10);
            int a = src.allocate();
            src.beginWrite(a, 0, 37);
            float[] k = new float[32], v = new float[32];
            for (int pos = 0; pos < 37; pos++) {
                for (int layer = 0; layer < 5; layer++) {
                    for (int i = 0; i < 32; i++) {
                        k[i] = pos * 0.01f + layer + i * 1e-3f;
                        v[i] = -k[i];
                    }
                    src.store(a, layer, pos, k, 0, v, 0);
                }
            }
            byte[][] blocks = src.exportBlocks(a, 37);
            assertEquals(3, blocks.length);
            int b = dst.allocate();
            dst.importBlocks(b, 37, blocks);
            assertEquals(37, dst.length(b));
            assertEquals(3, dst.blocksUsed());
            assertArrayEquals(blocks[2], dst.exportBlocks(b, 37)[2], t + ": the same bytes back");
            assertArrayEquals(Arrays.copyOf(blocks, 2), Arrays.copyOf(dst.exportBlocks(b, 20), 2), t + ": a prefix exports its blocks");
            int c = dst.allocate();
            var e = assertThrows(IllegalArgumentException.class, () -> dst.importBlocks(c, 37, Arrays.copyOf(blocks, 2)));
            assertTrue(e.getMessage().contains("needs 3 blocks, got 2"), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> dst.importBlocks(b, 10, blocks), "only into an empty sequence");
        }
        KvCacheManager f32 = new KvCacheManager(TINY, GgmlType.F32, 16, 10), f16 = new KvCacheManager(TINY, GgmlType.F16, 16, 10);
        int a = f16.allocate();
        f16.beginWrite(a, 0, 5);
        byte[][] half = f16.exportBlocks(a, 5);
        int b = f32.allocate();
        var e = assertThrows(IllegalArgumentException.class, () -> f32.importBlocks(b, 5, half));
        assertTrue(e.getMessage().contains("bytes, this cache's blocks have"), e.getMessage());
    }

    @Test
    void blocksAreAllocatedSharedAndReturned() {
        KvCacheManager kv = new KvCacheManager(TINY, GgmlType.F16, 16, 10);
        // one block: 2 (K,V) · 5 layers · 16 slots · 32 kv dims · 2 bytes
        assertEquals(2L * 5 * 16 * 32 * 2, kv.blockBytes());
        int a = kv.allocate();
        kv.beginWrite(a, 0, 40); // 40 tokens → 3 blocks
        assertEquals(3, kv.blocksUsed());
        int b = kv.fork(a, 20); // shares blocks 0 and 1 (positions 0..19)
        assertEquals(3, kv.blocksUsed());
        assertEquals(20, kv.length(b));
        kv.beginWrite(b, 20, 21); // writes into shared block 1 → copied
        assertEquals(4, kv.blocksUsed());
        kv.truncate(a, 16);
        assertEquals(16, kv.length(a));
        assertEquals(2, kv.blocksUsed()); // a keeps block 0 (shared with b) and frees its blocks 1, 2; b owns its copy of 1
        kv.free(a);
        kv.free(b);
        assertEquals(0, kv.blocksUsed());
        int c = kv.allocate();
        var e = assertThrows(KvCacheManager.CacheFullException.class, () -> kv.ensureCapacity(c, 16 * 11));
        assertTrue(e.getMessage().contains("needs 11 more blocks"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> kv.fork(c, 5));
        assertThrows(IllegalArgumentException.class, () -> kv.free(999));
    }

    @Test
    void forkedAndTruncatedSequencesGiveTheSameLogitsAsFreshOnes() throws Exception {
        try (ModelFile f = ModelFile.open(TestData.path("models/stories260K.gguf")); Matmul mm = new Matmul(2)) {
            for (GgmlType type : new GgmlType[] {GgmlType.F32, GgmlType.F16}) {
                KvCacheManager kv = new KvCacheManager(f.config(), type, 16, 32);
                Transformer tr = new Transformer(new Weights(f), kv, mm);
                int[] prefix = {1, 403, 407, 261, 378, 432, 383, 286, 261, 376, 298, 315, 421, 395, 317, 426, 338, 401, 396, 267};
                int[] tailA = {337, 410, 408};
                int[] tailB = {419, 292, 411, 322};
                int parent = kv.allocate();
                tr.forward(Batch.of(parent, prefix, 0, Batch.Logits.NONE));
                // child shares 18 of the 20 prefix tokens (block 0 whole, block 1 partly) and diverges
                int child = kv.fork(parent, 18);
                int[] childTail = concat(Arrays.copyOfRange(prefix, 18, 20), tailB);
                float[] forked = tr.forward(Batch.of(child, childTail, 18, Batch.Logits.LAST)).get(0)[0];
                float[] parentNext = tr.forward(Batch.of(parent, tailA, 20, Batch.Logits.LAST)).get(0)[0];
                int fresh = kv.allocate();
                float[] freshB = tr.forward(Batch.of(fresh, concat(prefix, tailB), 0, Batch.Logits.LAST)).get(0)[0];
                int fresh2 = kv.allocate();
                float[] freshA = tr.forward(Batch.of(fresh2, concat(prefix, tailA), 0, Batch.Logits.LAST)).get(0)[0];
                assertArrayEquals(freshB, forked, 1e-4f, type + ": fork + continue = fresh");
                assertArrayEquals(freshA, parentNext, 1e-4f, type + ": the child's writes did not touch the parent");
                // rewrite the parent's last 3 tokens with tail B: truncate semantics inside forward
                float[] rewritten = tr.forward(Batch.of(parent, tailB, 20, Batch.Logits.LAST)).get(0)[0];
                assertArrayEquals(freshB, rewritten, 1e-4f, type + ": overwrite after truncate = fresh");
            }
        }
    }

    @Test
    void unknownArchitectureNamesTheSupportedOnes() {
        var e = assertThrows(IllegalArgumentException.class, () -> Architecture.of("gpt-neox"));
        assertEquals("architecture 'gpt-neox' is not supported; supported: llama, qwen2, qwen3", e.getMessage());
    }

    static int[] concat(int[] a, int[] b) {
        int[] r = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, r, a.length, b.length);
        return r;
    }
}

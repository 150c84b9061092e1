package dev.jllm.model;

/**
 * How one forward step splits its attention work, computed once per step and used by every layer:
 * runs of tokens of a sequence become tiles of rows per KV head for {@link ChunkAttention}; only a
 * single token of a model without grouped query heads (or a head width the kernels cannot split)
 * goes head by head through {@link Attention#head}.
 * Arrays grow to the largest step seen and are reused.
 */
final class AttentionPlan {
    int tiles;                 // units of ChunkAttention work
    int[] seq = new int[0], start = new int[0], r0 = new int[0], r1 = new int[0], kvHead = new int[0], qBase = new int[0];
    int[] prep = new int[0];   // per tile: its prepared (sequence, KV head) unit, or -1 (the tile converts the cache itself)
    int preps;                 // (sequence, KV head) pairs whose cache is converted once for several tiles
    int[] prepSeq = new int[0], prepKeys = new int[0], prepHead = new int[0];
    long tileCost;             // rough FMAs of the largest tile (for the parallel threshold)
    int singles;               // tokens that attend alone
    int[] single = new int[0]; // their batch rows
    int maxSinglePos;

    void build(Batch batch, ModelConfig c, int blockTokens) {
        int nkv = c.nKvHeads(), group = c.nHeads() / nkv, hd = c.headDim(), qd = c.qDim();
        boolean chunked = ChunkAttention.supports(hd);
        tiles = 0;
        preps = 0;
        singles = 0;
        tileCost = 0;
        maxSinglePos = 0;
        int t0 = 0;
        for (Batch.Entry e : batch.entries()) {
            int n = e.tokens().length;
            // a single token goes through the tiles too when several query heads share a KV head:
            // each cached key/value is then converted once per KV head, not once per query head
            if (chunked && (n >= 2 || group >= 2)) {
                int rows = n * group, step = ChunkAttention.tileRows(e.startPos() + n);
                for (int g = 0; g < nkv; g++) {
                    int shared = -1;
                    if (rows > step) { // several tiles read this head's cache: convert it once for all
                        growPreps(preps + 1);
                        prepSeq[preps] = e.seq();
                        prepKeys[preps] = e.startPos() + n;
                        prepHead[preps] = g;
                        shared = preps++;
                    }
                    for (int a = 0; a < rows; a += step) {
                        grow(tiles + 1);
                        int b = Math.min(rows, a + step);
                        prep[tiles] = shared;
                        seq[tiles] = e.seq();
                        start[tiles] = e.startPos();
                        r0[tiles] = a;
                        r1[tiles] = b;
                        kvHead[tiles] = g;
                        qBase[tiles] = t0 * qd;
                        tileCost = Math.max(tileCost, 4L * (b - a) * (e.startPos() + n) * hd);
                        tiles++;
                    }
                }
            } else {
                for (int i = 0; i < n; i++) {
                    if (singles == single.length) single = java.util.Arrays.copyOf(single, Math.max(16, 2 * singles));
                    single[singles++] = t0 + i;
                    maxSinglePos = Math.max(maxSinglePos, e.startPos() + i);
                }
            }
            t0 += n;
        }
    }

    private void growPreps(int n) {
        if (prepSeq.length >= n) return;
        int m = Math.max(8, 2 * prepSeq.length);
        prepSeq = java.util.Arrays.copyOf(prepSeq, m);
        prepKeys = java.util.Arrays.copyOf(prepKeys, m);
        prepHead = java.util.Arrays.copyOf(prepHead, m);
    }

    private void grow(int n) {
        if (seq.length >= n) return;
        int m = Math.max(16, 2 * seq.length);
        seq = java.util.Arrays.copyOf(seq, m);
        start = java.util.Arrays.copyOf(start, m);
        r0 = java.util.Arrays.copyOf(r0, m);
        r1 = java.util.Arrays.copyOf(r1, m);
        kvHead = java.util.Arrays.copyOf(kvHead, m);
        qBase = java.util.Arrays.copyOf(qBase, m);
        prep = java.util.Arrays.copyOf(prep, m);
    }
}

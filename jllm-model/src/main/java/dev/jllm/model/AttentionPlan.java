package dev.jllm.model;

import java.util.Arrays;

/**
 * How one forward step splits its attention work, computed once per step and used by every layer:
 * runs of tokens of a sequence become tiles of rows per KV head for {@link ChunkAttention}; only a
 * single token of a model without grouped query heads (or a head width the kernels cannot split)
 * goes head by head through {@link Attention#head}. Tiles and buffers are kept and reused, grown to
 * the largest step seen (no allocation per step once warm).
 */
final class AttentionPlan {

    /** Rows [r0, r1) of one (sequence, KV head) run of tokens at positions start.. ; q rows from qBase. */
    static final class Tile {
        int seq, start, r0, r1, kvHead, qBase;
        Prep prep; // the head's cache converted once for several tiles, or null: the tile converts it itself
    }

    /** One (sequence, KV head) whose first {@code keys} cached keys/values several tiles read, converted once per layer. */
    static final class Prep {
        int seq, keys, kvHead;
        float[] k = new float[0], v = new float[0]; // ChunkAttention.prepare's layout

        void ensure(int len) {
            if (k.length < len) {
                k = new float[len];
                v = new float[len];
            }
        }
    }

    Tile[] tile = new Tile[0];
    int tiles;
    Prep[] prep = new Prep[0];
    int preps;
    long tileCost;             // rough FMAs of the largest tile (for the parallel threshold)
    int singles;               // tokens that attend alone
    int[] single = new int[0]; // their batch rows
    int maxSinglePos;

    void build(Batch batch, ModelConfig c) {
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
                    Prep shared = null;
                    if (rows > step) { // several tiles read this head's cache: convert it once for all
                        shared = nextPrep();
                        shared.seq = e.seq();
                        shared.keys = e.startPos() + n;
                        shared.kvHead = g;
                        shared.ensure(ChunkAttention.preparedLength(shared.keys, hd));
                    }
                    for (int a = 0; a < rows; a += step) {
                        Tile t = nextTile();
                        t.prep = shared;
                        t.seq = e.seq();
                        t.start = e.startPos();
                        t.r0 = a;
                        t.r1 = Math.min(rows, a + step);
                        t.kvHead = g;
                        t.qBase = t0 * qd;
                        tileCost = Math.max(tileCost, 4L * (t.r1 - a) * (e.startPos() + n) * hd);
                    }
                }
            } else {
                for (int i = 0; i < n; i++) {
                    if (singles == single.length) single = Arrays.copyOf(single, Math.max(16, 2 * singles));
                    single[singles++] = t0 + i;
                    maxSinglePos = Math.max(maxSinglePos, e.startPos() + i);
                }
            }
            t0 += n;
        }
    }

    private Tile nextTile() {
        if (tiles == tile.length) tile = Arrays.copyOf(tile, Math.max(16, 2 * tiles));
        if (tile[tiles] == null) tile[tiles] = new Tile();
        return tile[tiles++];
    }

    private Prep nextPrep() {
        if (preps == prep.length) prep = Arrays.copyOf(prep, Math.max(8, 2 * preps));
        if (prep[preps] == null) prep[preps] = new Prep();
        return prep[preps++];
    }
}

package dev.jllm.model;

import java.util.Arrays;

/**
 * How one forward step splits its attention work, computed once per step and used by every layer:
 * runs of two or more tokens of a sequence become tiles of rows per KV head for
 * {@link ChunkAttention}; a single (decode) token becomes splits of its cached positions for
 * {@link DecodeAttention}, merged per token; only a head width the kernels cannot split goes head
 * by head through {@link Attention#head}. Tiles, splits and buffers are kept and reused, grown to
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

    /** Keys [p0, p1) of the decode token whose query rows start at qBase; holds the split's partial softmax. */
    static final class Split extends DecodeAttention.Partial {
        int seq, p0, p1, qBase;
    }

    Split[] split = new Split[0];
    int splits;
    long splitCost;            // rough FMAs of the longest split
    int decodes;               // single tokens attending through splits
    int[] decodeFrom = new int[0], decodeTo = new int[0]; // their splits [from, to) (each split knows the token's q rows)
    int maxSplitsPerToken;

    Tile[] tile = new Tile[0];
    int tiles;
    Prep[] prep = new Prep[0];
    int preps;
    long tileCost;             // rough FMAs of the largest tile (for the parallel threshold)
    int singles;               // tokens that attend alone
    int[] single = new int[0]; // their batch rows
    int maxSinglePos;

    /**
     * @param threads     the forward pass's threads: a decode token's positions are split so they
     *                    all get work when few tokens decode at once
     * @param blockTokens the cache's block size (splits end on block boundaries)
     */
    void build(Batch batch, ModelConfig c, int threads, int blockTokens) {
        int nkv = c.nKvHeads(), group = c.nHeads() / nkv, hd = c.headDim(), qd = c.qDim();
        boolean chunked = ChunkAttention.supports(hd);
        tiles = 0;
        preps = 0;
        singles = 0;
        splits = 0;
        decodes = 0;
        tileCost = 0;
        splitCost = 0;
        maxSplitsPerToken = 0;
        maxSinglePos = 0;
        int singleTokens = 0;
        for (Batch.Entry e : batch.entries()) if (e.tokens().length == 1) singleTokens++;
        int threadsPerToken = singleTokens <= 1 ? threads : Math.max(1, (threads + singleTokens - 1) / singleTokens);
        int t0 = 0;
        for (Batch.Entry e : batch.entries()) {
            int n = e.tokens().length;
            if (chunked && n == 1) {
                int keys = e.startPos() + 1, span = DecodeAttention.span(keys, threadsPerToken, blockTokens);
                if (decodes == decodeFrom.length) {
                    int len = Math.max(8, 2 * decodes);
                    decodeFrom = Arrays.copyOf(decodeFrom, len);
                    decodeTo = Arrays.copyOf(decodeTo, len);
                }
                decodeFrom[decodes] = splits;
                for (int p0 = 0; p0 < keys; p0 += span) {
                    Split u = nextSplit();
                    u.seq = e.seq();
                    u.p0 = p0;
                    u.p1 = Math.min(keys, p0 + span);
                    u.qBase = t0 * qd;
                    splitCost = Math.max(splitCost, 4L * (u.p1 - p0) * c.nHeads() * hd);
                }
                decodeTo[decodes] = splits;
                maxSplitsPerToken = Math.max(maxSplitsPerToken, splits - decodeFrom[decodes]);
                decodes++;
            } else if (chunked) {
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

    private Split nextSplit() {
        if (splits == split.length) split = Arrays.copyOf(split, Math.max(16, 2 * splits));
        if (split[splits] == null) split[splits] = new Split();
        return split[splits++];
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

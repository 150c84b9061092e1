package dev.jllm.model;

import dev.jllm.tensor.GgmlType;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The KV cache, cut into fixed-size blocks of {@code blockTokens} token slots (all layers per block),
 * with a block table per sequence — vLLM's PagedAttention layout, so many conversations can stay
 * warm at once without reserving a full context each.
 *
 * <p>Sequences can share blocks: {@link #fork} gives a child the parent's prefix blocks by reference
 * (reference counts); the first write into a shared block copies it (copy-on-write). Block storage
 * per block: K and V arrays laid out (layer, slot, kv_dim), F32 or F16.
 *
 * <p>Not thread-safe: one owner (the engine / scheduler thread) drives it. The forward pass reads
 * blocks from several worker threads, but only between the owner's mutations.
 */
public final class KvCacheManager {

    /** Thrown when a sequence needs more blocks than are free. */
    public static final class CacheFullException extends RuntimeException {
        public CacheFullException(String message) { super(message); }
    }

    /** One block: K and V for {@code blockTokens} slots of every layer. Exactly one of f32/f16 is used. */
    static final class Block {
        final int id;
        final float[] kf, vf;
        final short[] kh, vh;
        int refs;

        Block(int id, int elements, boolean f16) {
            this.id = id;
            kf = f16 ? null : new float[elements];
            vf = f16 ? null : new float[elements];
            kh = f16 ? new short[elements] : null;
            vh = f16 ? new short[elements] : null;
        }
    }

    private static final class Seq {
        final List<Block> blocks = new ArrayList<>();
        int length; // tokens written
    }

    final int blockTokens;
    final int nLayers;
    final int kvDim;
    final boolean f16;
    private final int maxBlocks;
    private final int blockElements;
    private final List<Block> allBlocks = new ArrayList<>();
    private final ArrayDeque<Block> free = new ArrayDeque<>();
    private final Map<Integer, Seq> seqs = new HashMap<>();
    private int nextSeqId;

    public KvCacheManager(ModelConfig c, GgmlType type, int blockTokens, int maxBlocks) {
        if (type != GgmlType.F32 && type != GgmlType.F16) throw new IllegalArgumentException("KV cache type must be F32 or F16, got " + type);
        if (blockTokens <= 0) throw new IllegalArgumentException("blockTokens must be > 0, got " + blockTokens);
        if (maxBlocks <= 0) throw new IllegalArgumentException("maxBlocks must be > 0, got " + maxBlocks);
        this.blockTokens = blockTokens;
        this.nLayers = c.nLayers();
        this.kvDim = c.kvDim();
        this.f16 = type == GgmlType.F16;
        this.maxBlocks = maxBlocks;
        this.blockElements = Math.multiplyExact(Math.multiplyExact(nLayers, blockTokens), kvDim);
    }

    /** Bytes one block takes (K and V). */
    public long blockBytes() {
        return 2L * blockElements * (f16 ? 2 : 4);
    }

    /** A new, empty sequence. */
    public int allocate() {
        int id = nextSeqId++;
        seqs.put(id, new Seq());
        return id;
    }

    public boolean exists(int seq) {
        return seqs.containsKey(seq);
    }

    /** Tokens written for {@code seq}. */
    public int length(int seq) {
        return seq(seq).length;
    }

    /** Makes room for {@code nTokens} in total (allocating blocks); throws {@link CacheFullException} if it can't. */
    public void ensureCapacity(int seq, int nTokens) {
        Seq s = seq(seq);
        int need = (nTokens + blockTokens - 1) / blockTokens - s.blocks.size();
        if (need > freeBlocks()) {
            throw new CacheFullException("KV cache full: sequence " + seq + " needs " + need + " more blocks of " + blockTokens
                    + " tokens, " + freeBlocks() + " free of " + maxBlocks);
        }
        for (int i = 0; i < need; i++) s.blocks.add(takeBlock());
    }

    /**
     * A new sequence sharing the first {@code prefixLen} tokens of {@code parent} (no copy: blocks
     * are shared and copied on the first write).
     */
    public int fork(int parent, int prefixLen) {
        Seq p = seq(parent);
        if (prefixLen < 0 || prefixLen > p.length) {
            throw new IllegalArgumentException("fork prefix " + prefixLen + " is outside sequence " + parent + " of length " + p.length);
        }
        int child = allocate();
        Seq c = seqs.get(child);
        int nb = (prefixLen + blockTokens - 1) / blockTokens;
        for (int i = 0; i < nb; i++) {
            Block b = p.blocks.get(i);
            b.refs++;
            c.blocks.add(b);
        }
        c.length = prefixLen;
        return child;
    }

    /** Keeps the first {@code nTokens} tokens; frees whole blocks past them. */
    public void truncate(int seq, int nTokens) {
        Seq s = seq(seq);
        if (nTokens < 0 || nTokens > s.length) {
            throw new IllegalArgumentException("truncate to " + nTokens + " is outside sequence " + seq + " of length " + s.length);
        }
        int keep = (nTokens + blockTokens - 1) / blockTokens;
        while (s.blocks.size() > keep) release(s.blocks.removeLast());
        s.length = nTokens;
    }

    public void free(int seq) {
        Seq s = seqs.remove(seq);
        if (s == null) throw new IllegalArgumentException("unknown KV sequence " + seq);
        for (Block b : s.blocks) release(b);
    }

    public int blocksUsed() { return allBlocks.size() - free.size(); }

    public int blocksTotal() { return maxBlocks; }

    public int freeBlocks() { return maxBlocks - blocksUsed(); }

    public int sequenceCount() { return seqs.size(); }

    /**
     * Prepares positions [from, to) of {@code seq} for writing: capacity, copy-on-write of shared
     * blocks, and the new length {@code to}. Called by the forward pass before it stores K/V; public,
     * with {@link #store}, for callers that fill a cache without running the model (the attention
     * benchmark in jllm-bench; a KV import).
     */
    public void beginWrite(int seq, int from, int to) {
        Seq s = seq(seq);
        if (from > s.length) throw new IllegalArgumentException("sequence " + seq + " has " + s.length + " tokens; cannot write at " + from);
        if (from < s.length) truncate(seq, from);
        ensureCapacity(seq, to);
        for (int b = from / blockTokens; b < (to + blockTokens - 1) / blockTokens; b++) {
            Block old = s.blocks.get(b);
            if (old.refs > 1) {
                Block copy = takeBlock();
                if (f16) {
                    System.arraycopy(old.kh, 0, copy.kh, 0, blockElements);
                    System.arraycopy(old.vh, 0, copy.vh, 0, blockElements);
                } else {
                    System.arraycopy(old.kf, 0, copy.kf, 0, blockElements);
                    System.arraycopy(old.vf, 0, copy.vf, 0, blockElements);
                }
                old.refs--;
                s.blocks.set(b, copy);
            }
        }
        s.length = to;
    }

    /** Tokens per block. */
    public int blockTokens() { return blockTokens; }

    /** Layers per block. */
    public int layers() { return nLayers; }

    /** K (and V) floats per position and layer. */
    public int kvDim() { return kvDim; }

    /** The element type blocks hold: F16 or F32. */
    public GgmlType cacheType() { return f16 ? GgmlType.F16 : GgmlType.F32; }

    /**
     * A copy of the KV of the first {@code nTokens} positions of {@code seq}, for a KV export (a
     * conversation spilled to disk): one byte array of {@link #blockBytes} per block that holds any of
     * them — K then V, each laid out (layer, slot, kv_dim), little-endian, in the cache type. Slots of
     * the last block past {@code nTokens} hold whatever they held. Costs one bulk copy per block.
     */
    public byte[][] exportBlocks(int seq, int nTokens) {
        Seq s = seq(seq);
        if (nTokens < 0 || nTokens > s.length) {
            throw new IllegalArgumentException("export of " + nTokens + " tokens is outside sequence " + seq + " of length " + s.length);
        }
        int nb = (nTokens + blockTokens - 1) / blockTokens;
        byte[][] out = new byte[nb][];
        for (int i = 0; i < nb; i++) {
            Block b = s.blocks.get(i);
            byte[] bytes = new byte[Math.toIntExact(blockBytes())];
            java.nio.ByteBuffer bb = java.nio.ByteBuffer.wrap(bytes).order(java.nio.ByteOrder.LITTLE_ENDIAN);
            if (f16) bb.asShortBuffer().put(b.kh).put(b.vh);
            else bb.asFloatBuffer().put(b.kf).put(b.vf);
            out[i] = bytes;
        }
        return out;
    }

    /**
     * Fills the empty sequence {@code seq} with {@code nTokens} positions of KV exported by
     * {@link #exportBlocks} (from a cache of the same type, block size, layers and kv_dim; only the
     * first {@code ceil(nTokens / blockTokens)} arrays are read). Throws {@link CacheFullException}
     * when blocks are short, IllegalArgumentException for a shape that does not fit.
     */
    public void importBlocks(int seq, int nTokens, byte[][] blocks) {
        Seq s = seq(seq);
        if (s.length != 0) throw new IllegalArgumentException("KV import into sequence " + seq + " that already holds " + s.length + " tokens");
        int nb = (nTokens + blockTokens - 1) / blockTokens;
        if (nTokens < 0 || blocks.length < nb) {
            throw new IllegalArgumentException("KV import of " + nTokens + " tokens needs " + nb + " blocks, got " + blocks.length);
        }
        for (int i = 0; i < nb; i++) {
            if (blocks[i].length != blockBytes()) {
                throw new IllegalArgumentException("KV import block " + i + " has " + blocks[i].length + " bytes, this cache's blocks have " + blockBytes());
            }
        }
        beginWrite(seq, 0, nTokens);
        for (int i = 0; i < nb; i++) {
            Block b = s.blocks.get(i);
            java.nio.ByteBuffer bb = java.nio.ByteBuffer.wrap(blocks[i]).order(java.nio.ByteOrder.LITTLE_ENDIAN);
            if (f16) bb.asShortBuffer().get(b.kh).get(b.vh);
            else bb.asFloatBuffer().get(b.kf).get(b.vf);
        }
    }

    /** The block table of {@code seq}: block i holds positions [i·blockTokens, (i+1)·blockTokens). */
    List<Block> blocks(int seq) {
        return seq(seq).blocks;
    }

    /** Block holding position {@code pos} of {@code seq}. */
    Block block(int seq, int pos) {
        return seqs.get(seq).blocks.get(pos / blockTokens);
    }

    /** Index of (layer, slot of pos) within a block's arrays. */
    int index(int layer, int pos) {
        return (layer * blockTokens + pos % blockTokens) * kvDim;
    }

    /**
     * Writes the K and V rows of one position of one layer ({@code kvDim} floats each, from
     * {@code k[kOff..]} and {@code v[vOff..]}), converted to the cache type. The position must lie in
     * a range {@link #beginWrite} prepared.
     */
    public void store(int seq, int layer, int pos, float[] k, int kOff, float[] v, int vOff) {
        Block b = block(seq, pos);
        int at = index(layer, pos);
        if (f16) {
            for (int i = 0; i < kvDim; i++) {
                b.kh[at + i] = Float.floatToFloat16(k[kOff + i]);
                b.vh[at + i] = Float.floatToFloat16(v[vOff + i]);
            }
        } else {
            System.arraycopy(k, kOff, b.kf, at, kvDim);
            System.arraycopy(v, vOff, b.vf, at, kvDim);
        }
    }

    private Seq seq(int seq) {
        Seq s = seqs.get(seq);
        if (s == null) throw new IllegalArgumentException("unknown KV sequence " + seq);
        return s;
    }

    private Block takeBlock() {
        Block b = free.poll();
        if (b == null) {
            if (allBlocks.size() >= maxBlocks) throw new CacheFullException("KV cache full: all " + maxBlocks + " blocks in use");
            b = new Block(allBlocks.size(), blockElements, f16);
            allBlocks.add(b);
        }
        b.refs = 1;
        return b;
    }

    private void release(Block b) {
        if (--b.refs == 0) free.push(b);
    }

    @Override
    public String toString() {
        return "KvCacheManager[" + (f16 ? "F16" : "F32") + ", " + blocksUsed() + "/" + maxBlocks + " blocks of " + blockTokens
                + " tokens, " + seqs.size() + " sequences]" + (seqs.isEmpty() ? "" : " " + Arrays.toString(seqs.keySet().toArray()));
    }
}

package dev.jllm.tensor;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * A quantized or half-precision matrix repacked at load into a layout made for 16-lane float vectors: rows are taken
 * 16 at a time (a group), and within a group the quants of one column of all 16 rows are adjacent,
 * with the scales beside them (see {@link PackedQ8_0}, {@link PackedQ4_0}, {@link PackedQ4_1}, {@link PackedQ5_0},
 * {@link PackedQ5_1}, {@link PackedQ4_K}, {@link PackedQ5_K}, {@link PackedQ6_K}, {@link PackedIQ4_NL},
 * {@link PackedIQ4_XS}, {@link PackedF16}, {@link PackedBF16}). One vector load then feeds
 * 16 rows, so a matrix × vector product needs no horizontal reductions and streams the weights once.
 * With 8-lane vectors (AVX2) the same layout is read as two 8-row slices per group, each slice a pass
 * over the group's blocks (the second finds them in L2).
 *
 * <p>Only whole groups are packed: rows past {@code groups()·16} stay with the caller (the original
 * rows are still there in the source segment). Packed storage is off-heap, freed with this object.
 */
public final class PackedMatrix {
    public static final int GROUP = 16;

    private final GgmlType type;
    private final MemorySegment p;
    private final int cols, nb, groups;

    private PackedMatrix(GgmlType type, MemorySegment p, int cols, int groups) {
        this.type = type;
        this.p = p;
        this.cols = cols;
        this.nb = cols / 32;
        this.groups = groups;
    }

    /**
     * True if {@link #pack} handles this type and shape on this CPU: 16- or 8-lane float vectors (AVX-512, AVX2; with
     * 8 lanes the kernels take each group as two 8-row slices of the same layout).
     */
    public static boolean supports(GgmlType t, int rows, int cols) {
        if (!Simd.OK || (Simd.L != GROUP && Simd.L != GROUP / 2) || rows < GROUP) return false;
        return switch (t) {
            case Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, IQ4_NL -> cols % 32 == 0;
            case Q4_K, Q5_K, Q6_K, IQ4_XS -> cols % 256 == 0;
            case F16, BF16 -> true;
            default -> false;
        };
    }

    /**
     * Off-heap bytes {@link #pack} allocates for a matrix of this type and shape on this CPU (0 if it
     * does not repack it): 16-row groups. Q8_0, Q4_0, IQ4_NL and Q5_0 keep the file's half scales and
     * are the file's size (1.0625, 0.5625, 0.5625, 0.6875 bytes per weight); Q4_1 and Q5_1 keep f32
     * scale and minimum (0.75, 0.875: two half loads per block made C2 stop inlining their kernels),
     * the K-quants f32 super-block scales — Q4_K 0.594, Q5_K 0.719, Q6_K 1.078 (whole bytes per
     * quant), IQ4_XS 0.547; F16 and BF16 are the file's 2 bytes. For memory plans: the copy lives beside the
     * memory-mapped original.
     */
    public static long packedBytes(GgmlType t, int rows, int cols) {
        if (!supports(t, rows, cols)) return 0;
        long groups = rows / GROUP, nb = cols / 32, nsb = cols / 256;
        return switch (t) {
            case Q8_0 -> groups * nb * PackedQ8_0.BLOCK;
            case Q4_0 -> groups * nb * PackedQ4_0.BLOCK;
            case Q4_1 -> groups * nb * PackedQ4_1.BLOCK;
            case Q5_0 -> groups * nb * PackedQ5_0.BLOCK;
            case Q5_1 -> groups * nb * PackedQ5_1.BLOCK;
            case Q4_K -> groups * nsb * PackedQ4_K.SB;
            case Q5_K -> groups * nsb * PackedQ5_K.SB;
            case IQ4_NL -> groups * nb * PackedIQ4_NL.BLOCK;
            case IQ4_XS -> groups * nsb * PackedIQ4_XS.SB;
            case F16, BF16 -> groups * cols * PackedF16.COLUMN;
            default -> groups * nsb * PackedQ6_K.SB;
        };
    }

    /**
     * Repacks the first ⌊rows/16⌋·16 rows of a row-major matrix at {@code src[off..]}; {@code pool}
     * (may be null) splits the work.
     */
    public static PackedMatrix pack(GgmlType t, MemorySegment src, long off, int rows, int cols, Parallel pool) {
        if (!supports(t, rows, cols)) throw new IllegalArgumentException("cannot pack " + t + " (" + rows + ", " + cols + ")");
        int groups = rows / GROUP, nb = cols / 32, nsb = cols / 256;
        long rb = t.rowBytes(cols);
        MemorySegment dst = Arena.ofAuto().allocate(packedBytes(t, rows, cols), 64);
        Parallel.IntRangeBody body = switch (t) {
            case Q8_0 -> (g0, g1) -> PackedQ8_0.pack(src, off, rb, g0, g1, nb, dst);
            case Q4_0 -> (g0, g1) -> PackedQ4_0.pack(src, off, rb, g0, g1, nb, dst);
            case Q4_1 -> (g0, g1) -> PackedQ4_1.pack(src, off, rb, g0, g1, nb, dst);
            case Q5_0 -> (g0, g1) -> PackedQ5_0.pack(src, off, rb, g0, g1, nb, dst);
            case Q5_1 -> (g0, g1) -> PackedQ5_1.pack(src, off, rb, g0, g1, nb, dst);
            case Q4_K -> (g0, g1) -> PackedQ4_K.pack(src, off, rb, g0, g1, nsb, dst);
            case Q5_K -> (g0, g1) -> PackedQ5_K.pack(src, off, rb, g0, g1, nsb, dst);
            case IQ4_NL -> (g0, g1) -> PackedIQ4_NL.pack(src, off, rb, g0, g1, nb, dst);
            case IQ4_XS -> (g0, g1) -> PackedIQ4_XS.pack(src, off, rb, g0, g1, nsb, dst);
            case F16, BF16 -> (g0, g1) -> PackedF16.pack(src, off, rb, g0, g1, cols, dst);
            default -> (g0, g1) -> PackedQ6_K.pack(src, off, rb, g0, g1, nsb, dst);
        };
        if (pool == null) body.run(0, groups);
        else pool.forRange(groups, body);
        return new PackedMatrix(t, dst, cols, groups);
    }

    public GgmlType type() { return type; }

    /** Whole groups of 16 rows packed. */
    public int groups() { return groups; }

    public int cols() { return cols; }

    /** Bytes of packed storage. */
    public long byteSize() { return p.byteSize(); }

    /**
     * Floats of scratch {@link #prepare} needs: Σx per 32 columns for the types whose kernels fold an
     * offset or min out of the loop. Every such type uses the same sums, so one prepared scratch
     * serves several matrices of one input (Matmul's fused Q/K/V and gate/up products).
     */
    public int scratchLength() {
        return switch (type) {
            case Q4_0, Q4_1, Q5_0, Q5_1, Q4_K, Q5_K -> nb;
            default -> 0;
        };
    }

    /** Per-vector precomputation for {@link #matvec}: the sum of each 32-column block of x, if {@link #scratchLength} &gt; 0. */
    public void prepare(float[] x, int xOff, float[] scratch) {
        if (scratchLength() > 0) PackedQ4_0.blockSums(x, xOff, nb, scratch);
    }

    /** out[outOff + r] = W[r]·x for rows r of groups [g0, g1); scratch filled by {@link #prepare} for this x. */
    public void matvec(float[] x, int xOff, float[] scratch, float[] out, int outOff, int g0, int g1) {
        if (g0 < 0 || g1 > groups || xOff < 0 || xOff + cols > x.length || outOff < 0 || outOff + g1 * GROUP > out.length) {
            throw new IndexOutOfBoundsException("groups [" + g0 + ", " + g1 + ") of " + groups + ", x " + x.length + " from " + xOff + ", out " + out.length + " from " + outOff);
        }
        if (scratchLength() > 0 && (scratch == null || scratch.length < scratchLength())) {
            throw new IllegalArgumentException(type + " needs " + scratchLength() + " floats of scratch filled by prepare(), got " + (scratch == null ? "null" : scratch.length));
        }
        switch (type) {
            case Q8_0 -> PackedQ8_0.matvec(p, nb, x, xOff, out, outOff, g0, g1);
            case Q4_0 -> PackedQ4_0.matvec(p, nb, x, xOff, scratch, out, outOff, g0, g1);
            case Q4_1 -> PackedQ4_1.matvec(p, nb, x, xOff, scratch, out, outOff, g0, g1);
            case Q5_0 -> PackedQ5_0.matvec(p, nb, x, xOff, scratch, out, outOff, g0, g1);
            case Q5_1 -> PackedQ5_1.matvec(p, nb, x, xOff, scratch, out, outOff, g0, g1);
            case Q4_K -> PackedQ4_K.matvec(p, nb / 8, x, xOff, scratch, out, outOff, g0, g1);
            case Q5_K -> PackedQ5_K.matvec(p, nb / 8, x, xOff, scratch, out, outOff, g0, g1);
            case IQ4_NL -> PackedIQ4_NL.matvec(p, nb, x, xOff, out, outOff, g0, g1);
            case IQ4_XS -> PackedIQ4_XS.matvec(p, nb / 8, x, xOff, out, outOff, g0, g1);
            case F16 -> PackedF16.matvec(p, cols, x, xOff, out, outOff, g0, g1);
            case BF16 -> PackedBF16.matvec(p, cols, x, xOff, out, outOff, g0, g1);
            default -> PackedQ6_K.matvec(p, nb / 8, x, xOff, out, outOff, g0, g1);
        }
    }

    /** True if {@link #matmul} has a fused small-batch kernel for this format (every type {@link #pack} handles). */
    public boolean batched() {
        return switch (type) {
            case Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, IQ4_NL, IQ4_XS, Q4_K, Q5_K, Q6_K, F16, BF16 -> true;
            default -> false;
        };
    }

    /**
     * Small-batch product for {@link #batched} formats: out[t·ld + r] = W[r]·x[t·cols ..] for t &lt; T
     * and rows r of groups [g0, g1). Each weight column of a group is decoded once per 4 tokens and
     * FMA'd into one accumulator per token, with no float tile in memory (decode batches; prefill
     * uses {@link #dequantizeGroup} with {@link TileKernel}).
     */
    public void matmul(float[] x, int T, float[] out, int ld, int g0, int g1) {
        if (!batched()) throw new UnsupportedOperationException("no batched kernel for " + type);
        if (T < 1 || g0 < 0 || g1 > groups || ld < g1 * GROUP || (long) T * cols > x.length || (long) (T - 1) * ld + (long) g1 * GROUP > out.length) {
            throw new IndexOutOfBoundsException("groups [" + g0 + ", " + g1 + ") of " + groups + ", T " + T + ", x " + x.length + ", out " + out.length + " ld " + ld);
        }
        for (int t = 0; t < T; t += 4) {
            int n = Math.min(4, T - t), x0 = t * cols, o = t * ld;
            switch (type) {
                case Q8_0 -> PackedQ8_0.mul4(p, nb, x, x0, n, out, o, ld, g0, g1);
                case Q4_0 -> PackedQ4_0.mul4(p, nb, x, x0, n, out, o, ld, g0, g1);
                case Q4_1 -> PackedQ4_1.mul4(p, nb, x, x0, n, out, o, ld, g0, g1);
                case Q5_0 -> PackedQ5_0.mul4(p, nb, x, x0, n, out, o, ld, g0, g1);
                case Q5_1 -> PackedQ5_1.mul4(p, nb, x, x0, n, out, o, ld, g0, g1);
                case IQ4_NL -> PackedIQ4_NL.mul4(p, nb, x, x0, n, out, o, ld, g0, g1);
                case IQ4_XS -> PackedIQ4_XS.mul4(p, nb / 8, x, x0, n, out, o, ld, g0, g1);
                case F16 -> PackedF16.mul4(p, cols, x, x0, n, out, o, ld, g0, g1);
                case BF16 -> PackedBF16.mul4(p, cols, x, x0, n, out, o, ld, g0, g1);
                case Q4_K -> PackedQ4_K.mul4(p, nb / 8, x, x0, n, out, o, ld, g0, g1);
                case Q5_K -> PackedQ5_K.mul4(p, nb / 8, x, x0, n, out, o, ld, g0, g1);
                default -> PackedQ6_K.mul4(p, nb / 8, x, x0, n, out, o, ld, g0, g1);
            }
        }
    }

    /** Per-thread tile for {@link #dequantizeRow}: 16·cols floats, grown on demand. */
    private static final ThreadLocal<float[]> ROW_TILE = ThreadLocal.withInitial(() -> new float[0]);

    /**
     * Row r (&lt; groups()·16) decoded to floats, bit-identical to the format's dequantize of the stored
     * row: its group is decoded ({@link #dequantizeGroup}, 16 rows' work) and one lane kept. For
     * embedding lookups of a tied embedding/output matrix, so the lookups never read the mapped file
     * whose pages were given back after repacking.
     */
    public void dequantizeRow(int r, float[] dst, int dstOff) {
        if (r < 0 || r >= groups * GROUP) throw new IndexOutOfBoundsException("row " + r + " of " + groups * GROUP + " packed rows");
        float[] tile = ROW_TILE.get();
        if (tile.length < GROUP * cols) ROW_TILE.set(tile = new float[GROUP * cols]);
        dequantizeGroup(r / GROUP, tile);
        int lane = r % GROUP;
        for (int c = 0; c < cols; c++) dst[dstOff + c] = tile[c * GROUP + lane];
    }

    /** Group g decoded to floats column-major: tile[16·c + lane] = W[16g + lane][c]; tile ≥ 16·cols floats. */
    public void dequantizeGroup(int g, float[] tile) {
        if (g < 0 || g >= groups) throw new IndexOutOfBoundsException("group " + g + " of " + groups);
        switch (type) {
            case Q8_0 -> PackedQ8_0.dequantizeGroup(p, nb, g, tile);
            case Q4_0 -> PackedQ4_0.dequantizeGroup(p, nb, g, tile);
            case Q4_1 -> PackedQ4_1.dequantizeGroup(p, nb, g, tile);
            case Q5_0 -> PackedQ5_0.dequantizeGroup(p, nb, g, tile);
            case Q5_1 -> PackedQ5_1.dequantizeGroup(p, nb, g, tile);
            case Q4_K -> PackedQ4_K.dequantizeGroup(p, nb / 8, g, tile);
            case Q5_K -> PackedQ5_K.dequantizeGroup(p, nb / 8, g, tile);
            case IQ4_NL -> PackedIQ4_NL.dequantizeGroup(p, nb, g, tile);
            case IQ4_XS -> PackedIQ4_XS.dequantizeGroup(p, nb / 8, g, tile);
            case F16 -> PackedF16.dequantizeGroup(p, cols, g, tile);
            case BF16 -> PackedBF16.dequantizeGroup(p, cols, g, tile);
            default -> PackedQ6_K.dequantizeGroup(p, nb / 8, g, tile);
        }
    }
}

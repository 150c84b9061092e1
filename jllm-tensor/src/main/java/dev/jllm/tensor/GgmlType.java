package dev.jllm.tensor;

/**
 * Tensor element types with ggml's numeric ids, block sizes and bytes per block.
 *
 * <p>Ids and sizes are those of ggml's {@code type_traits} table (ggml.c); a GGUF file stores the id,
 * so they must never change. A "block" is the unit a quantized row is cut into: {@code blockSize}
 * weights stored in {@code typeSize} bytes (scales included). Plain types have a block of one.
 * Ids 4, 5 (old Q4_2/Q4_3) and 31–33, 36–38 (removed repacked types) are not assigned in ggml.
 */
public enum GgmlType {
    F32(0, 1, 4),
    F16(1, 1, 2),
    Q4_0(2, 32, 18),      // f16 d + 16 bytes of nibbles
    Q4_1(3, 32, 20),      // f16 d, f16 m + 16 bytes
    Q5_0(6, 32, 22),      // f16 d + 4 bytes high bits + 16 bytes
    Q5_1(7, 32, 24),      // f16 d, f16 m + 4 + 16
    Q8_0(8, 32, 34),      // f16 d + 32 int8
    Q8_1(9, 32, 36),      // f16 d, f16 s + 32 int8
    Q2_K(10, 256, 84),
    Q3_K(11, 256, 110),
    Q4_K(12, 256, 144),   // f16 d, f16 dmin, 12 bytes scales, 128 bytes nibbles
    Q5_K(13, 256, 176),
    Q6_K(14, 256, 210),
    Q8_K(15, 256, 292),
    IQ2_XXS(16, 256, 66),
    IQ2_XS(17, 256, 74),
    IQ3_XXS(18, 256, 98),
    IQ1_S(19, 256, 50),
    IQ4_NL(20, 32, 18),
    IQ3_S(21, 256, 110),
    IQ2_S(22, 256, 82),
    IQ4_XS(23, 256, 136),
    I8(24, 1, 1),
    I16(25, 1, 2),
    I32(26, 1, 4),
    I64(27, 1, 8),
    F64(28, 1, 8),
    IQ1_M(29, 256, 56),
    BF16(30, 1, 2),
    TQ1_0(34, 256, 54),
    TQ2_0(35, 256, 66),
    MXFP4(39, 32, 17);

    private static final GgmlType[] BY_ID = new GgmlType[64];

    static {
        for (GgmlType t : values()) {
            BY_ID[t.id] = t;
        }
    }

    /** ggml's numeric type id as stored in GGUF tensor infos. */
    public final int id;
    /** Number of weights in one block. */
    public final int blockSize;
    /** Bytes of one block. */
    public final int typeSize;

    GgmlType(int id, int blockSize, int typeSize) {
        this.id = id;
        this.blockSize = blockSize;
        this.typeSize = typeSize;
    }

    /** The type with this ggml id, or {@code null} if the id is not a known type. */
    public static GgmlType byId(int id) {
        return id >= 0 && id < BY_ID.length ? BY_ID[id] : null;
    }

    public boolean isQuantized() {
        return blockSize > 1;
    }

    /** Bits per weight including block overhead (e.g. Q4_0 = 4.5, Q8_0 = 8.5). */
    public double bitsPerWeight() {
        return typeSize * 8.0 / blockSize;
    }

    /**
     * Bytes of a row of {@code n} weights. Throws if {@code n} is not a whole number of blocks,
     * because ggml cannot store a partial block.
     */
    public long rowBytes(long n) {
        if (n % blockSize != 0) {
            throw new IllegalArgumentException(
                    "a row of " + n + " weights is not a multiple of " + name() + "'s block size " + blockSize);
        }
        return Math.multiplyExact(n / blockSize, (long) typeSize);
    }

    /** Bytes of a tensor of {@code elements} weights whose rows are {@code rowLength} long. */
    public long bytes(long elements, long rowLength) {
        if (rowLength <= 0 || elements % rowLength != 0) {
            throw new IllegalArgumentException("element count " + elements + " is not a multiple of row length " + rowLength);
        }
        return Math.multiplyExact(elements / rowLength, rowBytes(rowLength));
    }
}

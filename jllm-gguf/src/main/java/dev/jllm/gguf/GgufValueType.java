package dev.jllm.gguf;

/** Metadata value types of GGUF (ids from the GGUF specification, {@code gguf_type}). */
public enum GgufValueType {
    UINT8(0, 1), INT8(1, 1), UINT16(2, 2), INT16(3, 2), UINT32(4, 4), INT32(5, 4), FLOAT32(6, 4),
    BOOL(7, 1), STRING(8, 8), ARRAY(9, 12), UINT64(10, 8), INT64(11, 8), FLOAT64(12, 8);

    /** Id as stored in the file. */
    public final int id;
    /**
     * The fewest bytes one value of this type takes in a file (a string: its 8-byte length; an
     * array: type + count). Used to reject counts that cannot fit in the bytes left.
     */
    public final int minBytes;

    GgufValueType(int id, int minBytes) {
        this.id = id;
        this.minBytes = minBytes;
    }

    private static final GgufValueType[] BY_ID = values();

    /** The type with this id, or {@code null}. */
    public static GgufValueType byId(int id) {
        return id >= 0 && id < BY_ID.length ? BY_ID[id] : null;
    }
}

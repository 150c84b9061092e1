package dev.jllm.gguf;

import java.util.Arrays;
import java.util.Objects;

/**
 * One metadata value with its GGUF type, so that a file can be written back unchanged.
 *
 * <p>Java representation of {@code value} by type: UINT8/INT8/UINT16/INT16/INT32 → {@link Integer};
 * UINT32, UINT64, INT64 → {@link Long} (UINT64 keeps the raw 64 bits); FLOAT32 → {@link Float};
 * FLOAT64 → {@link Double}; BOOL → {@link Boolean}; STRING → {@link String}; ARRAY → {@link GgufArray}.
 */
public record GgufValue(GgufValueType type, Object value) {

    public GgufValue {
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(value, "value");
        Class<?> want = switch (type) {
            case UINT8, INT8, UINT16, INT16, INT32 -> Integer.class;
            case UINT32, UINT64, INT64 -> Long.class;
            case FLOAT32 -> Float.class;
            case FLOAT64 -> Double.class;
            case BOOL -> Boolean.class;
            case STRING -> String.class;
            case ARRAY -> GgufArray.class;
        };
        if (!want.isInstance(value)) {
            throw new IllegalArgumentException(type + " value must be a " + want.getSimpleName() + ", got " + value.getClass().getSimpleName());
        }
    }

    public static GgufValue ofString(String s) { return new GgufValue(GgufValueType.STRING, s); }
    public static GgufValue ofUInt32(long v) { return new GgufValue(GgufValueType.UINT32, v); }
    public static GgufValue ofInt32(int v) { return new GgufValue(GgufValueType.INT32, v); }
    public static GgufValue ofFloat32(float v) { return new GgufValue(GgufValueType.FLOAT32, v); }
    public static GgufValue ofBool(boolean v) { return new GgufValue(GgufValueType.BOOL, v); }
    public static GgufValue ofArray(GgufArray a) { return new GgufValue(GgufValueType.ARRAY, a); }

    /** Integer types as a long (UINT64 above 2^63 wraps; no GGUF hyperparameter is that large). */
    public long asLong() {
        return switch (value) {
            case Integer i -> i;
            case Long l -> l;
            default -> throw new IllegalStateException("not an integer but " + type);
        };
    }

    /** Human-readable rendering; long arrays are elided after {@code maxItems}. */
    public String render(int maxItems) {
        return switch (value) {
            case String s -> '"' + s + '"';
            case GgufArray a -> a.render(maxItems);
            case Float f -> Float.toString(f);
            default -> value.toString();
        };
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof GgufValue v && v.type == type && Objects.equals(v.value, value);
    }

    @Override
    public int hashCode() {
        return type.hashCode() * 31 + value.hashCode();
    }

    @Override
    public String toString() {
        return type + ":" + render(8);
    }

    /** Helper for {@link GgufArray#equals}. */
    static boolean arrayEquals(Object a, Object b) {
        return Arrays.deepEquals(new Object[] {a}, new Object[] {b});
    }
}

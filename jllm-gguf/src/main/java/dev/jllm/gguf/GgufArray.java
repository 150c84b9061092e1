package dev.jllm.gguf;

import java.util.Arrays;
import java.util.Objects;

/**
 * A GGUF array. {@code values} is a primitive array chosen by element type: UINT8/INT8/UINT16/INT16/
 * INT32/UINT32 → {@code int[]} (UINT32 keeps raw bits), UINT64/INT64 → {@code long[]}, FLOAT32 →
 * {@code float[]}, FLOAT64 → {@code double[]}, BOOL → {@code boolean[]}, STRING → {@code String[]},
 * ARRAY → {@code GgufArray[]} (nested arrays).
 */
public record GgufArray(GgufValueType elementType, Object values) {

    public GgufArray {
        Objects.requireNonNull(elementType, "elementType");
        Class<?> want = switch (elementType) {
            case UINT8, INT8, UINT16, INT16, INT32, UINT32 -> int[].class;
            case UINT64, INT64 -> long[].class;
            case FLOAT32 -> float[].class;
            case FLOAT64 -> double[].class;
            case BOOL -> boolean[].class;
            case STRING -> String[].class;
            case ARRAY -> GgufArray[].class;
        };
        if (!want.isInstance(values)) {
            throw new IllegalArgumentException("array of " + elementType + " must hold a " + want.getSimpleName());
        }
    }

    public static GgufArray ofStrings(String... s) { return new GgufArray(GgufValueType.STRING, s); }
    public static GgufArray ofFloats(float... f) { return new GgufArray(GgufValueType.FLOAT32, f); }
    public static GgufArray ofInt32(int... v) { return new GgufArray(GgufValueType.INT32, v); }

    public int length() {
        return java.lang.reflect.Array.getLength(values);
    }

    public String[] strings() { return (String[]) values; }
    public float[] floats() { return (float[]) values; }
    public int[] ints() { return (int[]) values; }

    String render(int maxItems) {
        int n = length();
        StringBuilder sb = new StringBuilder().append(elementType).append('[').append(n).append("] [");
        for (int i = 0; i < Math.min(n, maxItems); i++) {
            if (i > 0) sb.append(", ");
            Object v = java.lang.reflect.Array.get(values, i);
            sb.append(v instanceof String s ? '"' + s + '"' : v instanceof GgufArray a ? a.render(maxItems) : String.valueOf(v));
        }
        if (n > maxItems) sb.append(", ...");
        return sb.append(']').toString();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof GgufArray a && a.elementType == elementType && GgufValue.arrayEquals(a.values, values);
    }

    @Override
    public int hashCode() {
        return Arrays.deepHashCode(new Object[] {values}) * 31 + elementType.hashCode();
    }
}

package dev.jllm.gguf;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/** Bounds-checked little-endian reads over a mapped file; every failure names file and offset. */
final class GgufCursor {
    private static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong I64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    /** Nested arrays deeper than this are rejected (a hostile file could otherwise recurse forever). */
    private static final int MAX_DEPTH = 8;
    /** Longest accepted string (a chat template is a few KB; 64 MB is generous). */
    private static final long MAX_STRING = 64L << 20;

    private final MemorySegment seg;
    private final String file;
    private long pos;

    GgufCursor(MemorySegment seg, String file) {
        this.seg = seg;
        this.file = file;
    }

    long position() { return pos; }

    long remaining() { return seg.byteSize() - pos; }

    GgufFormatException error(String what) {
        return new GgufFormatException(file + ": offset " + pos + ": " + what, pos);
    }

    private void need(long n, String what) throws GgufFormatException {
        if (n < 0 || n > remaining()) {
            throw error("file ends while reading " + what + " (need " + n + " bytes, " + remaining() + " left); the file is truncated");
        }
    }

    /** Rejects a count whose elements (each at least {@code minBytes}) cannot fit in the bytes left. */
    void checkCount(long count, long minBytes, String what) throws GgufFormatException {
        if (count < 0 || count > remaining() / minBytes) {
            throw error(what + " " + Long.toUnsignedString(count) + " is impossible for a file with " + remaining()
                    + " bytes left (the header is corrupt)");
        }
    }

    int u8() throws GgufFormatException { need(1, "a byte"); return seg.get(ValueLayout.JAVA_BYTE, pos++) & 0xff; }

    int u16() throws GgufFormatException { need(2, "a u16"); int v = seg.get(I16, pos) & 0xffff; pos += 2; return v; }

    int u32() throws GgufFormatException { need(4, "a u32"); int v = seg.get(I32, pos); pos += 4; return v; }

    long u64() throws GgufFormatException { need(8, "a u64"); long v = seg.get(I64, pos); pos += 8; return v; }

    String string(String what) throws GgufFormatException {
        long len = u64();
        if (len < 0 || len > MAX_STRING) throw error(what + ": string length " + Long.toUnsignedString(len) + " exceeds " + MAX_STRING);
        need(len, what);
        byte[] b = seg.asSlice(pos, len).toArray(ValueLayout.JAVA_BYTE);
        String s;
        try {
            s = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(java.nio.ByteBuffer.wrap(b)).toString();
        } catch (CharacterCodingException e) {
            // Some real vocabularies hold invalid UTF-8 in token strings; keep them (replacement chars) rather than fail.
            s = new String(b, StandardCharsets.UTF_8);
        }
        pos += len;
        return s;
    }

    GgufValue value(String key) throws GgufFormatException {
        long at = pos;
        int typeId = u32();
        GgufValueType type = GgufValueType.byId(typeId);
        if (type == null) {
            throw new GgufFormatException(file + ": offset " + at + ": metadata key '" + key + "' has unknown value type "
                    + Integer.toUnsignedString(typeId) + " (valid 0..12)", at);
        }
        return new GgufValue(type, scalarOrArray(type, key, 0));
    }

    private Object scalarOrArray(GgufValueType type, String key, int depth) throws GgufFormatException {
        return switch (type) {
            case UINT8 -> u8();
            case INT8 -> (int) (byte) u8();
            case UINT16 -> u16();
            case INT16 -> (int) (short) u16();
            case UINT32 -> Integer.toUnsignedLong(u32());
            case INT32 -> u32();
            case FLOAT32 -> Float.intBitsToFloat(u32());
            case BOOL -> {
                int b = u8();
                if (b > 1) throw error("metadata key '" + key + "': BOOL value " + b + " is not 0 or 1");
                yield b == 1;
            }
            case STRING -> string("metadata key '" + key + "'");
            case UINT64, INT64 -> u64();
            case FLOAT64 -> Double.longBitsToDouble(u64());
            case ARRAY -> array(key, depth + 1);
        };
    }

    private GgufArray array(String key, int depth) throws GgufFormatException {
        if (depth > MAX_DEPTH) throw error("metadata key '" + key + "': arrays nested deeper than " + MAX_DEPTH);
        long at = pos;
        int typeId = u32();
        GgufValueType et = GgufValueType.byId(typeId);
        if (et == null) {
            throw new GgufFormatException(file + ": offset " + at + ": metadata key '" + key + "' is an array of unknown value type "
                    + Integer.toUnsignedString(typeId) + " (valid 0..12)", at);
        }
        long n = u64();
        checkCount(n, et.minBytes, "metadata key '" + key + "': array length");
        if (n > Integer.MAX_VALUE - 8) throw error("metadata key '" + key + "': array length " + n + " is too large");
        int len = (int) n;
        return switch (et) {
            case UINT8, INT8, UINT16, INT16, INT32, UINT32 -> {
                int[] a = new int[len];
                for (int i = 0; i < len; i++) {
                    a[i] = switch (et) {
                        case UINT8 -> u8();
                        case INT8 -> (byte) u8();
                        case UINT16 -> u16();
                        case INT16 -> (short) u16();
                        default -> u32();
                    };
                }
                yield new GgufArray(et, a);
            }
            case UINT64, INT64 -> {
                long[] a = new long[len];
                for (int i = 0; i < len; i++) a[i] = u64();
                yield new GgufArray(et, a);
            }
            case FLOAT32 -> {
                float[] a = new float[len];
                for (int i = 0; i < len; i++) a[i] = Float.intBitsToFloat(u32());
                yield new GgufArray(et, a);
            }
            case FLOAT64 -> {
                double[] a = new double[len];
                for (int i = 0; i < len; i++) a[i] = Double.longBitsToDouble(u64());
                yield new GgufArray(et, a);
            }
            case BOOL -> {
                boolean[] a = new boolean[len];
                for (int i = 0; i < len; i++) a[i] = u8() != 0;
                yield new GgufArray(et, a);
            }
            case STRING -> {
                String[] a = new String[len];
                for (int i = 0; i < len; i++) a[i] = string("metadata key '" + key + "' element " + i);
                yield new GgufArray(et, a);
            }
            case ARRAY -> {
                GgufArray[] a = new GgufArray[len];
                for (int i = 0; i < len; i++) a[i] = array(key, depth + 1);
                yield new GgufArray(et, a);
            }
        };
    }
}

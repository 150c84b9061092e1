package dev.jllm.gguf;

import dev.jllm.tensor.GgmlType;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A GGUF file (v2/v3), memory-mapped read-only with the FFM API (files over 2 GB, zero copy).
 *
 * <p>Layout (little-endian): magic "GGUF" u32 · version u32 · tensor_count u64 · kv_count u64 ·
 * kv_count × (key string, value type u32, value) · tensor_count × (name string, n_dims u32,
 * dims u64[n_dims], ggml type u32, offset u64) · padding to {@code general.alignment} (default 32) ·
 * tensor data. A string is a u64 byte length + UTF-8 bytes (no terminator).
 *
 * <p>Everything in the header is validated before use: counts are bounded by the bytes left in the
 * file (so a hostile header cannot make us allocate gigabytes), tensor offsets must be aligned and
 * lie inside the data section, types must be known. Problems raise {@link GgufFormatException}.
 */
public final class GgufFile implements AutoCloseable {
    public static final int MAGIC = 0x46554747; // "GGUF" read as a little-endian u32
    public static final int DEFAULT_ALIGNMENT = 32;
    /** ggml's GGML_MAX_DIMS. */
    public static final int MAX_DIMS = 4;

    private final Path path;
    private final Arena arena;
    private final MemorySegment file;
    private final int version;
    private final Map<String, GgufValue> metadata;
    private final List<GgufTensorInfo> tensors;
    private final Map<String, GgufTensorInfo> tensorsByName;
    private final int alignment;
    private final long dataOffset;

    private GgufFile(Path path, Arena arena, MemorySegment file, int version, Map<String, GgufValue> metadata,
                     List<GgufTensorInfo> tensors, int alignment, long dataOffset) {
        this.path = path;
        this.arena = arena;
        this.file = file;
        this.version = version;
        this.metadata = Collections.unmodifiableMap(metadata);
        this.tensors = List.copyOf(tensors);
        Map<String, GgufTensorInfo> byName = new LinkedHashMap<>();
        for (GgufTensorInfo t : tensors) byName.put(t.name(), t);
        this.tensorsByName = Collections.unmodifiableMap(byName);
        this.alignment = alignment;
        this.dataOffset = dataOffset;
    }

    /** Opens and validates {@code path}. The caller closes the file (unmaps it). */
    public static GgufFile open(Path path) throws IOException {
        if (!Files.exists(path)) throw new NoSuchFileException(path.toString(), null, "file not found");
        if (Files.isDirectory(path)) throw new GgufFormatException(path + ": is a directory, not a GGUF file", -1);
        Arena arena = Arena.ofShared();
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size == 0) throw new GgufFormatException(path + ": file is empty (0 bytes), not a GGUF file", 0);
            MemorySegment seg = ch.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
            GgufFile f = parse(path, arena, seg);
            return f;
        } catch (IOException | RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    private static GgufFile parse(Path path, Arena arena, MemorySegment seg) throws GgufFormatException {
        String name = path.getFileName() == null ? path.toString() : path.getFileName().toString();
        GgufCursor in = new GgufCursor(seg, name);
        if (seg.byteSize() < 4) throw in.error("file is " + seg.byteSize() + " bytes, too short for a GGUF header");
        int magic = in.u32();
        if (magic != MAGIC) {
            throw new GgufFormatException(name + ": not a GGUF file (magic at offset 0 is " + hexMagic(magic)
                    + ", expected \"GGUF\")", 0);
        }
        int version = in.u32();
        if (version == 1) throw in.error("GGUF version 1 is not supported; re-convert the model with a current llama.cpp (v2/v3)");
        if (version != 2 && version != 3) {
            String hint = Integer.reverseBytes(version) == 2 || Integer.reverseBytes(version) == 3
                    ? " (this looks like a big-endian GGUF; only little-endian files are supported)" : "";
            throw new GgufFormatException(name + ": offset 4: unsupported GGUF version " + Integer.toUnsignedString(version)
                    + "; supported: 2, 3" + hint, 4);
        }
        long tensorCount = in.u64();
        long kvCount = in.u64();
        // Each KV takes at least 8 (key length) + 4 (type) + 1 byte; each tensor info at least 8+4+8+4+8.
        in.checkCount(kvCount, 13, "metadata key/value count");
        in.checkCount(tensorCount, 32, "tensor count");

        Map<String, GgufValue> metadata = new LinkedHashMap<>();
        for (long i = 0; i < kvCount; i++) {
            long at = in.position();
            String key = in.string("metadata key #" + i);
            if (metadata.containsKey(key)) throw new GgufFormatException(name + ": offset " + at + ": duplicate metadata key '" + key + "'", at);
            GgufValue v = in.value(key);
            metadata.put(key, v);
        }

        int alignment = DEFAULT_ALIGNMENT;
        GgufValue al = metadata.get("general.alignment");
        if (al != null) {
            if (al.type() != GgufValueType.UINT32) {
                throw new GgufFormatException(name + ": metadata key 'general.alignment' must be UINT32, is " + al.type(), -1);
            }
            long a = al.asLong();
            if (a <= 0 || Long.bitCount(a) != 1 || a > (1 << 20)) {
                throw new GgufFormatException(name + ": metadata key 'general.alignment' = " + a + " is not a power of two in 1.." + (1 << 20), -1);
            }
            alignment = (int) a;
        }

        List<GgufTensorInfo> tensors = new java.util.ArrayList<>((int) Math.min(tensorCount, 1 << 16));
        java.util.Set<String> names = new java.util.HashSet<>();
        for (long i = 0; i < tensorCount; i++) {
            long at = in.position();
            String tname = in.string("tensor #" + i + " name");
            if (!names.add(tname)) throw new GgufFormatException(name + ": offset " + at + ": duplicate tensor name '" + tname + "'", at);
            int nDims = in.u32();
            if (nDims < 1 || nDims > MAX_DIMS) {
                throw in.error("tensor '" + tname + "' has " + Integer.toUnsignedString(nDims) + " dimensions; allowed 1.." + MAX_DIMS);
            }
            long[] dims = new long[nDims];
            for (int d = 0; d < nDims; d++) {
                dims[d] = in.u64();
                if (dims[d] <= 0 || dims[d] > (1L << 40)) {
                    throw in.error("tensor '" + tname + "' dimension " + d + " = " + Long.toUnsignedString(dims[d]) + " is out of range 1..2^40");
                }
            }
            int typeId = in.u32();
            GgmlType type = GgmlType.byId(typeId);
            if (type == null) throw in.error("tensor '" + tname + "' has unknown ggml type id " + Integer.toUnsignedString(typeId));
            long offset = in.u64();
            long elements;
            try {
                elements = 1;
                for (long d : dims) elements = Math.multiplyExact(elements, d);
            } catch (ArithmeticException e) {
                throw in.error("tensor '" + tname + "' element count overflows (dims " + java.util.Arrays.toString(dims) + ")");
            }
            if (dims[0] % type.blockSize != 0) {
                throw in.error("tensor '" + tname + "' row length " + dims[0] + " is not a multiple of " + type + "'s block size " + type.blockSize);
            }
            if (offset % alignment != 0) {
                throw in.error("tensor '" + tname + "' data offset " + offset + " is not a multiple of the alignment " + alignment);
            }
            tensors.add(new GgufTensorInfo(tname, dims, type, offset));
        }
        long dataOffset = alignUp(in.position(), alignment);
        long dataSize = seg.byteSize() - dataOffset;
        for (GgufTensorInfo t : tensors) {
            long bytes;
            try {
                bytes = t.byteSize();
            } catch (ArithmeticException e) {
                throw new GgufFormatException(name + ": tensor '" + t.name() + "' size overflows", -1);
            }
            if (t.offset() < 0 || t.offset() > dataSize || bytes > dataSize - t.offset()) {
                throw new GgufFormatException(name + ": tensor '" + t.name() + "' (" + t.type() + " " + t.shape() + ", " + bytes
                        + " bytes at data offset " + t.offset() + ") extends past the end of the file (data section is "
                        + Math.max(0, dataSize) + " bytes); the file is truncated or corrupt", dataOffset + t.offset());
            }
        }
        return new GgufFile(path, arena, seg, version, metadata, tensors, alignment, dataOffset);
    }

    private static String hexMagic(int magic) {
        byte[] b = {(byte) magic, (byte) (magic >> 8), (byte) (magic >> 16), (byte) (magic >> 24)};
        StringBuilder sb = new StringBuilder();
        for (byte x : b) sb.append(String.format("%02x ", x & 0xff));
        return sb.toString().trim();
    }

    static long alignUp(long x, long alignment) {
        return (x + alignment - 1) / alignment * alignment;
    }

    public Path path() { return path; }
    public int version() { return version; }
    public int alignment() { return alignment; }
    /** Absolute file offset of the tensor-data section. */
    public long dataOffset() { return dataOffset; }
    public long fileSize() { return file.byteSize(); }
    /** Metadata in file order. */
    public Map<String, GgufValue> metadata() { return metadata; }
    /** Tensor infos in file order. */
    public List<GgufTensorInfo> tensors() { return tensors; }

    public GgufTensorInfo tensor(String name) { return tensorsByName.get(name); }

    /** Zero-copy view of a tensor's bytes, valid until {@link #close()}. */
    public MemorySegment tensorData(GgufTensorInfo t) {
        return file.asSlice(dataOffset + t.offset(), t.byteSize());
    }

    public GgufValue get(String key) { return metadata.get(key); }

    /** A string value, or {@code null} if absent; a value of another type is an error naming the key. */
    public String getString(String key) throws GgufFormatException {
        GgufValue v = metadata.get(key);
        if (v == null) return null;
        if (v.value() instanceof String s) return s;
        throw new GgufFormatException(path + ": metadata key '" + key + "' should be a string but is " + v.type(), -1);
    }

    /** An integer value, or {@code def} if absent. */
    public long getLong(String key, long def) throws GgufFormatException {
        GgufValue v = metadata.get(key);
        if (v == null) return def;
        if (v.value() instanceof Integer || v.value() instanceof Long) return v.asLong();
        throw new GgufFormatException(path + ": metadata key '" + key + "' should be an integer but is " + v.type(), -1);
    }

    /** A float value (FLOAT32/FLOAT64/integer), or {@code def} if absent. */
    public double getDouble(String key, double def) throws GgufFormatException {
        GgufValue v = metadata.get(key);
        if (v == null) return def;
        return switch (v.value()) {
            case Float f -> f;
            case Double d -> d;
            case Integer i -> i;
            case Long l -> l;
            default -> throw new GgufFormatException(path + ": metadata key '" + key + "' should be a number but is " + v.type(), -1);
        };
    }

    public GgufArray getArray(String key) throws GgufFormatException {
        GgufValue v = metadata.get(key);
        if (v == null) return null;
        if (v.value() instanceof GgufArray a) return a;
        throw new GgufFormatException(path + ": metadata key '" + key + "' should be an array but is " + v.type(), -1);
    }

    @Override
    public void close() {
        arena.close();
    }
}

package dev.jllm.gguf;

import dev.jllm.tensor.GgmlType;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Writes GGUF v3, the mirror image of {@link GgufFile}: metadata in insertion order, tensor infos,
 * padding to the alignment, then each tensor's bytes padded to the alignment.
 *
 * <p>The file is written to a temporary sibling, fsync'ed and renamed, so a crash never leaves a
 * half-written model under the final name.
 */
public final class GgufWriter {

    /** Supplies a tensor's bytes when the file is written (so large models need not sit in memory twice). */
    @FunctionalInterface
    public interface TensorData {
        void writeTo(OutputStream out) throws IOException;
    }

    private record PendingTensor(String name, long[] dims, GgmlType type, TensorData data) {}

    private final Map<String, GgufValue> metadata = new LinkedHashMap<>();
    private final List<PendingTensor> tensors = new ArrayList<>();
    private int alignment = GgufFile.DEFAULT_ALIGNMENT;

    public GgufWriter put(String key, GgufValue value) {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(value, "value");
        if (key.equals("general.alignment")) {
            long a = value.asLong();
            if (value.type() != GgufValueType.UINT32 || a <= 0 || Long.bitCount(a) != 1) {
                throw new IllegalArgumentException("general.alignment must be a UINT32 power of two, got " + value);
            }
            alignment = (int) a;
        }
        metadata.put(key, value);
        return this;
    }

    /** Copies every metadata entry of {@code f} (e.g. to rewrite a model with other tensors). */
    public GgufWriter putAll(Map<String, GgufValue> entries) {
        entries.forEach(this::put);
        return this;
    }

    public GgufWriter addTensor(String name, GgmlType type, long[] dims, TensorData data) {
        long elements = 1;
        for (long d : dims) elements = Math.multiplyExact(elements, d);
        type.bytes(elements, dims[0]); // validates the row against the block size
        tensors.add(new PendingTensor(name, dims.clone(), type, data));
        return this;
    }

    /** A tensor whose bytes are already in memory (a heap array or a mapped segment). */
    public GgufWriter addTensor(String name, GgmlType type, long[] dims, MemorySegment bytes) {
        long elements = 1;
        for (long d : dims) elements = Math.multiplyExact(elements, d);
        long want = type.bytes(elements, dims[0]);
        if (bytes.byteSize() != want) {
            throw new IllegalArgumentException("tensor '" + name + "' " + type + " " + java.util.Arrays.toString(dims)
                    + " needs " + want + " bytes, got " + bytes.byteSize());
        }
        return addTensor(name, type, dims, out -> {
            byte[] buf = new byte[1 << 16];
            for (long off = 0; off < bytes.byteSize(); off += buf.length) {
                int n = (int) Math.min(buf.length, bytes.byteSize() - off);
                MemorySegment.copy(bytes, ValueLayout.JAVA_BYTE, off, buf, 0, n);
                out.write(buf, 0, n);
            }
        });
    }

    /** Writes the file atomically (temp file, fsync, rename). */
    public void write(Path path) throws IOException {
        Path abs = path.toAbsolutePath();
        Path tmp = abs.resolveSibling(abs.getFileName() + ".tmp");
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
                StandardOpenOption.WRITE)) {
            CountingOutput out = new CountingOutput(new BufferedOutputStream(Channels.newOutputStream(ch), 1 << 20));
            writeTo(out);
            out.flush();
            ch.force(true);
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(tmp);
            throw e;
        }
        Files.move(tmp, abs, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    private void writeTo(CountingOutput out) throws IOException {
        out.u32(GgufFile.MAGIC);
        out.u32(3);
        out.u64(tensors.size());
        out.u64(metadata.size());
        for (Map.Entry<String, GgufValue> e : metadata.entrySet()) {
            out.string(e.getKey());
            out.u32(e.getValue().type().id);
            writeValue(out, e.getValue().type(), e.getValue().value());
        }
        long offset = 0;
        for (PendingTensor t : tensors) {
            out.string(t.name);
            out.u32(t.dims.length);
            for (long d : t.dims) out.u64(d);
            out.u32(t.type.id);
            out.u64(offset);
            offset = GgufFile.alignUp(offset + bytesOf(t), alignment);
        }
        out.pad(alignment);
        for (PendingTensor t : tensors) {
            long start = out.count;
            t.data.writeTo(out);
            long written = out.count - start;
            if (written != bytesOf(t)) {
                throw new IOException("tensor '" + t.name + "' wrote " + written + " bytes, expected " + bytesOf(t));
            }
            out.pad(alignment);
        }
    }

    private static long bytesOf(PendingTensor t) {
        long elements = 1;
        for (long d : t.dims) elements *= d;
        return t.type.bytes(elements, t.dims[0]);
    }

    private static void writeValue(CountingOutput out, GgufValueType type, Object v) throws IOException {
        switch (type) {
            case UINT8, INT8 -> out.write((Integer) v);
            case UINT16, INT16 -> out.u16((Integer) v);
            case INT32 -> out.u32((Integer) v);
            case UINT32 -> out.u32((int) (long) (Long) v);
            case FLOAT32 -> out.u32(Float.floatToRawIntBits((Float) v));
            case BOOL -> out.write((Boolean) v ? 1 : 0);
            case STRING -> out.string((String) v);
            case UINT64, INT64 -> out.u64((Long) v);
            case FLOAT64 -> out.u64(Double.doubleToRawLongBits((Double) v));
            case ARRAY -> writeArray(out, (GgufArray) v);
        }
    }

    private static void writeArray(CountingOutput out, GgufArray a) throws IOException {
        out.u32(a.elementType().id);
        int n = a.length();
        out.u64(n);
        Object vs = a.values();
        for (int i = 0; i < n; i++) {
            switch (a.elementType()) {
                case UINT8, INT8 -> out.write(((int[]) vs)[i]);
                case UINT16, INT16 -> out.u16(((int[]) vs)[i]);
                case INT32, UINT32 -> out.u32(((int[]) vs)[i]);
                case UINT64, INT64 -> out.u64(((long[]) vs)[i]);
                case FLOAT32 -> out.u32(Float.floatToRawIntBits(((float[]) vs)[i]));
                case FLOAT64 -> out.u64(Double.doubleToRawLongBits(((double[]) vs)[i]));
                case BOOL -> out.write(((boolean[]) vs)[i] ? 1 : 0);
                case STRING -> out.string(((String[]) vs)[i]);
                case ARRAY -> writeArray(out, ((GgufArray[]) vs)[i]);
            }
        }
    }

    /** Little-endian output that counts bytes (for alignment padding). */
    private static final class CountingOutput extends OutputStream {
        private final OutputStream out;
        private final ByteBuffer scratch = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
        long count;

        CountingOutput(OutputStream out) { this.out = out; }

        @Override public void write(int b) throws IOException { out.write(b); count++; }

        @Override public void write(byte[] b, int off, int len) throws IOException { out.write(b, off, len); count += len; }

        @Override public void flush() throws IOException { out.flush(); }

        void u16(int v) throws IOException { scratch.clear(); scratch.putShort((short) v); write(scratch.array(), 0, 2); }

        void u32(int v) throws IOException { scratch.clear(); scratch.putInt(v); write(scratch.array(), 0, 4); }

        void u64(long v) throws IOException { scratch.clear(); scratch.putLong(v); write(scratch.array(), 0, 8); }

        void string(String s) throws IOException {
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            u64(b.length);
            write(b, 0, b.length);
        }

        void pad(int alignment) throws IOException {
            while (count % alignment != 0) write(0);
        }
    }

}

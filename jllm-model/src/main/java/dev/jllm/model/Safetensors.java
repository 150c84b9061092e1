package dev.jllm.model;

import dev.jllm.tensor.BlockFormats;
import dev.jllm.tensor.GgmlType;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Hugging Face safetensors files, read and written (format: huggingface/safetensors README,
 * "Format"; writer and validation rules: its Rust crate, {@code safetensors/src/tensor.rs},
 * {@code prepare}, {@code Metadata::validate}, {@code read_metadata}). Implemented here rather than
 * taken from a library because the format is small, jllm-model has no third-party dependency, and
 * no Java safetensors library writes the exact bytes the Rust crate does.
 *
 * <p>Layout: 8 bytes N (u64 little-endian), then N bytes of a UTF-8 JSON header
 * {@code {"__metadata__":{"format":"pt"},"NAME":{"dtype":"F32","shape":[r,in],"data_offsets":[BEGIN,END]},...}}
 * padded with spaces to a multiple of 8, then the byte buffer: each tensor row-major little-endian at
 * [BEGIN, END) relative to the buffer start, contiguous, no holes, nothing after the last tensor.
 * The writer orders tensors as the Rust crate does (dtype descending in its enum order, then name
 * byte-wise) and writes the header with serde_json's compact form, so a file equals
 * {@code safetensors.torch.save_file(tensors, path, metadata={"format": "pt"})}'s byte for byte.
 *
 * <p>Reading keeps the file open and reads a tensor when asked; {@link #floats} converts F32, F16,
 * BF16 and F64 to float (other dtypes are listed and validated but not converted).
 */
public final class Safetensors implements AutoCloseable {
    /** The Rust crate's MAX_HEADER_SIZE. */
    public static final long MAX_HEADER_SIZE = 100_000_000L;

    /** Element types in the Rust crate's declaration order (its derived Ord, which the writer sorts by), with their bit sizes. */
    public enum Dtype {
        BOOL(8), F4(4), F6_E2M3(6), F6_E3M2(6), U8(8), I8(8), F8_E5M2(8), F8_E4M3(8), F8_E8M0(8), F8_E4M3FNUZ(8), F8_E5M2FNUZ(8),
        I16(16), U16(16), F16(16), BF16(16), I32(32), U32(32), F32(32), C64(64), F64(64), I64(64), U64(64);

        public final int bits;

        Dtype(int bits) {
            this.bits = bits;
        }

        /** F32, F16 or BF16 (case-insensitive), the types {@link #write} can produce from floats. */
        public static Dtype parseFloatType(String s) {
            return switch (s.strip().toUpperCase(java.util.Locale.ROOT)) {
                case "F32", "FP32", "FLOAT32" -> F32;
                case "F16", "FP16", "FLOAT16" -> F16;
                case "BF16", "BFLOAT16" -> BF16;
                default -> throw new IllegalArgumentException("dtype '" + s + "' is not one of f32, bf16, f16");
            };
        }
    }

    /** One tensor's header entry; {@code begin}/{@code end} are relative to the byte buffer. */
    public record Info(String name, Dtype dtype, long[] shape, long begin, long end) {
        public long elements() {
            long n = 1;
            for (long d : shape) n = Math.multiplyExact(n, d);
            return n;
        }

        public String shapeText() {
            return java.util.Arrays.toString(shape).replace(" ", "");
        }
    }

    /** A tensor to write: row-major {@code data}, stored as {@code dtype} (F32, F16 or BF16). */
    public record Tensor(String name, Dtype dtype, long[] shape, float[] data) {
        public Tensor {
            long n = 1;
            for (long d : shape) {
                if (d < 0) throw new IllegalArgumentException(name + ": negative dimension in " + java.util.Arrays.toString(shape));
                n = Math.multiplyExact(n, d);
            }
            if (n != data.length) throw new IllegalArgumentException(name + ": shape " + java.util.Arrays.toString(shape) + " holds " + n + " values, data has " + data.length);
            if (dtype != Dtype.F32 && dtype != Dtype.F16 && dtype != Dtype.BF16) throw new IllegalArgumentException(name + ": can write F32, F16 or BF16, not " + dtype);
        }
    }

    private final Path path;
    private final FileChannel ch;
    private final long dataStart;
    private final Map<String, String> metadata;
    private final Map<String, Info> tensors; // in offset order

    private Safetensors(Path path, FileChannel ch, long dataStart, Map<String, String> metadata, Map<String, Info> tensors) {
        this.path = path;
        this.ch = ch;
        this.dataStart = dataStart;
        this.metadata = metadata;
        this.tensors = tensors;
    }

    public Path path() { return path; }

    /** {@code __metadata__} (empty when absent). */
    public Map<String, String> metadata() { return metadata; }

    /** Header entries in data-offset order. */
    public List<Info> tensors() { return List.copyOf(tensors.values()); }

    /** The entry named {@code name}, or null. */
    public Info tensor(String name) { return tensors.get(name); }

    /** Opens and validates a file as the Rust crate does; errors name the file, the byte offset and the tensor. */
    public static Safetensors open(Path path) throws IOException {
        FileChannel ch = FileChannel.open(path, StandardOpenOption.READ);
        try {
            long size = ch.size();
            if (size < 8) throw new IOException(path + ": not a safetensors file: " + size + " bytes, shorter than the 8-byte header length");
            ByteBuffer nb = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            readFully(ch, nb, 0);
            long n = nb.getLong(0);
            if (n < 0 || n > MAX_HEADER_SIZE) throw new IOException(path + ": offset 0: header length " + Long.toUnsignedString(n) + " is over the limit of " + MAX_HEADER_SIZE + " bytes (not a safetensors file?)");
            if (8 + n > size) throw new IOException(path + ": offset 0: header length " + n + " runs past the end of the " + size + "-byte file");
            ByteBuffer hb = ByteBuffer.allocate((int) n);
            readFully(ch, hb, 8);
            String text;
            try {
                text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT)
                        .decode(hb.flip()).toString();
            } catch (CharacterCodingException e) {
                throw new IOException(path + ": offset 8: the header is not valid UTF-8");
            }
            if (!text.startsWith("{")) throw new IOException(path + ": offset 8: the header must start with '{' (not a safetensors file?)");
            Object root;
            try {
                root = JsonText.parse(text, path + " (header)");
            } catch (JsonText.SyntaxException e) {
                throw new IOException(e.getMessage());
            }
            if (!(root instanceof Map<?, ?> top)) throw new IOException(path + ": the header is not a JSON object");
            Map<String, String> meta = new LinkedHashMap<>();
            List<Info> infos = new ArrayList<>();
            for (var e : top.entrySet()) {
                String name = (String) e.getKey();
                if (name.equals("__metadata__")) {
                    if (!(e.getValue() instanceof Map<?, ?> mm)) throw new IOException(path + ": __metadata__ must be an object of strings");
                    for (var me : mm.entrySet()) {
                        if (!(me.getValue() instanceof String sv)) throw new IOException(path + ": __metadata__ value of '" + me.getKey() + "' must be a string");
                        meta.put((String) me.getKey(), sv);
                    }
                    continue;
                }
                infos.add(info(path, name, e.getValue()));
            }
            infos.sort(Comparator.comparingLong(Info::begin).thenComparingLong(Info::end));
            long start = 0;
            Map<String, Info> byName = new LinkedHashMap<>();
            for (Info i : infos) {
                if (i.begin() != start || i.end() < i.begin()) {
                    throw new IOException(path + ": tensor '" + i.name() + "': data_offsets [" + i.begin() + ", " + i.end() + "] should start at " + start
                            + " (tensors must be contiguous, without holes)");
                }
                long bits;
                try {
                    bits = Math.multiplyExact(i.elements(), (long) i.dtype().bits);
                } catch (ArithmeticException ex) {
                    throw new IOException(path + ": tensor '" + i.name() + "': shape " + i.shapeText() + " is too large");
                }
                if (bits % 8 != 0) throw new IOException(path + ": tensor '" + i.name() + "': " + i.dtype() + " " + i.shapeText() + " is not a whole number of bytes");
                if (i.end() - i.begin() != bits / 8) {
                    throw new IOException(path + ": tensor '" + i.name() + "': " + i.dtype() + " " + i.shapeText() + " needs " + bits / 8 + " bytes, data_offsets ["
                            + i.begin() + ", " + i.end() + "] hold " + (i.end() - i.begin()));
                }
                start = i.end();
                byName.put(i.name(), i);
            }
            if (8 + n + start != size) {
                throw new IOException(path + ": the tensors cover " + start + " bytes of data but the file has " + (size - 8 - n) + " after the header"
                        + (8 + n + start > size ? " (truncated?)" : ""));
            }
            return new Safetensors(path, ch, 8 + n, Collections.unmodifiableMap(meta), Collections.unmodifiableMap(byName));
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
    }

    private static Info info(Path path, String name, Object v) throws IOException {
        String where = path + ": tensor '" + name + "'";
        if (!(v instanceof Map<?, ?> m)) throw new IOException(where + ": header entry must be an object with dtype, shape, data_offsets");
        if (!(m.get("dtype") instanceof String ds)) throw new IOException(where + ": missing dtype");
        Dtype dt;
        try {
            dt = Dtype.valueOf(ds);
        } catch (IllegalArgumentException e) {
            throw new IOException(where + ": unknown dtype '" + ds + "'");
        }
        long[] shape = longs(m.get("shape"), where + ": shape");
        long[] off = longs(m.get("data_offsets"), where + ": data_offsets");
        if (off.length != 2) throw new IOException(where + ": data_offsets must be [BEGIN, END]");
        return new Info(name, dt, shape, off[0], off[1]);
    }

    private static long[] longs(Object v, String what) throws IOException {
        if (!(v instanceof List<?> l)) throw new IOException(what + " must be an array of non-negative integers");
        long[] out = new long[l.size()];
        for (int i = 0; i < out.length; i++) {
            if (!(l.get(i) instanceof BigDecimal d) || d.signum() < 0) throw new IOException(what + " must be an array of non-negative integers");
            try {
                out[i] = d.longValueExact();
            } catch (ArithmeticException e) {
                throw new IOException(what + " must be an array of non-negative integers, got " + d);
            }
        }
        return out;
    }

    /** The raw little-endian bytes of a tensor. */
    public byte[] bytes(Info t) throws IOException {
        long n = t.end() - t.begin();
        if (n > Integer.MAX_VALUE - 8) throw new IOException(path + ": tensor '" + t.name() + "' is over 2 GiB");
        ByteBuffer b = ByteBuffer.allocate((int) n);
        readFully(ch, b, dataStart + t.begin());
        return b.array();
    }

    /**
     * A tensor's bytes mapped read-only (not copied), for converters that stream large checkpoints:
     * the pages are read on demand and dropped by the OS, so a model never sits in the heap.
     */
    public MemorySegment map(Info t) throws IOException {
        return ch.map(FileChannel.MapMode.READ_ONLY, dataStart + t.begin(), t.end() - t.begin(), java.lang.foreign.Arena.ofAuto());
    }

    /** A tensor's values as floats (F32, F16, BF16, F64). */
    public float[] floats(Info t) throws IOException {
        GgmlType gt = switch (t.dtype()) {
            case F32 -> GgmlType.F32;
            case F16 -> GgmlType.F16;
            case BF16 -> GgmlType.BF16;
            case F64 -> null;
            default -> throw new IOException(path + ": tensor '" + t.name() + "' has dtype " + t.dtype() + "; only F32, F16, BF16 and F64 can be read as numbers");
        };
        long count = t.elements();
        if (count > Integer.MAX_VALUE - 8) throw new IOException(path + ": tensor '" + t.name() + "' has too many elements");
        byte[] raw = bytes(t);
        float[] out = new float[(int) count];
        if (gt == null) {
            ByteBuffer bb = ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN);
            for (int i = 0; i < out.length; i++) out[i] = (float) bb.getDouble(8 * i);
        } else {
            BlockFormats.of(gt).dequantize(MemorySegment.ofArray(raw), 0, out, 0, out.length);
        }
        return out;
    }

    @Override
    public void close() throws IOException {
        ch.close();
    }

    private static void readFully(FileChannel ch, ByteBuffer b, long pos) throws IOException {
        while (b.hasRemaining()) {
            int r = ch.read(b, pos);
            if (r < 0) throw new IOException("unexpected end of file at offset " + pos);
            pos += r;
        }
    }

    // ---------------------------------------------------------------- writing

    /** The header bytes (with the 8-byte length in front and the space padding) for these tensors, in the writer's order. */
    static byte[] header(Map<String, String> metadata, List<Tensor> ordered) {
        Map<String, Object> h = new LinkedHashMap<>();
        if (metadata != null) h.put("__metadata__", new LinkedHashMap<>(metadata));
        long off = 0;
        for (Tensor t : ordered) {
            long n = (long) t.data().length * t.dtype().bits / 8;
            Map<String, Object> e = new LinkedHashMap<>();
            e.put("dtype", t.dtype().name());
            e.put("shape", t.shape());
            e.put("data_offsets", new long[] {off, off + n});
            if (h.put(t.name(), e) != null) throw new IllegalArgumentException("tensor '" + t.name() + "' twice");
            off += n;
        }
        byte[] json = JsonText.compact(h).getBytes(StandardCharsets.UTF_8);
        int padded = (json.length + 7) / 8 * 8;
        ByteBuffer b = ByteBuffer.allocate(8 + padded).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(padded).put(json);
        while (b.hasRemaining()) b.put((byte) ' ');
        return b.array();
    }

    /** The Rust crate's order: dtype descending (F64 > F32 > BF16 > F16 ...), then name byte-wise (ASCII names: String order). */
    static List<Tensor> ordered(List<Tensor> tensors) {
        List<Tensor> o = new ArrayList<>(tensors);
        o.sort(Comparator.comparing((Tensor t) -> t.dtype()).reversed().thenComparing(t -> t.name().getBytes(StandardCharsets.UTF_8), java.util.Arrays::compareUnsigned));
        return o;
    }

    /**
     * Writes {@code tensors} with {@code metadata} (PEFT passes {@code {"format": "pt"}}; null for none)
     * atomically: a temporary file beside {@code out}, then a rename.
     */
    public static void write(Path out, Map<String, String> metadata, List<Tensor> tensors) throws IOException {
        List<Tensor> ordered = ordered(tensors);
        byte[] head = header(metadata, ordered);
        Path abs = out.toAbsolutePath();
        if (abs.getParent() != null) Files.createDirectories(abs.getParent());
        Path tmp = abs.resolveSibling(abs.getFileName() + ".tmp");
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE)) {
            writeFully(ch, ByteBuffer.wrap(head));
            for (Tensor t : ordered) writeFully(ch, ByteBuffer.wrap(encode(t)));
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(tmp);
            throw e;
        }
        Files.move(tmp, abs, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    /** A tensor's bytes: F32 as is, F16 and BF16 rounded to nearest even (ggml's conversions, as torch's {@code .half()} / {@code .bfloat16()}). */
    static byte[] encode(Tensor t) {
        float[] d = t.data();
        byte[] out = new byte[Math.toIntExact((long) d.length * t.dtype().bits / 8)];
        GgmlType gt = switch (t.dtype()) {
            case F32 -> GgmlType.F32;
            case F16 -> GgmlType.F16;
            case BF16 -> GgmlType.BF16;
            default -> throw new IllegalArgumentException(t.dtype().name());
        };
        BlockFormats.of(gt).quantize(d, 0, d.length, MemorySegment.ofArray(out), 0);
        return out;
    }

    private static void writeFully(FileChannel ch, ByteBuffer b) throws IOException {
        while (b.hasRemaining()) ch.write(b);
    }
}

package dev.jllm.model;

import dev.jllm.gguf.GgufFile;
import dev.jllm.gguf.GgufFormatException;
import dev.jllm.gguf.GgufTensorInfo;
import dev.jllm.gguf.GgufValue;
import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.StandardOpenOption;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * A model checkpoint on disk, whatever its format: a GGUF file, or a llama2.c {@code .bin}
 * checkpoint (recognised when the file does not start with the GGUF magic and ends in .bin).
 * Gives the config, the tensor list and the metadata (empty for llama2.c).
 */
public final class ModelFile implements AutoCloseable {
    public enum Format { GGUF, LLAMA2C }

    private final Path path;
    private final Format format;
    private final GgufFile gguf; // null for llama2.c
    private final ModelConfig config;
    private final List<GgufTensorInfo> tensors;
    private final long fileSize;
    private final Arena arena;       // llama2.c only: the mapping of the .bin
    private final MemorySegment bin; // llama2.c only

    private ModelFile(Path path, Format format, GgufFile gguf, ModelConfig config, List<GgufTensorInfo> tensors, long fileSize,
                      Arena arena, MemorySegment bin) {
        this.arena = arena;
        this.bin = bin;
        this.path = path;
        this.format = format;
        this.gguf = gguf;
        this.config = config;
        this.tensors = tensors;
        this.fileSize = fileSize;
    }

    public static ModelFile open(Path path) throws IOException {
        if (!Files.exists(path)) throw new NoSuchFileException(path.toString(), null, "model file not found");
        if (!Files.isRegularFile(path)) throw new GgufFormatException(path + ": not a regular file", -1);
        byte[] magic = new byte[4];
        int n;
        try (InputStream in = Files.newInputStream(path)) {
            n = in.readNBytes(magic, 0, 4);
        }
        boolean isGguf = n == 4 && magic[0] == 'G' && magic[1] == 'G' && magic[2] == 'U' && magic[3] == 'F';
        if (!isGguf && path.getFileName().toString().endsWith(".bin")) {
            Llama2cCheckpoint c = Llama2cCheckpoint.read(path);
            Arena arena = Arena.ofShared();
            try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
                MemorySegment seg = ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), arena);
                return new ModelFile(path, Format.LLAMA2C, null, c.config(), c.tensors(), c.fileSize(), arena, seg);
            } catch (IOException | RuntimeException e) {
                arena.close();
                throw e;
            }
        }
        GgufFile g = GgufFile.open(path);
        try {
            return new ModelFile(path, Format.GGUF, g, ModelConfig.fromGguf(g), g.tensors(), g.fileSize(), null, null);
        } catch (IOException | RuntimeException e) {
            g.close();
            throw e;
        }
    }

    public Path path() { return path; }
    public Format format() { return format; }
    public ModelConfig config() { return config; }
    public List<GgufTensorInfo> tensors() { return tensors; }
    public long fileSize() { return fileSize; }
    /** The GGUF file, or null for a llama2.c checkpoint. */
    public GgufFile gguf() { return gguf; }

    /** GGUF metadata in file order (empty for llama2.c). */
    public Map<String, GgufValue> metadata() {
        return gguf == null ? Map.of() : gguf.metadata();
    }

    /** Human name of the format, e.g. "GGUF v3". */
    public String formatName() {
        return format == Format.GGUF ? "GGUF v" + gguf.version() : "llama2.c checkpoint (legacy export, F32)";
    }

    /** Exact parameter count: the sum of every tensor's element count. */
    public long parameterCount() {
        long n = 0;
        for (GgufTensorInfo t : tensors) n += t.elementCount();
        return n;
    }

    /** Bytes of all tensor data as stored. */
    public long tensorBytes() {
        long n = 0;
        for (GgufTensorInfo t : tensors) n += t.byteSize();
        return n;
    }

    /** The tokenizer model kind from metadata, e.g. "llama" or "gpt2", or null. */
    public String tokenizerModel() throws GgufFormatException {
        return gguf == null ? null : gguf.getString("tokenizer.ggml.model");
    }

    public boolean hasChatTemplate() {
        return gguf != null && gguf.get("tokenizer.chat_template") != null;
    }

    /** The tensor with this GGUF name, or null. */
    public GgufTensorInfo tensor(String name) {
        for (GgufTensorInfo t : tensors) if (t.name().equals(name)) return t;
        return null;
    }

    /** Zero-copy view of a tensor's bytes (valid until {@link #close()}). */
    public MemorySegment tensorData(GgufTensorInfo t) {
        return gguf != null ? gguf.tensorData(t) : bin.asSlice(t.offset(), t.byteSize());
    }

    @Override
    public void close() {
        if (gguf != null) gguf.close();
        if (arena != null) arena.close();
    }
}

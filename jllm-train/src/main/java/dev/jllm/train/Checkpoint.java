package dev.jllm.train;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/**
 * Everything a run needs to continue exactly where it stopped: weights, AdamW moments and step
 * count, the guard state (LR scale after non-finite steps) and the effective config (for the record;
 * resuming uses the current config). Layout, little-endian:
 * <pre>
 *   "JLLMCKPT" u32 version, u32 step, u64 adam t, f32 lrScale, u32 len + UTF-8 config, u64 nParams,
 *   f32 weights[n], f32 m[n], f32 v[n]   (each in Params tensor order)
 * </pre>
 * Saved atomically: written to NAME.tmp, fsync'ed, then renamed over NAME (a crash mid-save leaves
 * the previous checkpoint intact).
 */
public final class Checkpoint {
    private Checkpoint() {}

    private static final byte[] MAGIC = "JLLMCKPT".getBytes(StandardCharsets.US_ASCII);
    private static final int VERSION = 1;

    /** Training state restored by {@link #load}. */
    public record State(int step, float lrScale, String config) {}

    public static void save(Path path, int step, float lrScale, String config, Tensors params, AdamW opt) throws IOException {
        Path abs = path.toAbsolutePath();
        if (abs.getParent() != null) Files.createDirectories(abs.getParent());
        Path tmp = abs.resolveSibling(abs.getFileName() + ".tmp");
        byte[] cfg = config.getBytes(StandardCharsets.UTF_8);
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
            ByteBuffer h = ByteBuffer.allocate(8 + 4 + 4 + 8 + 4 + 4 + cfg.length + 8).order(ByteOrder.LITTLE_ENDIAN);
            h.put(MAGIC).putInt(VERSION).putInt(step).putLong(opt.t).putFloat(lrScale).putInt(cfg.length).put(cfg).putLong(params.size());
            h.flip();
            while (h.hasRemaining()) ch.write(h);
            ByteBuffer buf = ByteBuffer.allocateDirect(1 << 20).order(ByteOrder.LITTLE_ENDIAN);
            for (Tensors p : new Tensors[] {params, opt.m, opt.v}) {
                for (Params.Tensor t : p.tensors()) {
                    float[] d = t.data();
                    for (int i = 0; i < d.length; ) {
                        int n = Math.min(d.length - i, buf.capacity() / 4);
                        buf.clear();
                        buf.asFloatBuffer().put(d, i, n);
                        buf.limit(n * 4);
                        while (buf.hasRemaining()) ch.write(buf);
                        i += n;
                    }
                }
            }
            ch.force(true);
        }
        Files.move(tmp, abs, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    /** Reads a checkpoint into {@code params} and {@code opt} (same model config, or the same adapter shape). */
    public static State load(Path path, Tensors params, AdamW opt) throws IOException {
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            ByteBuffer h = ByteBuffer.allocate(32).order(ByteOrder.LITTLE_ENDIAN);
            read(ch, h);
            byte[] magic = new byte[8];
            h.get(magic);
            if (!java.util.Arrays.equals(magic, MAGIC)) throw new IOException(path + ": not a jllm training checkpoint");
            int version = h.getInt();
            if (version != VERSION) throw new IOException(path + ": checkpoint version " + version + ", this jllm reads " + VERSION);
            int step = h.getInt();
            long t = h.getLong();
            float lrScale = h.getFloat();
            int len = h.getInt();
            ByteBuffer c = ByteBuffer.allocate(len + 8).order(ByteOrder.LITTLE_ENDIAN);
            read(ch, c);
            byte[] cfg = new byte[len];
            c.get(cfg);
            long n = c.getLong();
            if (n != params.size()) throw new IOException(path + ": checkpoint has " + n + " trained parameters, this run trains " + params.size() + " (different model or adapter shape?)");
            ByteBuffer buf = ByteBuffer.allocateDirect(1 << 20).order(ByteOrder.LITTLE_ENDIAN);
            for (Tensors p : new Tensors[] {params, opt.m, opt.v}) {
                for (Params.Tensor tt : p.tensors()) {
                    float[] d = tt.data();
                    for (int i = 0; i < d.length; ) {
                        int k = Math.min(d.length - i, buf.capacity() / 4);
                        buf.clear().limit(k * 4);
                        read(ch, buf);
                        buf.asFloatBuffer().get(d, i, k);
                        i += k;
                    }
                }
            }
            if (ch.position() != ch.size()) throw new IOException(path + ": trailing bytes after the optimizer state");
            opt.t = t;
            return new State(step, lrScale, new String(cfg, StandardCharsets.UTF_8));
        }
    }

    private static void read(FileChannel ch, ByteBuffer b) throws IOException {
        while (b.hasRemaining()) if (ch.read(b) < 0) throw new IOException("checkpoint is truncated");
        b.flip();
    }
}

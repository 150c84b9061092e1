package dev.jllm.engine;

import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.zip.CRC32C;

/**
 * Conversation KV on disk: a conversation's KV blocks and token ids, written when the
 * {@link PrefixCache} evicts it and when the scheduler shuts down, read back on the conversation's
 * next turn (also after a restart) instead of prefilling its history again.
 *
 * <p>One file per conversation and model, {@code <sha256(key)>.<model sha256, 16 hex>.kv}, written to a temporary file and moved into
 * place (a crash leaves the old file or none, never half of one). A file is used only if everything in
 * its header matches this server — the model file's SHA-256, the cache type, block size, layers and
 * kv_dim, the conversation id — its header checksum (CRC32C over header and token ids, with a hash of
 * the ids) and data checksum (CRC32C over the blocks) hold, and its size is exact; anything else is
 * ignored (counted by reason in {@link #misses}) and the turn prefills: never wrong KV.
 *
 * <p>Versions of a model served one after another (a promotion, a rollback) share the directory, its
 * budget, writer thread and counters: {@link #forModel} gives a store of the same directory for
 * another model's layout. A conversation's file for one version is never read for another (the name
 * and the header carry the model hash), so after a rollback the old version finds its files again.
 *
 * <p>Writes run on one thread of their own, in order; the scheduler thread only hands over a copy of
 * the blocks. A write not yet on disk is served from memory to a reader. Files over the budget are
 * deleted least recently used first (the file time is set on write and on every hit).
 *
 * <p>Layout, little-endian: magic {@code JLLMKV01}; int version; 32-byte model hash; int cache type
 * (GGML type id); int block tokens, layers, kv_dim; int key length + key UTF-8; int tokens;
 * int tokens in the KV; long token hash; int[tokens] ids; int header CRC32C; int blocks; long block
 * bytes; the blocks; int data CRC32C.
 */
public final class KvDiskStore implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(KvDiskStore.class.getName());
    private static final byte[] MAGIC = "JLLMKV01".getBytes(StandardCharsets.US_ASCII);
    private static final int VERSION = 1;
    static final String SUFFIX = ".kv";

    /** The shape KV must have to be loaded into this server's cache. */
    public record Layout(byte[] modelHash, int cacheType, int blockTokens, int layers, int kvDim) {
        public Layout {
            if (modelHash.length != 32) throw new IllegalArgumentException("model hash must be 32 bytes (SHA-256), got " + modelHash.length);
            modelHash = modelHash.clone();
        }

        @Override
        public byte[] modelHash() {
            return modelHash.clone();
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Layout l && Arrays.equals(modelHash, l.modelHash) && cacheType == l.cacheType && blockTokens == l.blockTokens
                    && layers == l.layers && kvDim == l.kvDim;
        }

        @Override
        public int hashCode() {
            return java.util.Objects.hash(Arrays.hashCode(modelHash), cacheType, blockTokens, layers, kvDim);
        }

        @Override
        public String toString() {
            return "Layout[model sha256 " + HexFormat.of().formatHex(modelHash) + ", cache type " + cacheType + ", block " + blockTokens
                    + " tokens, " + layers + " layers, kv_dim " + kvDim + "]";
        }

        long blockBytes() {
            return 2L * layers * blockTokens * kvDim * (cacheType == 1 ? 2 : 4); // GGML F16 = 1, F32 = 0
        }
    }

    /** A conversation's KV as read back: its token sequence, of which the first {@code kvLength} have KV in {@code blocks}. */
    public record Entry(String key, int[] tokens, int kvLength, byte[][] blocks) {
        long bytes() {
            long n = 0;
            for (byte[] b : blocks) n += b.length;
            return n;
        }
    }

    /** What the stores of one directory share: the budget, the writer thread, queued writes, counters. */
    private static final class Shared {
        final Path dir;
        final long budget;
        final ExecutorService writer;
        final ConcurrentHashMap<Path, Entry> pending = new ConcurrentHashMap<>(); // by file: one per conversation and model
        final ConcurrentHashMap<String, AtomicLong> misses = new ConcurrentHashMap<>();
        final AtomicLong hits = new AtomicLong(), bytesWritten = new AtomicLong(), bytesRead = new AtomicLong(), loadNanos = new AtomicLong(),
                writes = new AtomicLong(), writeFailures = new AtomicLong(), deletedForBudget = new AtomicLong(), pendingBytes = new AtomicLong(),
                writesDropped = new AtomicLong();

        Shared(Path dir, long budget) {
            this.dir = dir;
            this.budget = budget;
            this.writer = Executors.newSingleThreadExecutor(r -> Thread.ofPlatform().name("jllm-kv-disk").daemon(true).unstarted(r));
            for (String reason : new String[] {"missing", "truncated", "corrupt", "model", "cache_type", "key", "tokens"}) misses.put(reason, new AtomicLong());
        }
    }

    private final Shared sh;
    private final Path dir;
    private final long budget;
    private final Layout layout;
    private final boolean root; // closing the root stops the shared writer; closing a store from forModel only flushes
    private final ExecutorService writer;
    private final ConcurrentHashMap<Path, Entry> pending;
    private final ConcurrentHashMap<String, AtomicLong> misses;
    private final AtomicLong hits, bytesWritten, bytesRead, loadNanos, writes, writeFailures, deletedForBudget;

    /**
     * @param dir    created if missing
     * @param budget bytes the directory's KV files may take at most (LRU beyond); a conversation larger than that is not written
     */
    public KvDiskStore(Path dir, long budget, Layout layout) throws IOException {
        this(new Shared(Files.createDirectories(dir), checkBudget(budget)), layout, true);
        try (var s = Files.list(this.dir)) {
            for (Path p : s.filter(p -> p.getFileName().toString().endsWith(".tmp")).toList()) Files.deleteIfExists(p); // a crash mid-write
        }
    }

    private KvDiskStore(Shared sh, Layout layout, boolean root) {
        this.sh = sh;
        this.dir = sh.dir;
        this.budget = sh.budget;
        this.layout = layout;
        this.root = root;
        this.writer = sh.writer;
        this.pending = sh.pending;
        this.misses = sh.misses;
        this.hits = sh.hits;
        this.bytesWritten = sh.bytesWritten;
        this.bytesRead = sh.bytesRead;
        this.loadNanos = sh.loadNanos;
        this.writes = sh.writes;
        this.writeFailures = sh.writeFailures;
        this.deletedForBudget = sh.deletedForBudget;
        this.pendingBytes = sh.pendingBytes;
        this.writesDropped = sh.writesDropped;
    }

    private static long checkBudget(long budget) {
        if (budget <= 0) throw new IllegalArgumentException("KV disk budget must be > 0 bytes, got " + budget);
        return budget;
    }

    /**
     * A store of the same directory for another model's (or version's) layout: same budget, writer,
     * queue and counters; its files are its own. Closing it waits for queued writes; closing the store
     * it came from stops the writer.
     */
    public KvDiskStore forModel(Layout other) {
        return new KvDiskStore(sh, other, false);
    }

    /** SHA-256 of a file's bytes (the model file: KV is valid only for the weights that computed it). */
    public static byte[] sha256(Path file) throws IOException {
        MessageDigest md;
        try {
            md = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            ByteBuffer buf = ByteBuffer.allocateDirect(1 << 20);
            while (ch.read(buf) >= 0) {
                buf.flip();
                md.update(buf);
                buf.clear();
            }
        }
        return md.digest();
    }

    public Path directory() { return dir; }

    public Layout layout() { return layout; }

    public long budget() { return budget; }

    /** The file a conversation's KV lives in, for this store's model. */
    Path file(String key) {
        return dir.resolve(keyHash(key) + "." + HexFormat.of().formatHex(layout.modelHash, 0, 8) + SUFFIX);
    }

    private static String keyHash(String key) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Bytes of blocks queued for writing at most; an eviction beyond that is not written (counted in {@link #writesDropped}). */
    static final long MAX_PENDING_BYTES = 512L << 20;
    private final AtomicLong pendingBytes, writesDropped;

    /**
     * Queues a write of a conversation's KV (the caller hands over {@code blocks}, a copy); returns at
     * once. A newer write or a {@link #delete} of the same key supersedes it. When more than
     * {@link #MAX_PENDING_BYTES} wait already (the disk is slower than evictions), this one is dropped:
     * the conversation's next turn prefills. Returns true when the write was queued.
     */
    public boolean write(String key, int[] tokens, int kvLength, byte[][] blocks) {
        Entry e = new Entry(key, tokens.clone(), kvLength, blocks);
        long bytes = e.bytes();
        if (bytes + 4096 + 4L * tokens.length > budget) return false; // would never fit
        if (pendingBytes.addAndGet(bytes) > MAX_PENDING_BYTES) {
            pendingBytes.addAndGet(-bytes);
            writesDropped.incrementAndGet();
            return false;
        }
        Path f = file(key);
        pending.put(f, e);
        submit(() -> {
            try {
                writeQueued(f, e);
            } finally {
                pendingBytes.addAndGet(-bytes);
            }
        });
        return true;
    }

    /**
     * Writes a conversation's KV on the calling thread, after everything queued (shutdown: nothing
     * else runs on the scheduler then, and the drain must not be limited by the queue's cap). Returns
     * false when the conversation is larger than the budget (not written).
     */
    public boolean writeNow(String key, int[] tokens, int kvLength, byte[][] blocks) {
        Entry e = new Entry(key, tokens.clone(), kvLength, blocks);
        if (e.bytes() + 4096 + 4L * tokens.length > budget) return false;
        flush();
        Path f = file(key);
        pending.put(f, e);
        writeQueued(f, e);
        return true;
    }

    private void writeQueued(Path f, Entry e) {
        if (pending.get(f) != e) return; // superseded
        try {
            writeFile(e);
            writes.incrementAndGet();
        } catch (IOException | RuntimeException x) {
            writeFailures.incrementAndGet();
            LOG.log(System.Logger.Level.WARNING, "could not write the KV of conversation " + e.key + " to " + f + ": " + x);
        } finally {
            pending.remove(f, e);
        }
        enforceBudget();
    }

    /**
     * Deletes a conversation's KV files (conversation deleted) — of every model version, and a file
     * named as before versions were part of the name; asynchronous, ordered after earlier writes.
     */
    public void delete(String key) {
        String prefix = keyHash(key);
        pending.keySet().removeIf(f -> f.getFileName().toString().startsWith(prefix + "."));
        submit(() -> {
            try (var s = Files.list(dir)) {
                for (Path p : s.filter(p -> {
                    String n = p.getFileName().toString();
                    return n.startsWith(prefix + ".") && n.endsWith(SUFFIX);
                }).toList()) {
                    Files.deleteIfExists(p);
                }
            } catch (IOException x) {
                LOG.log(System.Logger.Level.WARNING, "could not delete the KV files of conversation " + key + " in " + dir + ": " + x);
            }
        });
    }

    private void submit(Runnable r) {
        try {
            writer.execute(r);
        } catch (java.util.concurrent.RejectedExecutionException closed) {
            // shutting down: the write is lost, the next turn prefills
        }
    }

    /**
     * The conversation's token sequence on disk (header only, checked), or null; any thread. The next
     * turn's prompt is built from it as from a resident sequence.
     */
    public int[] tokens(String key) {
        Entry p = pending.get(file(key));
        if (p != null) return p.tokens.clone();
        try (InputStream in = Files.newInputStream(file(key))) {
            Header h = readHeader(new DataInputStream(new java.io.BufferedInputStream(in, 1 << 16)), key);
            return h == null ? null : h.tokens;
        } catch (NoSuchFileException e) {
            return null;
        } catch (IOException e) {
            return null;
        }
    }

    /** True when a write of the conversation's KV is queued or its file exists (one stat; nothing is read or checked). */
    public boolean mayHave(String key) {
        Path f = file(key);
        return pending.containsKey(f) || Files.exists(f);
    }

    /** The conversation's KV, checked end to end, or null (a miss, counted by reason); any thread. */
    public Entry load(String key) {
        long t0 = System.nanoTime();
        Path f = file(key);
        Entry p = pending.get(f);
        if (p != null) return p;
        try (InputStream in = Files.newInputStream(f)) {
            DataInputStream d = new DataInputStream(new java.io.BufferedInputStream(in, 1 << 16));
            Header h = readHeader(d, key);
            if (h == null) return null;
            int nBlocks = le(d.readInt());
            long blockBytes = Long.reverseBytes(d.readLong());
            int need = (h.kvLength + layout.blockTokens - 1) / layout.blockTokens;
            if (blockBytes != layout.blockBytes() || nBlocks != need) return miss("corrupt", f, "blocks " + nBlocks + " × " + blockBytes
                    + " bytes, expected " + need + " × " + layout.blockBytes());
            CRC32C crc = new CRC32C();
            byte[][] blocks = new byte[nBlocks][];
            for (int i = 0; i < nBlocks; i++) {
                blocks[i] = new byte[(int) blockBytes];
                d.readFully(blocks[i]);
                crc.update(blocks[i]);
            }
            int sum = le(d.readInt());
            if (sum != (int) crc.getValue()) return miss("corrupt", f, "data checksum " + Integer.toHexString(sum) + " != " + Long.toHexString(crc.getValue()));
            if (d.read() >= 0) return miss("corrupt", f, "bytes after the data checksum");
            Entry e = new Entry(key, h.tokens, h.kvLength, blocks);
            bytesRead.addAndGet(e.bytes());
            loadNanos.addAndGet(System.nanoTime() - t0);
            try {
                Files.setLastModifiedTime(f, FileTime.fromMillis(System.currentTimeMillis())); // LRU on disk
            } catch (IOException ignored) {
                // only the eviction order suffers
            }
            return e;
        } catch (NoSuchFileException e) {
            misses.get("missing").incrementAndGet();
            return null;
        } catch (EOFException e) {
            return miss("truncated", f, "ends early");
        } catch (IOException e) {
            return miss("corrupt", f, e.toString());
        }
    }

    /** A loaded entry was used by a turn. */
    void hit() {
        hits.incrementAndGet();
    }

    /** A loaded entry shares no token with the prompt it was loaded for. */
    void tokensMismatch(String key) {
        misses.get("tokens").incrementAndGet();
        LOG.log(System.Logger.Level.DEBUG, "KV on disk of conversation " + key + " does not start the prompt; prefilling");
    }

    private record Header(int[] tokens, int kvLength) {}

    /** Reads and checks everything up to the header checksum; null (a counted miss) when it does not match this server. */
    private Header readHeader(DataInputStream d, String key) throws IOException {
        Path f = file(key);
        CRC32C crc = new CRC32C();
        byte[] magic = new byte[MAGIC.length];
        d.readFully(magic);
        crc.update(magic);
        if (!Arrays.equals(magic, MAGIC)) return miss("corrupt", f, "magic " + HexFormat.of().formatHex(magic));
        ByteBuffer fixed = ByteBuffer.allocate(4 + 32 + 16).order(ByteOrder.LITTLE_ENDIAN);
        d.readFully(fixed.array());
        crc.update(fixed.array());
        int version = fixed.getInt();
        if (version != VERSION) return miss("corrupt", f, "version " + version + ", this server writes " + VERSION);
        byte[] model = new byte[32];
        fixed.get(model);
        int type = fixed.getInt(), bt = fixed.getInt(), layers = fixed.getInt(), kvDim = fixed.getInt();
        if (!Arrays.equals(model, layout.modelHash)) return miss("model", f, "written for model " + HexFormat.of().formatHex(model));
        if (type != layout.cacheType || bt != layout.blockTokens || layers != layout.layers || kvDim != layout.kvDim) {
            return miss("cache_type", f, "cache type " + type + ", block " + bt + ", layers " + layers + ", kv_dim " + kvDim + "; this server: "
                    + layout.cacheType + ", " + layout.blockTokens + ", " + layout.layers + ", " + layout.kvDim);
        }
        int keyLen = le(d.readInt());
        crc.update(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(keyLen).array());
        if (keyLen < 0 || keyLen > 4096) return miss("corrupt", f, "key length " + keyLen);
        byte[] k = new byte[keyLen];
        d.readFully(k);
        crc.update(k);
        if (!new String(k, StandardCharsets.UTF_8).equals(key)) return miss("key", f, "holds conversation " + new String(k, StandardCharsets.UTF_8));
        ByteBuffer counts = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN);
        d.readFully(counts.array());
        crc.update(counts.array());
        int n = counts.getInt(), kvLength = counts.getInt();
        long tokenHash = counts.getLong();
        if (n < 0 || n > (1 << 24) || kvLength < 0 || kvLength > n) return miss("corrupt", f, "tokens " + n + ", in KV " + kvLength);
        byte[] ids = new byte[4 * n];
        d.readFully(ids);
        crc.update(ids);
        int sum = le(d.readInt());
        if (sum != (int) crc.getValue()) return miss("corrupt", f, "header checksum " + Integer.toHexString(sum) + " != " + Long.toHexString(crc.getValue()));
        int[] tokens = new int[n];
        ByteBuffer.wrap(ids).order(ByteOrder.LITTLE_ENDIAN).asIntBuffer().get(tokens);
        if (tokenHash(tokens) != tokenHash) return miss("tokens", f, "token hash differs");
        return new Header(tokens, kvLength);
    }

    private <T> T miss(String reason, Path f, String why) {
        misses.get(reason).incrementAndGet();
        LOG.log(System.Logger.Level.WARNING, "ignoring KV file " + f + " (" + reason + "): " + why + "; the turn prefills instead");
        return null;
    }

    private void writeFile(Entry e) throws IOException {
        Path f = file(e.key);
        Path tmp = f.resolveSibling(f.getFileName() + "." + Thread.currentThread().threadId() + ".tmp");
        byte[] key = e.key.getBytes(StandardCharsets.UTF_8);
        ByteBuffer head = ByteBuffer.allocate(MAGIC.length + 4 + 32 + 16 + 4 + key.length + 16 + 4 * e.tokens.length + 4 + 12)
                .order(ByteOrder.LITTLE_ENDIAN);
        head.put(MAGIC).putInt(VERSION).put(layout.modelHash).putInt(layout.cacheType).putInt(layout.blockTokens).putInt(layout.layers)
                .putInt(layout.kvDim).putInt(key.length).put(key).putInt(e.tokens.length).putInt(e.kvLength).putLong(tokenHash(e.tokens));
        for (int t : e.tokens) head.putInt(t);
        CRC32C crc = new CRC32C();
        crc.update(head.array(), 0, head.position());
        head.putInt((int) crc.getValue());
        head.putInt(e.blocks.length).putLong(layout.blockBytes());
        CRC32C data = new CRC32C();
        try (OutputStream out = new java.io.BufferedOutputStream(Files.newOutputStream(tmp), 1 << 16)) {
            out.write(head.array(), 0, head.position());
            for (byte[] b : e.blocks) {
                out.write(b);
                data.update(b);
            }
            out.write(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt((int) data.getValue()).array());
        } catch (IOException | RuntimeException x) {
            Files.deleteIfExists(tmp);
            throw x;
        }
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
            ch.force(true);
        }
        Files.move(tmp, f, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        bytesWritten.addAndGet(Files.size(f));
    }

    /** Deletes the least recently used files until the directory's KV files fit the budget. */
    private void enforceBudget() {
        record F(Path p, long size, long time) {}
        List<F> files = new ArrayList<>();
        long total = 0;
        try (var s = Files.list(dir)) {
            for (Path p : s.filter(p -> p.getFileName().toString().endsWith(SUFFIX)).toList()) {
                try {
                    F f = new F(p, Files.size(p), Files.getLastModifiedTime(p).toMillis());
                    files.add(f);
                    total += f.size;
                } catch (IOException gone) {
                    // deleted meanwhile
                }
            }
        } catch (IOException e) {
            LOG.log(System.Logger.Level.WARNING, "could not list " + dir + ": " + e);
            return;
        }
        files.sort(java.util.Comparator.comparingLong(F::time));
        for (int i = 0; total > budget && i < files.size(); i++) {
            try {
                Files.deleteIfExists(files.get(i).p);
                total -= files.get(i).size;
                deletedForBudget.incrementAndGet();
            } catch (IOException e) {
                LOG.log(System.Logger.Level.WARNING, "could not delete " + files.get(i).p + ": " + e);
            }
        }
    }

    /** Bytes the KV files take now. */
    public long bytesOnDisk() {
        long total = 0;
        try (var s = Files.list(dir)) {
            for (Path p : s.filter(p -> p.getFileName().toString().endsWith(SUFFIX)).toList()) {
                try {
                    total += Files.size(p);
                } catch (IOException gone) {
                    // deleted meanwhile
                }
            }
        } catch (IOException e) {
            return -1;
        }
        return total;
    }

    /** Turns whose KV came from disk. */
    public long hits() { return hits.get(); }

    /** Lookups that found no usable file, by reason (missing, truncated, corrupt, model, cache_type, key, tokens). */
    public java.util.Map<String, Long> misses() {
        java.util.Map<String, Long> m = new java.util.TreeMap<>();
        misses.forEach((k, v) -> m.put(k, v.get()));
        return m;
    }

    public long bytesWritten() { return bytesWritten.get(); }

    public long bytesRead() { return bytesRead.get(); }

    public long loadNanos() { return loadNanos.get(); }

    public long writes() { return writes.get(); }

    public long writeFailures() { return writeFailures.get(); }

    /** Evictions not written because too many bytes were queued already. */
    public long writesDropped() { return writesDropped.get(); }

    public long deletedForBudget() { return deletedForBudget.get(); }

    /** Waits until every queued write and delete is done (tests; shutdown). */
    public void flush() {
        try {
            writer.submit(() -> {}).get(5, TimeUnit.MINUTES);
        } catch (java.util.concurrent.RejectedExecutionException | java.util.concurrent.TimeoutException e) {
            // closed or stuck: nothing more to wait for
        } catch (java.util.concurrent.ExecutionException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Finishes queued writes (up to 5 minutes), then stops the writer (a store from {@link #forModel}: only waits for the writes). */
    @Override
    public void close() {
        if (!root) {
            flush();
            return;
        }
        writer.shutdown();
        try {
            if (!writer.awaitTermination(5, TimeUnit.MINUTES)) LOG.log(System.Logger.Level.WARNING, "KV disk writes still running after 5 minutes");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    static long tokenHash(int[] tokens) {
        long h = 0xCBF29CE484222325L;
        for (int t : tokens) {
            h = (h ^ t) * 0x100000001B3L;
            h ^= h >>> 29;
        }
        return h;
    }

    private static int le(int bigEndian) {
        return Integer.reverseBytes(bigEndian);
    }
}

package dev.jllm.data;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.LongConsumer;
import java.util.zip.Deflater;
import java.util.zip.GZIPOutputStream;

/**
 * Runs a {@link CleanPipeline} over local files on all cores, streaming, with bounded memory.
 *
 * <pre>
 *   reader thread ──batches (~1 MiB of whole documents)──▶ worker pool (N threads: decode, parse, clean, filter, hash)
 *        │                                                        │
 *        └── ordered queue of futures (≤ 2N+2 in flight) ──▶ committer (this thread: dedup in input order, write)
 * </pre>
 *
 * The committer takes batches in input order, so dedup keeps the first copy in input order and
 * the output is the same for 1 and N threads. Inputs are cut into shards of
 * {@code output.shard_bytes} (documents starting in each 64 MiB of a file); shard k is written to
 * {@code part-0000k.jsonl[.gz]}, and its stats and dedup keys to {@code _state/}. A shard whose
 * state exists is skipped on rerun (its keys are loaded so that dedup stays exact across runs).
 */
public final class LocalRunner {
    private static final int BLOCK = 1 << 20;
    static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    /**
     * @param inputs   files or directories
     * @param output   the output directory
     * @param threads  worker threads
     * @param progress receives raw input bytes as they are consumed (may be null)
     */
    public record Options(List<Path> inputs, Path output, int threads, LongConsumer progress) {
        public Options {
            inputs = List.copyOf(inputs);
            if (threads < 1) throw new IllegalArgumentException("threads must be >= 1, got " + threads);
        }
    }

    /** What a run did: merged stats of all shards (skipped ones included) and this run's own work. */
    public record Result(CleanStats stats, int shards, int shardsSkipped, long bytesProcessed, long docsProcessed,
                         double seconds, List<String> fileErrors, long totalInputBytes) {
        public double mbPerSecond() {
            return bytesProcessed / 1e6 / Math.max(seconds, 1e-9);
        }
    }

    // ---- items passed from the reader to the committer, in order ----
    private interface Item {}

    private record ShardOpen(int seq, boolean done) implements Item {}

    private record Work(Future<Batch.Result> result) implements Item {}

    private record ShardClose(int seq, long rawBytes, boolean failed) implements Item {}

    private record FileError(String file, String message) implements Item {}

    private record End(Throwable error) implements Item {}

    private final CleanConfig cfg;
    private final CleanPipeline pipeline;
    private final Options opt;
    private final Path state;
    private final KeyIndex exactIndex = new KeyIndex();
    private final KeyIndex bandIndex = new KeyIndex();

    private LocalRunner(CleanConfig cfg, Options opt) throws IOException {
        this.cfg = cfg;
        this.opt = opt;
        this.pipeline = new CleanPipeline(cfg);
        this.state = opt.output().resolve("_state");
    }

    public static Result run(CleanConfig cfg, Options opt) throws IOException, InterruptedException {
        return new LocalRunner(cfg, opt).run();
    }

    static String partName(int seq) {
        return String.format(Locale.ROOT, "part-%05d", seq);
    }

    private Result run() throws IOException, InterruptedException {
        List<Path> files = InputFiles.expand(opt.inputs());
        long total = 0;
        for (Path f : files) total += Files.size(f);
        Files.createDirectories(state);
        checkManifest(files);
        if (cfg.output().rejected()) Files.createDirectories(opt.output().resolve("rejected"));

        long t0 = System.nanoTime();
        ExecutorService workers = Executors.newFixedThreadPool(opt.threads(), r -> {
            Thread t = new Thread(r, "clean-worker");
            t.setDaemon(true);
            return t;
        });
        BlockingQueue<Item> queue = new ArrayBlockingQueue<>(2 * opt.threads() + 2);
        Thread reader = new Thread(() -> read(files, workers, queue), "clean-reader");
        reader.setDaemon(true);
        reader.start();
        try {
            return commit(queue, t0, total);
        } finally {
            reader.interrupt();
            workers.shutdownNow();
        }
    }

    // ------------------------------------------------------------------ reader

    private void read(List<Path> files, ExecutorService workers, BlockingQueue<Item> queue) {
        int seq = 0;
        try {
            for (Path f : files) {
                seq = readFile(f, seq, workers, queue);
            }
            queue.put(new End(null));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Throwable e) {
            try {
                queue.put(new End(e));
            } catch (InterruptedException ie) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Reads one file into shards starting at {@code seq}; returns the next free shard number. */
    private int readFile(Path f, int seq, ExecutorService workers, BlockingQueue<Item> queue) throws InterruptedException {
        boolean jsonl = InputFiles.isJsonl(f, cfg.input().format());
        boolean paragraphs = !jsonl && cfg.input().txtDocs().equals("paragraph");
        long shardBytes = cfg.output().shardBytes();
        String name = f.toString();
        boolean done = Files.exists(state.resolve(partName(seq) + ".json"));
        queue.put(new ShardOpen(seq, done));
        InputFiles.Counting[] raw = new InputFiles.Counting[1];
        long rawAtShardStart = 0, rawReported = 0;
        try (InputStream in = InputFiles.open(f, raw)) {
            byte[] buf = new byte[BLOCK];
            int len = 0;
            long offset = 0, line = 1, shardEnd = shardBytes;
            boolean eof = false;
            while (true) {
                while (!eof && len < buf.length) {
                    int n = in.read(buf, len, buf.length - len);
                    if (n < 0) eof = true;
                    else len += n;
                }
                if (len == 0) break;
                int cut = lastBoundary(buf, len, paragraphs);
                if (cut <= 0) {
                    if (!eof) { // one document longer than the buffer: grow
                        buf = Arrays.copyOf(buf, buf.length * 2);
                        continue;
                    }
                    cut = len;
                }
                boolean closesShard = false;
                if (offset + cut > shardEnd) {
                    int b = boundaryAtOrAfter(buf, (int) Math.max(0, shardEnd - offset), len, paragraphs);
                    if (b >= 0 && b <= cut) {
                        cut = b;
                        closesShard = true;
                    }
                }
                long lines = countLines(buf, cut);
                if (!done && cut > 0) {
                    byte[] data = Arrays.copyOf(buf, cut);
                    long rawNow = raw[0].count;
                    Batch batch = new Batch(name, line, data, jsonl, paragraphs, rawNow - rawReported);
                    rawReported = rawNow;
                    queue.put(new Work(workers.submit(() -> batch.process(pipeline, cfg.input().textField(), cfg.output().rejected()))));
                }
                line += lines;
                offset += cut;
                System.arraycopy(buf, cut, buf, 0, len - cut);
                len -= cut;
                if (closesShard) {
                    queue.put(new ShardClose(seq, raw[0].count - rawAtShardStart, false));
                    rawAtShardStart = raw[0].count;
                    rawReported = Math.max(rawReported, done ? raw[0].count : rawReported);
                    seq++;
                    while (shardEnd <= offset) shardEnd += shardBytes;
                    done = Files.exists(state.resolve(partName(seq) + ".json"));
                    queue.put(new ShardOpen(seq, done));
                }
                if (eof && len == 0) break;
            }
            queue.put(new ShardClose(seq, raw[0].count - rawAtShardStart, false));
        } catch (IOException | UncheckedIOException e) {
            queue.put(new FileError(name, e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage()));
            queue.put(new ShardClose(seq, 0, true));
        }
        return seq + 1;
    }

    private static long countLines(byte[] b, int n) {
        long c = 0;
        for (int i = 0; i < n; i++) if (b[i] == '\n') c++;
        return c;
    }

    /** Position just after the last document boundary in b[0, len), or -1. */
    static int lastBoundary(byte[] b, int len, boolean paragraphs) {
        for (int i = len - 1; i >= 0; i--) {
            if (b[i] != '\n') continue;
            if (!paragraphs) return i + 1;
            int j = i - 1;
            while (j >= 0 && (b[j] == ' ' || b[j] == '\t' || b[j] == '\r')) j--;
            if (j >= 0 && b[j] == '\n') return i + 1;
        }
        return -1;
    }

    /** The first document boundary p ≥ from (p is the start of a document), or -1. */
    private static int boundaryAtOrAfter(byte[] b, int from, int len, boolean paragraphs) {
        if (from == 0) return 0;
        for (int i = Math.max(0, from - 1); i < len; i++) {
            if (b[i] != '\n') continue;
            if (!paragraphs) return i + 1;
            int j = i - 1;
            while (j >= 0 && (b[j] == ' ' || b[j] == '\t' || b[j] == '\r')) j--;
            if (j >= 0 && b[j] == '\n' && i + 1 >= from) return i + 1;
        }
        return -1;
    }

    // ------------------------------------------------------------------ committer

    /** Output of the shard being committed. */
    private final class Shard {
        final int seq;
        final boolean done;
        final CleanStats stats = new CleanStats();
        final OutputStream out, rejected;
        final Path outTmp, rejTmp;
        final ByteList keys = new ByteList();
        int docIndex;

        Shard(int seq, boolean done) throws IOException {
            this.seq = seq;
            this.done = done;
            if (done) {
                out = rejected = null;
                outTmp = rejTmp = null;
                return;
            }
            String ext = cfg.output().gzip() ? ".jsonl.gz" : ".jsonl";
            outTmp = opt.output().resolve(partName(seq) + ext + ".tmp");
            out = open(outTmp);
            if (cfg.output().rejected()) {
                rejTmp = opt.output().resolve("rejected").resolve(partName(seq) + ext + ".tmp");
                rejected = open(rejTmp);
            } else {
                rejTmp = null;
                rejected = null;
            }
        }

        private OutputStream open(Path p) throws IOException {
            OutputStream o = Files.newOutputStream(p);
            if (cfg.output().gzip()) {
                // level 1: the committer is one thread, and level 6 would make it the bottleneck
                o = new GZIPOutputStream(o, 1 << 16) {
                    {
                        def.setLevel(Deflater.BEST_SPEED);
                    }
                };
            }
            return new BufferedOutputStream(o, 1 << 16);
        }
    }

    private Result commit(BlockingQueue<Item> queue, long t0, long total) throws IOException, InterruptedException {
        CleanStats all = new CleanStats();
        List<String> fileErrors = new ArrayList<>();
        int shards = 0, skipped = 0;
        long bytes = 0, docs = 0;
        boolean anyField = false;
        Shard shard = null;
        while (true) {
            Item item = queue.take();
            if (item instanceof ShardOpen) {
                ShardOpen so = (ShardOpen) item;
                shard = new Shard(so.seq(), so.done());
                shards++;
                if (so.done()) {
                    skipped++;
                    all.add(loadShard(so.seq()));
                }
            } else if (item instanceof Work) {
                Batch.Result r;
                try {
                    r = ((Work) item).result().get();
                } catch (ExecutionException e) {
                    Throwable c = e.getCause();
                    if (c instanceof RuntimeException) throw (RuntimeException) c;
                    if (c instanceof Error) throw (Error) c;
                    throw new IOException(c);
                }
                anyField |= r.docsWithField > 0 || !r.stats.examples.containsKey("missing_field");
                if (!anyField && r.missingFieldMessage != null) throw new IllegalArgumentException(r.missingFieldMessage);
                commitBatch(shard, r);
                bytes += r.stats.bytesIn;
                docs += r.stats.docsIn;
                if (opt.progress() != null) opt.progress().accept(r.rawBytes);
            } else if (item instanceof ShardClose) {
                ShardClose sc = (ShardClose) item;
                if (sc.failed()) {
                    abandon(shard);
                } else if (!shard.done) {
                    finish(shard);
                    all.add(shard.stats);
                } else if (opt.progress() != null) {
                    opt.progress().accept(sc.rawBytes());
                }
                shard = null;
            } else if (item instanceof FileError) {
                FileError fe = (FileError) item;
                String msg = fe.file() + ": " + fe.message();
                if (cfg.input().failFast()) throw new IOException(msg + " (stopped by --fail-fast)");
                fileErrors.add(msg);
            } else if (item instanceof End) {
                Throwable e = ((End) item).error();
                if (e instanceof IOException) throw (IOException) e;
                if (e instanceof RuntimeException) throw (RuntimeException) e;
                if (e != null) throw new IllegalStateException(e);
                break;
            }
        }
        double secs = (System.nanoTime() - t0) / 1e9;
        return new Result(all, shards, skipped, bytes, docs, secs, fileErrors, total);
    }

    private void commitBatch(Shard s, Batch.Result r) throws IOException {
        s.stats.add(r.stats);
        if (s.rejected != null) r.rejected.writeTo(s.rejected);
        for (Batch.Kept k : r.kept) {
            long id = ((long) s.seq << 32) | s.docIndex++;
            if (k.hash() != null) {
                long prev = exactIndex.putIfAbsent(k.hash()[0], k.hash()[1], id);
                if (prev >= 0) {
                    s.stats.exactDuplicates++;
                    duplicate(s, k, "dedup:exact", "same text as document " + docName(prev));
                    continue;
                }
                s.keys.add(0, k.hash()[0], k.hash()[1], id);
            }
            if (k.bands() != null) {
                long first = -1;
                for (int b = 0; b < k.bands().length; b++) {
                    long prev = bandIndex.putIfAbsent(k.bands()[b], b, id);
                    if (prev < 0) s.keys.add(1, k.bands()[b], b, id);
                    else if (first < 0 || prev < first) first = prev;
                }
                if (first >= 0) {
                    s.stats.nearDuplicates++;
                    duplicate(s, k, "dedup:minhash", "shares a MinHash band with document " + docName(first));
                    continue;
                }
            }
            s.out.write(k.json());
            s.out.write('\n');
            s.stats.docsOut++;
            s.stats.bytesOut += k.json().length + 1;
            s.stats.after(k.after());
        }
    }

    private void duplicate(Shard s, Batch.Kept k, String filter, String reason) {
        s.stats.reject(filter, k.source(), reason, k.text());
        if (s.rejected != null) {
            java.io.ByteArrayOutputStream b = new java.io.ByteArrayOutputStream();
            Batch.rejectedLine(b, k.source(), filter, reason, k.text());
            try {
                b.writeTo(s.rejected);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    /** "#12 of part-00003" for document id (shard << 32 | index). */
    static String docName(long id) {
        return "#" + (id & 0xFFFFFFFFL) + " of " + partName((int) (id >>> 32));
    }

    /** Closes the shard's files, then makes them visible: outputs renamed first, the state JSON last (the commit point). */
    private void finish(Shard s) throws IOException {
        s.out.close();
        if (s.rejected != null) s.rejected.close();
        String part = partName(s.seq);
        Path keysTmp = state.resolve(part + ".keys.tmp");
        Files.write(keysTmp, s.keys.toArray());
        Path statsTmp = state.resolve(part + ".json.tmp");
        JSON.writeValue(statsTmp.toFile(), s.stats);
        move(s.outTmp);
        if (s.rejTmp != null) move(s.rejTmp);
        move(keysTmp);
        move(statsTmp);
    }

    private void abandon(Shard s) throws IOException {
        if (s == null || s.done) return;
        s.out.close();
        if (s.rejected != null) s.rejected.close();
        Files.deleteIfExists(s.outTmp);
        if (s.rejTmp != null) Files.deleteIfExists(s.rejTmp);
    }

    private static void move(Path tmp) throws IOException {
        String n = tmp.getFileName().toString();
        Files.move(tmp, tmp.resolveSibling(n.substring(0, n.length() - 4)), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    /** A finished shard: its stats, and its dedup keys back into the indexes. */
    private CleanStats loadShard(int seq) throws IOException {
        String part = partName(seq);
        CleanStats st = JSON.readValue(state.resolve(part + ".json").toFile(), CleanStats.class);
        try (DataInputStream in = new DataInputStream(new java.io.BufferedInputStream(Files.newInputStream(state.resolve(part + ".keys"))))) {
            while (in.available() > 0) {
                int kind = in.readByte();
                long k1 = in.readLong(), k2 = in.readLong(), id = in.readLong();
                (kind == 0 ? exactIndex : bandIndex).putIfAbsent(k1, k2, id);
            }
        }
        return st;
    }

    /** The output directory belongs to one run: same inputs (path, size, mtime) and same config, or an error. */
    private void checkManifest(List<Path> files) throws IOException {
        ObjectNode m = JSON.createObjectNode();
        m.put("format", 1);
        ArrayNode in = m.putArray("inputs");
        for (Path f : files) {
            ObjectNode o = in.addObject();
            o.put("path", f.toAbsolutePath().normalize().toString());
            o.put("size", Files.size(f));
            o.put("modified", Files.getLastModifiedTime(f).toMillis());
        }
        m.set("config", JSON.valueToTree(cfg));
        Path p = state.resolve("manifest.json");
        if (Files.exists(p)) {
            // compared after a round trip through JSON text: a long written is an int read back
            if (!JSON.readTree(p.toFile()).equals(JSON.readTree(JSON.writeValueAsBytes(m)))) {
                throw new IllegalArgumentException(opt.output() + " holds the output of a different run (inputs or configuration differ, see "
                        + p + "); use another --output or delete it");
            }
        } else {
            try (var dirs = Files.list(opt.output())) {
                if (dirs.anyMatch(x -> x.getFileName().toString().startsWith("part-"))) {
                    throw new IllegalArgumentException(opt.output() + " already holds part files but no manifest; use an empty --output");
                }
            }
            JSON.writeValue(p.toFile(), m);
        }
    }

    /** Growable byte buffer of (kind, k1, k2, id) records: the shard's new dedup keys. */
    private static final class ByteList {
        private final java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        private final DataOutputStream out = new DataOutputStream(bytes);

        void add(int kind, long k1, long k2, long id) {
            try {
                out.writeByte(kind);
                out.writeLong(k1);
                out.writeLong(k2);
                out.writeLong(id);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        byte[] toArray() {
            return bytes.toByteArray();
        }
    }
}

package dev.jllm.train;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A directory of token shards: raw little-endian token ids (uint16 when the vocabulary fits, else
 * uint32), documents packed back to back with EOS after each, plus a text index
 * ({@code index.txt}) naming each shard with its source, split (train/val) and counts:
 * <pre>
 *   jllm-token-shards 1
 *   vocab 512
 *   eos 2
 *   dtype uint16
 *   shard general train general-train-000.bin tokens 301966 docs 1
 *   shard sft train sft-train-000.bin tokens 5120 docs 40 mask sft-train-000.mask
 * </pre>
 * An optional mask file (one byte per token, 1 = learn to predict this token, 0 = context only)
 * carries the per-token loss mask of supervised data: a masked token becomes the -100 target
 * ({@link Layers#IGNORE}) of the position before it.
 * Several sources (e.g. code, math, general) live side by side, each written by one run of
 * {@code jllm tokenize-corpus --source NAME}; training mixes them by weight. Shards are read by
 * memory mapping, so a corpus larger than the heap trains fine.
 */
public final class TokenShards implements AutoCloseable {
    public static final String INDEX = "index.txt";
    private static final String MAGIC = "jllm-token-shards 1";

    /** One shard file. */
    public record Shard(String source, String split, String file, long tokens, long docs, String mask) {}

    public final Path dir;
    public final int vocab, eos;
    public final boolean wide; // uint32 tokens
    public final List<Shard> shards;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment[] mapped;
    private final MemorySegment[] masks; // null entries: every token is a target

    private TokenShards(Path dir, int vocab, int eos, boolean wide, List<Shard> shards) throws IOException {
        this.dir = dir;
        this.vocab = vocab;
        this.eos = eos;
        this.wide = wide;
        this.shards = List.copyOf(shards);
        this.mapped = new MemorySegment[shards.size()];
        this.masks = new MemorySegment[shards.size()];
        try {
            for (int i = 0; i < shards.size(); i++) {
                Shard s = shards.get(i);
                Path p = dir.resolve(s.file());
                try (FileChannel ch = FileChannel.open(p, StandardOpenOption.READ)) {
                    long want = s.tokens() * (wide ? 4 : 2);
                    if (ch.size() != want) throw new IOException(p + ": " + ch.size() + " bytes, the index says " + s.tokens() + " tokens (" + want + " bytes)");
                    mapped[i] = ch.map(FileChannel.MapMode.READ_ONLY, 0, want, arena);
                }
                if (s.mask() != null) {
                    Path mp = dir.resolve(s.mask());
                    try (FileChannel ch = FileChannel.open(mp, StandardOpenOption.READ)) {
                        if (ch.size() != s.tokens()) throw new IOException(mp + ": " + ch.size() + " bytes, expected one per token (" + s.tokens() + ")");
                        masks[i] = ch.map(FileChannel.MapMode.READ_ONLY, 0, s.tokens(), arena);
                    }
                }
            }
        } catch (IOException | RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    public static TokenShards open(Path dir) throws IOException {
        Path idx = dir.resolve(INDEX);
        if (!Files.exists(idx)) throw new java.nio.file.NoSuchFileException(idx.toString(), null, "no token shard index; write one with jllm tokenize-corpus");
        Header h = readIndex(idx);
        if (h.shards.isEmpty()) throw new IOException(idx + ": lists no shards");
        return new TokenShards(dir, h.vocab, h.eos, h.wide, h.shards);
    }

    private record Header(int vocab, int eos, boolean wide, List<Shard> shards) {}

    private static Header readIndex(Path idx) throws IOException {
        List<String> lines = Files.readAllLines(idx, StandardCharsets.UTF_8);
        if (lines.isEmpty() || !lines.get(0).strip().equals(MAGIC)) throw new IOException(idx + ": not a jllm token shard index (first line should be '" + MAGIC + "')");
        int vocab = -1, eos = -1;
        String dtype = null;
        List<Shard> shards = new ArrayList<>();
        for (int n = 1; n < lines.size(); n++) {
            String[] f = lines.get(n).strip().split("\\s+");
            if (f.length == 0 || f[0].isEmpty()) continue;
            try {
                switch (f[0]) {
                    case "vocab" -> vocab = Integer.parseInt(f[1]);
                    case "eos" -> eos = Integer.parseInt(f[1]);
                    case "dtype" -> dtype = f[1];
                    case "shard" -> {
                        if (!(f.length == 8 || f.length == 10 && f[8].equals("mask")) || !f[4].equals("tokens") || !f[6].equals("docs")) {
                            throw new IOException("bad shard line");
                        }
                        shards.add(new Shard(f[1], f[2], f[3], Long.parseLong(f[5]), Long.parseLong(f[7]), f.length == 10 ? f[9] : null));
                    }
                    default -> throw new IOException("unknown entry '" + f[0] + "'");
                }
            } catch (RuntimeException e) {
                throw new IOException(idx + ":" + (n + 1) + ": cannot read '" + lines.get(n) + "'", e);
            } catch (IOException e) {
                throw new IOException(idx + ":" + (n + 1) + ": " + e.getMessage());
            }
        }
        if (vocab <= 0 || dtype == null || !(dtype.equals("uint16") || dtype.equals("uint32"))) throw new IOException(idx + ": missing or bad vocab/dtype");
        return new Header(vocab, eos, dtype.equals("uint32"), shards);
    }

    /** Token at position {@code i} of shard {@code s}. */
    public int token(int s, long i) {
        return wide ? mapped[s].get(LE_INT, i * 4) : Short.toUnsignedInt(mapped[s].get(LE_SHORT, i * 2));
    }

    /** False if token {@code i} of shard {@code s} is context only (its mask byte is 0). */
    public boolean isTarget(int s, long i) {
        return masks[s] == null || masks[s].get(ValueLayout.JAVA_BYTE, i) != 0;
    }

    private static final ValueLayout.OfInt LE_INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort LE_SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    @Override
    public void close() {
        arena.close();
    }

    /**
     * Writes one source's documents into DIR as a train shard and a validation shard (the last
     * {@code valFraction} of the documents, at least one when there are two or more), and adds them to
     * the index (created if absent; the vocabulary and EOS must agree with it).
     */
    public static final class Writer implements AutoCloseable {
        private final Path dir;
        private final String source;
        private final int vocab, eos;
        private final boolean wide;
        private final List<int[]> docs = new ArrayList<>();
        private final List<boolean[]> docMasks = new ArrayList<>();
        private boolean anyMask;

        public Writer(Path dir, String source, int vocab, int eos) {
            if (!source.matches("[A-Za-z0-9_.-]+")) throw new IllegalArgumentException("source name '" + source + "' must be letters, digits, _ . -");
            if (eos < 0 || eos >= vocab) throw new IllegalArgumentException("EOS id " + eos + " is outside the vocabulary 0.." + (vocab - 1));
            this.dir = dir;
            this.source = source;
            this.vocab = vocab;
            this.eos = eos;
            this.wide = vocab > 65536;
        }

        /** Adds one document (EOS is appended when written); every token is a target. */
        public void add(int[] tokens) {
            add(tokens, null);
        }

        /**
         * Adds one document with a per-token loss mask ({@code target[i]} false: token i is context,
         * e.g. a prompt, and is not predicted). The appended EOS is always a target.
         */
        public void add(int[] tokens, boolean[] target) {
            for (int t : tokens) if (t < 0 || t >= vocab) throw new IllegalArgumentException("token " + t + " is outside the vocabulary");
            if (target != null && target.length != tokens.length) throw new IllegalArgumentException("mask length " + target.length + " != " + tokens.length + " tokens");
            docs.add(tokens);
            docMasks.add(target);
            anyMask |= target != null;
        }

        /** Writes the shards and the index; returns the shards written (train, then val if any). */
        public List<Shard> finish(double valFraction) throws IOException {
            if (docs.isEmpty()) throw new IllegalArgumentException("no documents to write");
            if (!(valFraction >= 0 && valFraction < 1)) throw new IllegalArgumentException("val fraction must be in [0, 1), got " + valFraction);
            Files.createDirectories(dir);
            Path idx = dir.resolve(INDEX);
            List<Shard> existing = new ArrayList<>();
            if (Files.exists(idx)) {
                Header h = readIndex(idx);
                if (h.vocab != vocab || h.eos != eos || h.wide != wide) {
                    throw new IOException(idx + ": existing shards have vocab " + h.vocab + " / EOS " + h.eos + "; this tokenizer has " + vocab + " / " + eos);
                }
                for (Shard s : h.shards) if (!s.source().equals(source)) existing.add(s); // re-running a source replaces it
            }
            int nVal = valFraction == 0 || docs.size() < 2 ? 0 : Math.max(1, (int) Math.round(docs.size() * valFraction));
            List<Shard> written = new ArrayList<>();
            written.add(write(source + "-train-000", "train", 0, docs.size() - nVal));
            if (nVal > 0) written.add(write(source + "-val-000", "val", docs.size() - nVal, docs.size()));
            existing.addAll(written);
            StringBuilder sb = new StringBuilder(MAGIC).append('\n');
            sb.append("vocab ").append(vocab).append('\n').append("eos ").append(eos).append('\n');
            sb.append("dtype ").append(wide ? "uint32" : "uint16").append('\n');
            for (Shard s : existing) {
                sb.append(String.format(Locale.ROOT, "shard %s %s %s tokens %d docs %d%s%n", s.source(), s.split(), s.file(), s.tokens(), s.docs(),
                        s.mask() == null ? "" : " mask " + s.mask()));
            }
            Path tmp = dir.resolve(INDEX + ".tmp");
            Files.writeString(tmp, sb.toString());
            Files.move(tmp, idx, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
            return written;
        }

        private Shard write(String name, String split, int from, int to) throws IOException {
            long n = 0;
            String file = name + ".bin", maskFile = anyMask ? name + ".mask" : null;
            try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(dir.resolve(file)), 1 << 16)) {
                for (int i = from; i < to; i++) {
                    int[] d = docs.get(i);
                    for (int t : d) put(out, t);
                    put(out, eos);
                    n += d.length + 1;
                }
            }
            if (maskFile != null) {
                try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(dir.resolve(maskFile)), 1 << 16)) {
                    for (int i = from; i < to; i++) {
                        boolean[] m = docMasks.get(i);
                        for (int k = 0; k < docs.get(i).length; k++) out.write(m == null || m[k] ? 1 : 0);
                        out.write(1); // EOS
                    }
                }
            }
            return new Shard(source, split, file, n, to - from, maskFile);
        }

        private void put(OutputStream out, int t) throws IOException {
            out.write(t & 0xff);
            out.write((t >>> 8) & 0xff);
            if (wide) {
                out.write((t >>> 16) & 0xff);
                out.write((t >>> 24) & 0xff);
            }
        }

        @Override
        public void close() {
            docs.clear();
            docMasks.clear();
        }
    }
}

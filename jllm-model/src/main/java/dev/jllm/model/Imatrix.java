package dev.jllm.model;

import dev.jllm.gguf.GgufArray;
import dev.jllm.gguf.GgufFile;
import dev.jllm.gguf.GgufTensorInfo;
import dev.jllm.gguf.GgufValue;
import dev.jllm.gguf.GgufValueType;
import dev.jllm.gguf.GgufWriter;
import dev.jllm.tensor.GgmlType;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * llama.cpp's importance matrix: per weight matrix, the sum over calibration tokens of the squared
 * activation entering each of its columns ({@code in_sum2}), and how many tokens were summed
 * ({@code counts}, one per expert; dense matrices have one). The quantizers weight each column's
 * rounding error by {@code in_sum2 / count}, the mean squared input that multiplies it.
 *
 * <p>Files: the GGUF format llama-imatrix writes since 2025 ({@code general.type = imatrix};
 * {@code imatrix.datasets} (string array), {@code imatrix.chunk_count}, {@code imatrix.chunk_size} (u32);
 * per matrix NAME, in sorted order, an F32 tensor {@code NAME.in_sum2} [ne0, n_mat] and an F32 tensor
 * {@code NAME.counts} [1, n_mat], written with ggml's dimension count, so a single matrix's are 1-D),
 * and the legacy {@code .dat} format (read only: entries of name, ncall, values = mean·ncall, then the
 * chunk count and dataset name), both as llama.cpp's {@code common_imatrix_load} reads them.
 */
public final class Imatrix {

    /** One matrix's statistics: {@code sums} holds n_mat rows of ne0 columns. */
    public record Entry(float[] sums, long[] counts) {
        public int columns() {
            return sums.length / counts.length;
        }
    }

    private final Map<String, Entry> entries;
    private final List<String> datasets;
    private final int chunkCount, chunkSize;
    private final boolean legacy;

    public Imatrix(Map<String, Entry> entries, List<String> datasets, int chunkCount, int chunkSize) {
        this(entries, datasets, chunkCount, chunkSize, false);
    }

    private Imatrix(Map<String, Entry> entries, List<String> datasets, int chunkCount, int chunkSize, boolean legacy) {
        this.entries = Collections.unmodifiableMap(new TreeMap<>(entries));
        this.datasets = List.copyOf(datasets);
        this.chunkCount = chunkCount;
        this.chunkSize = chunkSize;
        this.legacy = legacy;
    }

    /** Matrix name (e.g. blk.0.attn_q.weight) → statistics, sorted by name. */
    public Map<String, Entry> entries() { return entries; }

    public List<String> datasets() { return datasets; }

    public int chunkCount() { return chunkCount; }

    /** Tokens per chunk (llama-imatrix's n_ctx / n_parallel); 0 in legacy files. */
    public int chunkSize() { return chunkSize; }

    /** True for a legacy .dat file. */
    public boolean legacy() { return legacy; }

    /**
     * The importance weights llama-quantize hands to the quantizer for {@code tensor}: per column
     * {@code in_sum2 / count} in float (a count of 0 gives 1s), or for a legacy file values / ncall;
     * null if the matrix has no entry.
     */
    public float[] weights(String tensor) {
        Entry e = entries.get(tensor);
        if (e == null) return null;
        float[] out = new float[e.sums.length];
        if (!legacy) {
            int ne0 = e.columns();
            for (int j = 0; j < e.counts.length; j++) {
                float count = (float) e.counts[j];
                for (int i = 0; i < ne0; i++) out[j * ne0 + i] = count > 0 ? e.sums[j * ne0 + i] / count : 1f;
            }
        } else {
            long ncall = e.counts.length == 0 ? 0 : e.counts[0];
            for (int i = 0; i < out.length; i++) out[i] = ncall > 0 ? e.sums[i] / ncall : e.sums[i];
        }
        return out;
    }

    /** Reads a GGUF imatrix, or a legacy .dat one if the file does not start with "GGUF". */
    public static Imatrix read(Path path) throws IOException {
        byte[] magic = new byte[4];
        try (InputStream in = Files.newInputStream(path)) {
            if (in.readNBytes(magic, 0, 4) == 4 && new String(magic, StandardCharsets.ISO_8859_1).equals("GGUF")) {
                return readGguf(path);
            }
        }
        return readLegacy(path);
    }

    private static Imatrix readGguf(Path path) throws IOException {
        try (GgufFile f = GgufFile.open(path)) {
            if (f.tensors().isEmpty()) throw new IOException(path + ": no data in the imatrix file");
            List<String> datasets = new ArrayList<>();
            GgufValue ds = f.get("imatrix.datasets");
            if (ds != null && ds.type() == GgufValueType.ARRAY && ds.value() instanceof GgufArray a && a.elementType() == GgufValueType.STRING) {
                Collections.addAll(datasets, a.strings());
            }
            GgufValue cc = f.get("imatrix.chunk_count"), cs = f.get("imatrix.chunk_size");
            if (ds == null || cc == null || cs == null) {
                throw new IOException(path + ": missing imatrix metadata (imatrix.datasets, imatrix.chunk_count, imatrix.chunk_size),"
                        + " which llama-quantize requires");
            }
            Map<String, MemorySegment[]> pairs = new TreeMap<>();
            Map<String, GgufTensorInfo[]> infos = new TreeMap<>();
            for (GgufTensorInfo t : f.tensors()) {
                String n = t.name();
                int slot;
                String base;
                if (n.endsWith(".in_sum2")) { slot = 0; base = n.substring(0, n.length() - 8); }
                else if (n.endsWith(".counts")) { slot = 1; base = n.substring(0, n.length() - 7); }
                else continue;
                if (t.type() != GgmlType.F32) throw new IOException(path + ": sums and counts for " + base + " must be F32, " + n + " is " + t.type());
                pairs.computeIfAbsent(base, k -> new MemorySegment[2])[slot] = f.tensorData(t);
                infos.computeIfAbsent(base, k -> new GgufTensorInfo[2])[slot] = t;
            }
            Map<String, Entry> entries = new TreeMap<>();
            for (var e : pairs.entrySet()) {
                MemorySegment[] p = e.getValue();
                if (p[0] == null || p[1] == null) throw new IOException(path + ": mismatched sums and counts for " + e.getKey());
                float[] sums = p[0].toArray(ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN));
                float[] cf = p[1].toArray(ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN));
                long[] counts = new long[cf.length];
                for (int i = 0; i < cf.length; i++) counts[i] = Math.round(cf[i]); // std::lround
                if (counts.length == 0 || sums.length % counts.length != 0) {
                    throw new IOException(path + ": " + e.getKey() + " has " + sums.length + " sums for " + counts.length + " counts");
                }
                entries.put(e.getKey(), new Entry(sums, counts));
            }
            return new Imatrix(entries, datasets, (int) cc.asLong(), (int) cs.asLong(), false);
        }
    }

    private static Imatrix readLegacy(Path path) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(path)).order(ByteOrder.LITTLE_ENDIAN);
        try {
            int n = b.getInt();
            if (n < 1) throw new IOException(path + ": no data in the imatrix file");
            Map<String, Entry> entries = new TreeMap<>();
            for (int i = 0; i < n; i++) {
                int len = b.getInt();
                if (len < 0 || len > b.remaining()) throw new IOException(path + ": bad name length in entry " + (i + 1));
                byte[] name = new byte[len];
                b.get(name);
                int ncall = b.getInt(), nval = b.getInt();
                if (nval < 1) throw new IOException(path + ": failed reading the number of values of entry " + i);
                float[] v = new float[nval];
                b.asFloatBuffer().get(v);
                b.position(b.position() + 4 * nval);
                entries.put(new String(name, StandardCharsets.UTF_8), new Entry(v, new long[] {ncall}));
            }
            int chunks = 0;
            List<String> datasets = new ArrayList<>();
            if (b.remaining() >= 4) {
                chunks = b.getInt();
                if (b.remaining() >= 4) {
                    int len = b.getInt();
                    if (len > 0 && len <= b.remaining()) {
                        byte[] s = new byte[len];
                        b.get(s);
                        datasets.add(new String(s, StandardCharsets.UTF_8));
                    }
                }
            }
            return new Imatrix(entries, datasets, chunks, 0, true);
        } catch (java.nio.BufferUnderflowException e) {
            throw new IOException(path + ": truncated imatrix file (neither GGUF nor llama.cpp's legacy format)", new EOFException());
        }
    }

    /** Writes the GGUF format exactly as llama-imatrix's save_imatrix lays it out. */
    public void write(Path path) throws IOException {
        GgufWriter w = new GgufWriter();
        w.put("general.type", GgufValue.ofString("imatrix"));
        w.put("imatrix.datasets", GgufValue.ofArray(GgufArray.ofStrings(datasets.toArray(String[]::new))));
        w.put("imatrix.chunk_count", GgufValue.ofUInt32(chunkCount));
        w.put("imatrix.chunk_size", GgufValue.ofUInt32(chunkSize));
        for (var e : entries.entrySet()) {
            Entry x = e.getValue();
            int nmat = x.counts.length, ne0 = x.columns();
            float[] counts = new float[nmat];
            for (int i = 0; i < nmat; i++) counts[i] = (float) x.counts[i];
            // ggml_n_dims drops trailing 1s: a single matrix's tensors are 1-D, as llama-imatrix writes them
            w.addTensor(e.getKey() + ".in_sum2", GgmlType.F32, nmat == 1 ? new long[] {ne0} : new long[] {ne0, nmat}, floats(x.sums));
            w.addTensor(e.getKey() + ".counts", GgmlType.F32, nmat == 1 ? new long[] {1} : new long[] {1, nmat}, floats(counts));
        }
        w.write(path);
    }

    private static MemorySegment floats(float[] v) {
        MemorySegment s = MemorySegment.ofArray(new byte[4 * v.length]);
        for (int i = 0; i < v.length; i++) s.set(ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 4L * i, v[i]);
        return s;
    }

    /** What {@link #compute} returns: the matrix and, as llama-imatrix prints it, the perplexity of the chunks' second halves. */
    public record Computed(Imatrix imatrix, int chunks, double ppl, double pplStderr) {}

    /**
     * llama-imatrix's compute_imatrix for one sequence per chunk: {@code tokens} (BOS already added by
     * the tokenizer, as common_tokenize does) cut into {@code min(nChunks, n/nCtx)} chunks of nCtx, the
     * first token of each replaced by BOS, each run from an empty cache with logits for every token;
     * the collector sees every matrix input. Needs at least 2·nCtx tokens, as llama-imatrix does.
     */
    public static Computed compute(Transformer tr, int[] tokens, int nCtx, int bos, int nChunks, boolean processOutput,
                                   List<String> datasets, java.util.function.IntConsumer progress) {
        if (tokens.length < 2 * nCtx) {
            throw new IllegalArgumentException("you need at least " + 2 * nCtx + " tokens for a context of " + nCtx
                    + " tokens; the data file tokenizes to only " + tokens.length + " (use a longer file or a smaller --ctx)");
        }
        int max = tokens.length / nCtx;
        int chunks = nChunks < 0 ? max : Math.min(nChunks, max);
        Collector col = new Collector(processOutput);
        KvCacheManager kv = tr.cache();
        int first = nCtx / 2;
        double nll = 0, nll2 = 0;
        long count = 0;
        tr.observe(col);
        try {
            for (int c = 0; c < chunks; c++) {
                int[] chunk = java.util.Arrays.copyOfRange(tokens, c * nCtx, (c + 1) * nCtx);
                if (bos >= 0) chunk[0] = bos;
                int seq = kv.allocate();
                try {
                    float[][] logits = tr.forward(Batch.of(seq, chunk, 0, Batch.Logits.ALL)).get(0);
                    for (int p = first; p < nCtx - 1; p++) {
                        double v = -Perplexity.logSoftmaxAt(logits[p], chunk[p + 1]);
                        nll += v;
                        nll2 += v * v;
                        count++;
                    }
                } finally {
                    kv.free(seq);
                }
                if (progress != null) progress.accept(c + 1);
            }
        } finally {
            tr.observe(null);
        }
        double mean = nll / count, var = nll2 / count - mean * mean;
        double ppl = Math.exp(mean);
        return new Computed(col.result(datasets, chunks, nCtx), chunks, ppl, var > 0 ? Math.sqrt(var / (count - 1)) * ppl : Double.NaN);
    }

    /**
     * Collects an imatrix from a {@link Transformer}'s forward passes, as llama-imatrix's collector does
     * for dense models: for every matrix whose name starts with {@code blk.} (and {@code output.weight}
     * with {@code processOutput}), per column the sum of x² over every token row of every product with
     * at least 16 rows (llama.cpp skips smaller batches), and the number of rows. Sums are kept in
     * double and stored as float.
     */
    public static final class Collector implements Transformer.MatmulObserver {
        private final boolean processOutput;
        private final Map<String, double[]> sums = new TreeMap<>();
        private final Map<String, long[]> counts = new TreeMap<>();

        public Collector(boolean processOutput) {
            this.processOutput = processOutput;
        }

        @Override
        public void input(String[] tensors, float[] x, int rows, int cols) {
            if (rows < 16) return;
            double[] s = null;
            for (String name : tensors) {
                if (!(name.startsWith("blk.") || (processOutput && name.equals("output.weight")))) continue;
                if (s == null) {
                    s = new double[cols];
                    for (int r = 0; r < rows; r++) {
                        int o = r * cols;
                        for (int j = 0; j < cols; j++) s[j] += (double) x[o + j] * x[o + j];
                    }
                }
                double[] acc = sums.computeIfAbsent(name, k -> new double[cols]);
                if (acc.length != cols) throw new IllegalStateException("inconsistent size for " + name + " (" + acc.length + " vs " + cols + ")");
                for (int j = 0; j < cols; j++) acc[j] += s[j];
                counts.computeIfAbsent(name, k -> new long[1])[0] += rows;
            }
        }

        /** The statistics so far, as a file's contents. */
        public Imatrix result(List<String> datasets, int chunkCount, int chunkSize) {
            Map<String, Entry> entries = new TreeMap<>();
            for (var e : sums.entrySet()) {
                double[] d = e.getValue();
                float[] f = new float[d.length];
                for (int i = 0; i < d.length; i++) f[i] = (float) d[i];
                entries.put(e.getKey(), new Entry(f, counts.get(e.getKey()).clone()));
            }
            return new Imatrix(entries, datasets, chunkCount, chunkSize);
        }
    }
}

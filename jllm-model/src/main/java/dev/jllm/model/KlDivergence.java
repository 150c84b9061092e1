package dev.jllm.model;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.function.IntConsumer;

/**
 * KL divergence between a model and a reference, as llama.cpp's {@code llama-perplexity
 * --kl-divergence-base FILE} / {@code --kl-divergence} compute it (tools/perplexity/perplexity.cpp:
 * {@code perplexity} with a logits file, {@code kl_divergence}, both {@code log_softmax} overloads),
 * in its file format so either program reads the other's file:
 *
 * <pre>
 * "_logits_"  u32 n_ctx  i32 n_vocab  i32 n_chunk  i32 tokens[n_ctx·n_chunk]   (little-endian)
 * then per chunk, per scored position (n_ctx−1−n_ctx/2 of them), nv = 2·⌈n_vocab/2⌉+4 u16:
 *   f32 scale, f32 min_log_prob, u16 q[n_vocab] (+1 pad u16 when n_vocab is odd)
 *   log p[i] ≈ scale·q[i] + min_log_prob, logits below max−16 stored as 0
 * </pre>
 * Scored positions are those of the perplexity: chunk positions n_ctx/2 .. n_ctx−2, BOS in place of
 * each chunk's first token. Arithmetic follows llama.cpp's float/double mix so values compare
 * closely (exp in double here, expf there: differences are in the last float bits).
 */
public final class KlDivergence {
    private KlDivergence() {}

    static final byte[] MAGIC = "_logits_".getBytes(StandardCharsets.US_ASCII);

    static int rowShorts(int nVocab) {
        return 2 * ((nVocab + 1) / 2) + 4;
    }

    /** llama.cpp's nearest_int: float magic-number rounding (half to even). */
    static int nearestInt(float f) {
        return (Float.floatToRawIntBits(f + 12582912f) & 0x007fffff) - 0x00400000;
    }

    /**
     * Writes the base file for {@code tokens} (already tokenized with BOS as llama-perplexity does)
     * and returns the base model's perplexity over the same positions.
     */
    public static Perplexity.Result saveBase(Transformer tr, int[] tokens, int nCtx, int bos, int nVocab, Path out, IntConsumer progress) throws IOException {
        if (nCtx < 4) throw new IllegalArgumentException("context (-c) must be >= 4, got " + nCtx);
        int chunks = tokens.length / nCtx;
        if (tokens.length < 2 * nCtx) {
            throw new IllegalArgumentException("the text has " + tokens.length + " tokens; llama-perplexity needs at least 2·ctx = " + 2 * nCtx
                    + " (use a longer file or a smaller -c)");
        }
        int first = nCtx / 2, nv = rowShorts(nVocab);
        double nll = 0, nll2 = 0;
        long count = 0;
        double[] running = new double[chunks];
        try (OutputStream os = new BufferedOutputStream(Files.newOutputStream(out), 1 << 20)) {
            ByteBuffer h = ByteBuffer.allocate(8 + 12 + 4 * chunks * nCtx).order(ByteOrder.LITTLE_ENDIAN);
            h.put(MAGIC).putInt(nCtx).putInt(nVocab).putInt(chunks);
            for (int i = 0; i < chunks * nCtx; i++) h.putInt(tokens[i]);
            os.write(h.array());
            ByteBuffer row = ByteBuffer.allocate(2 * nv).order(ByteOrder.LITTLE_ENDIAN);
            KvCacheManager kv = tr.cache();
            for (int c = 0; c < chunks; c++) {
                int[] chunk = Arrays.copyOfRange(tokens, c * nCtx, (c + 1) * nCtx);
                if (bos >= 0) chunk[0] = bos;
                int seq = kv.allocate();
                try {
                    float[][] logits = tr.forward(Batch.of(seq, chunk, 0, Batch.Logits.ALL)).get(0);
                    for (int p = first; p <= nCtx - 2; p++) {
                        double v = encodeRow(logits[p], nVocab, tokens[c * nCtx + p + 1], row.clear());
                        os.write(row.array());
                        nll += v;
                        nll2 += v * v;
                        count++;
                    }
                } finally {
                    kv.free(seq);
                }
                running[c] = Math.exp(nll / count);
                if (progress != null) progress.accept(c + 1);
            }
        }
        double mean = nll / count, ppl = Math.exp(mean);
        return new Perplexity.Result(ppl, Math.sqrt((nll2 / count - mean * mean) / (count - 1)) * ppl, chunks, count, running);
    }

    /** perplexity.cpp's log_softmax(n_vocab, logits, uint16_t * log_prob, tok): fills one row, returns the NLL of tok. */
    static double encodeRow(float[] logits, int nVocab, int tok, ByteBuffer out) {
        float max = logits[0], min = logits[0];
        for (int i = 1; i < nVocab; i++) {
            max = Math.max(max, logits[i]);
            min = Math.min(min, logits[i]);
        }
        min = Math.max(min, max - 16);
        double sumExp = 0;
        for (int i = 0; i < nVocab; i++) sumExp += (float) Math.exp(logits[i] - max);
        float logSumExp = (float) Math.log(sumExp);
        float minLogProb = min - max - logSumExp;
        float scale = (max - min) / 65535f;
        out.putFloat(scale).putFloat(minLogProb);
        if (scale != 0) {
            float inv = 1 / scale;
            for (int i = 0; i < nVocab; i++) out.putShort((short) (logits[i] > min ? nearestInt(inv * (logits[i] - min)) : 0));
        } else {
            for (int i = 0; i < nVocab; i++) out.putShort((short) 0);
        }
        while (out.hasRemaining()) out.putShort((short) 0);
        return max + logSumExp - logits[tok];
    }

    /** A base file's header, read and checked. */
    public record Base(Path path, int nCtx, int nVocab, int nChunk, int[] tokens) {}

    /** Reads the header and tokens; the caller streams the rows with {@link #compare}. */
    public static Base readBase(Path path) throws IOException {
        try (DataInputStream in = new DataInputStream(new BufferedInputStream(Files.newInputStream(path), 1 << 16))) {
            byte[] m = new byte[8];
            in.readFully(m);
            if (!Arrays.equals(m, MAGIC)) throw new IOException(path + " does not look like a file of log-probabilities (no \"_logits_\" magic); make it with --kl-divergence-base and no --kl-divergence");
            ByteBuffer h = ByteBuffer.wrap(in.readNBytes(12)).order(ByteOrder.LITTLE_ENDIAN);
            int nCtx = h.getInt(), nVocab = h.getInt(), nChunk = h.getInt();
            if (nCtx < 4 || nVocab < 1 || nChunk < 1) throw new IOException(path + ": header n_ctx " + nCtx + ", n_vocab " + nVocab + ", n_chunk " + nChunk + " is invalid");
            byte[] tb = in.readNBytes(4 * nCtx * nChunk);
            if (tb.length != 4 * nCtx * nChunk) throw new IOException(path + ": truncated in the token list");
            int[] tokens = new int[nCtx * nChunk];
            ByteBuffer.wrap(tb).order(ByteOrder.LITTLE_ENDIAN).asIntBuffer().get(tokens);
            long want = 20L + 4L * nCtx * nChunk + 2L * rowShorts(nVocab) * (nCtx - 1 - nCtx / 2) * nChunk;
            if (Files.size(path) != want) throw new IOException(path + ": " + Files.size(path) + " bytes, the header implies " + want + " (truncated, or another format)");
            return new Base(path, nCtx, nVocab, nChunk, tokens);
        }
    }

    /** Runs the model over the base file's chunks and accumulates llama-perplexity's statistics; {@code chunkLine} gets each chunk's row. */
    public static KlStats compare(Transformer tr, Base base, int bos, java.util.function.Consumer<String> chunkLine) throws IOException {
        int nCtx = base.nCtx(), nVocab = base.nVocab(), first = nCtx / 2, nv = rowShorts(nVocab), perChunk = nCtx - 1 - first;
        KlStats s = new KlStats(perChunk * base.nChunk());
        try (InputStream raw = new BufferedInputStream(Files.newInputStream(base.path()), 1 << 20)) {
            raw.skipNBytes(20L + 4L * nCtx * base.nChunk());
            byte[] rb = new byte[2 * nv];
            ByteBuffer row = ByteBuffer.wrap(rb).order(ByteOrder.LITTLE_ENDIAN);
            KvCacheManager kv = tr.cache();
            for (int c = 0; c < base.nChunk(); c++) {
                int[] chunk = Arrays.copyOfRange(base.tokens(), c * nCtx, (c + 1) * nCtx);
                if (bos >= 0) chunk[0] = bos;
                int seq = kv.allocate();
                try {
                    float[][] logits = tr.forward(Batch.of(seq, chunk, 0, Batch.Logits.ALL)).get(0);
                    for (int p = first; p <= nCtx - 2; p++) {
                        if (raw.readNBytes(rb, 0, rb.length) != rb.length) throw new EOFException(base.path() + ": log-probs end in chunk " + (c + 1));
                        if (logits[p].length < nVocab) throw new IOException("the model has " + logits[p].length + " logits, the base file " + nVocab);
                        s.add(logits[p], nVocab, row, base.tokens()[c * nCtx + p + 1]);
                    }
                } finally {
                    kv.free(seq);
                }
                if (chunkLine != null) chunkLine.accept(s.chunkLine(c + 1));
            }
        }
        return s;
    }

    static String fmt(String f, Object... a) {
        return String.format(Locale.ROOT, f, a);
    }
}

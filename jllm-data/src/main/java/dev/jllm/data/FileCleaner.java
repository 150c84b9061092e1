package dev.jllm.data;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * One input file through the same reading and per-document code as {@link LocalRunner}, without
 * threads, shards or dedup: for engines that distribute files themselves (jllm-spark). Documents
 * come out in file order with their index, so that dedup elsewhere can keep "the first in input
 * order" exactly as the local runner does.
 */
public final class FileCleaner {
    private FileCleaner() {}

    /** A document that passed the filters: its output JSON line and its dedup keys. */
    public record Kept(long index, String source, String json, long[] hash, long[] bands) {}

    /** Receives kept documents in order. */
    public interface Sink {
        void accept(Kept doc) throws IOException;
    }

    /** Cleans {@code file}; returns its stats (without dedup counts, which belong to the caller). */
    public static CleanStats clean(Path file, CleanConfig cfg, CleanPipeline pipeline, Sink sink) throws IOException {
        boolean jsonl = InputFiles.isJsonl(file, cfg.input().format());
        boolean paragraphs = !jsonl && cfg.input().txtDocs().equals("paragraph");
        CleanStats stats = new CleanStats();
        InputFiles.Counting[] raw = new InputFiles.Counting[1];
        long index = 0, line = 1;
        try (InputStream in = InputFiles.open(file, raw)) {
            byte[] buf = new byte[1 << 20];
            int len = 0;
            boolean eof = false;
            while (true) {
                while (!eof && len < buf.length) {
                    int n = in.read(buf, len, buf.length - len);
                    if (n < 0) eof = true;
                    else len += n;
                }
                if (len == 0) break;
                int cut = LocalRunner.lastBoundary(buf, len, paragraphs);
                if (cut <= 0) {
                    if (!eof) {
                        buf = Arrays.copyOf(buf, buf.length * 2);
                        continue;
                    }
                    cut = len;
                }
                Batch b = new Batch(file.toString(), line, Arrays.copyOf(buf, cut), jsonl, paragraphs, 0);
                Batch.Result r = b.process(pipeline, cfg.input().textField(), false);
                if (index == 0 && r.docsWithField == 0 && r.missingFieldMessage != null) throw new IllegalArgumentException(r.missingFieldMessage);
                stats.add(r.stats);
                for (Batch.Kept k : r.kept) {
                    sink.accept(new Kept(index++, k.source(), new String(k.json(), java.nio.charset.StandardCharsets.UTF_8), k.hash(), k.bands()));
                }
                for (int i = 0; i < cut; i++) if (buf[i] == '\n') line++;
                System.arraycopy(buf, cut, buf, 0, len - cut);
                len -= cut;
                if (eof && len == 0) break;
            }
        }
        return stats;
    }
}

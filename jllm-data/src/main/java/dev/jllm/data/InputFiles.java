package dev.jllm.data;

import java.io.BufferedInputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;

/** Input discovery and opening: directories are walked (sorted, hidden files skipped), gzip is detected by its magic bytes. */
public final class InputFiles {
    private InputFiles() {}

    private static final List<String> EXTENSIONS = List.of(".txt", ".text", ".jsonl", ".ndjson", ".md");

    /** Files given directly are taken as they are; directories contribute their text/JSONL files (also .gz). */
    public static List<Path> expand(List<Path> inputs) throws IOException {
        List<Path> out = new ArrayList<>();
        for (Path p : inputs) {
            if (Files.isDirectory(p)) {
                try (Stream<Path> s = Files.walk(p)) {
                    s.filter(Files::isRegularFile).filter(InputFiles::looksLikeText)
                            .filter(f -> !p.relativize(f).toString().startsWith(".") && !f.getFileName().toString().startsWith("."))
                            .sorted().forEach(out::add);
                }
            } else if (Files.exists(p)) {
                out.add(p);
            } else {
                throw new NoSuchFileException(p.toString());
            }
        }
        if (out.isEmpty()) throw new IllegalArgumentException("no input files (looked for " + String.join(" ", EXTENSIONS) + ", also .gz) in " + inputs);
        return out;
    }

    private static boolean looksLikeText(Path f) {
        String n = stripGz(f.getFileName().toString().toLowerCase(Locale.ROOT));
        for (String e : EXTENSIONS) if (n.endsWith(e)) return true;
        return false;
    }

    static String stripGz(String name) {
        return name.endsWith(".gz") ? name.substring(0, name.length() - 3) : name;
    }

    /** True when the file is JSON lines: by the config, or for "auto" by the extension .jsonl/.ndjson (before .gz). */
    public static boolean isJsonl(Path f, String format) {
        if (format.equals("jsonl")) return true;
        if (format.equals("txt")) return false;
        String n = stripGz(f.getFileName().toString().toLowerCase(Locale.ROOT));
        return n.endsWith(".jsonl") || n.endsWith(".ndjson");
    }

    /** Counts the raw (compressed) bytes read, for progress. */
    public static final class Counting extends FilterInputStream {
        public long count;

        Counting(InputStream in) {
            super(in);
        }

        @Override
        public int read() throws IOException {
            int b = super.read();
            if (b >= 0) count++;
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = super.read(b, off, len);
            if (n > 0) count += n;
            return n;
        }
    }

    /** Opens a file, decompressing gzip (recognized by its magic bytes 1f 8b, whatever the name). */
    public static InputStream open(Path f, Counting[] raw) throws IOException {
        Counting c = new Counting(Files.newInputStream(f));
        raw[0] = c;
        BufferedInputStream in = new BufferedInputStream(c, 1 << 16);
        in.mark(2);
        int b0 = in.read(), b1 = in.read();
        in.reset();
        if (b0 == 0x1f && b1 == 0x8b) return new GZIPInputStream(in, 1 << 16);
        return in;
    }
}

package dev.jllm.eval.task;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * items.jsonl in the output folder: one line per finished item, appended and flushed as each item
 * ends, so an interrupted run loses at most the item in flight. On a rerun the finished items are read
 * back (a torn last line, from a kill mid-write, is cut off) and skipped. run.json beside it holds
 * the run's identity (task, target, sampling); resuming a folder made by a different run is refused
 * instead of mixing two runs' items.
 */
public final class ItemLog implements AutoCloseable {
    static final String ITEMS = "items.jsonl", RUN = "run.json";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path file;
    private final Map<String, ItemResult> done = new LinkedHashMap<>();
    private OutputStream out;

    private ItemLog(Path file) {
        this.file = file;
    }

    /** Opens (or starts) the log in {@code dir} for the run {@code identity}. */
    public static ItemLog open(Path dir, JsonNode identity) throws IOException {
        Files.createDirectories(dir);
        identity = JSON.readTree(JSON.writeValueAsString(identity)); // as it reads back from the file (0 is an int there, not a long)
        Path run = dir.resolve(RUN);
        if (Files.exists(run)) {
            JsonNode prev = JSON.readTree(run.toFile());
            if (!prev.equals(identity)) {
                throw new IllegalArgumentException(dir + ": holds a different run (" + RUN + " differs in " + firstDifference(prev, identity)
                        + "); use another --out folder, or delete this one to start over");
            }
        } else {
            Files.writeString(run, JSON.writerWithDefaultPrettyPrinter().writeValueAsString(identity) + "\n");
        }
        ItemLog log = new ItemLog(dir.resolve(ITEMS));
        log.readBack();
        log.out = Files.newOutputStream(log.file, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        return log;
    }

    private static String firstDifference(JsonNode a, JsonNode b) {
        var names = new java.util.TreeSet<String>();
        a.fieldNames().forEachRemaining(names::add);
        b.fieldNames().forEachRemaining(names::add);
        for (String n : names) if (!a.path(n).equals(b.path(n))) return "'" + n + "': " + a.path(n) + " then, " + b.path(n) + " now";
        return "?";
    }

    private void readBack() throws IOException {
        if (!Files.exists(file)) return;
        byte[] bytes = Files.readAllBytes(file);
        int start = 0, good = 0, line = 1;
        for (int i = 0; i < bytes.length; i++) {
            if (bytes[i] != '\n') continue;
            String s = new String(bytes, start, i - start, StandardCharsets.UTF_8);
            if (!s.isBlank()) {
                try {
                    ItemResult r = ItemResult.fromJson(JSON.readTree(s));
                    done.put(r.id(), r);
                } catch (IOException e) {
                    throw new IllegalArgumentException(file + ": line " + line + ": not an item record (edited by hand?); delete the folder to start over");
                }
            }
            good = i + 1;
            start = i + 1;
            line++;
        }
        if (good < bytes.length) {
            try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
                ch.truncate(good); // the torn line of an item that was being written when the run stopped
            }
        }
    }

    /** The items a previous run finished, by id, in the order they finished. */
    public synchronized Map<String, ItemResult> done() {
        return java.util.Collections.unmodifiableMap(new LinkedHashMap<>(done)); // a snapshot: concurrent workers append
    }

    public synchronized void append(ItemResult r) throws IOException {
        out.write((JSON.writeValueAsString(r.toJson(JSON)) + "\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
        done.put(r.id(), r);
    }

    @Override
    public void close() throws IOException {
        if (out != null) out.close();
    }
}

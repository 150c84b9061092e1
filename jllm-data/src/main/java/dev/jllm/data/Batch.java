package dev.jllm.data;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

/**
 * A run of whole documents cut from one input file by the reader (about 1 MiB), and the work a
 * worker does on it: split into documents, decode UTF-8 (malformed bytes become U+FFFD), parse
 * JSON, run the {@link CleanPipeline}, serialize the output lines. Dedup is left to the committer,
 * which sees batches in input order.
 */
final class Batch {
    static final ObjectMapper JSON = new ObjectMapper();

    final String file;
    final long firstLine;
    final byte[] data;
    final boolean jsonl, paragraphs;
    final long rawBytes;

    Batch(String file, long firstLine, byte[] data, boolean jsonl, boolean paragraphs, long rawBytes) {
        this.file = file;
        this.firstLine = firstLine;
        this.data = data;
        this.jsonl = jsonl;
        this.paragraphs = paragraphs;
        this.rawBytes = rawBytes;
    }

    /** A kept document, waiting for the committer's dedup decision. */
    record Kept(String source, String text, byte[] json, long[] hash, long[] bands, TextStats after) {}

    /** What a worker hands the committer: partial stats, kept documents, serialized rejections. */
    static final class Result {
        final CleanStats stats = new CleanStats();
        final List<Kept> kept = new ArrayList<>();
        final ByteArrayOutputStream rejected = new ByteArrayOutputStream();
        String missingFieldMessage;
        int docsWithField;
        long rawBytes;
    }

    Result process(CleanPipeline pipeline, String textField, boolean writeRejected) {
        Result r = new Result();
        r.rawBytes = rawBytes;
        r.stats.bytesIn = data.length;
        long line = firstLine;
        int n = data.length;
        int start = 0;
        while (start < n) {
            int end;
            long docLine = line;
            if (paragraphs) {
                int[] p = nextParagraph(data, start, n);
                // p = {docStart, docEnd, next, linesConsumed}
                line += p[3];
                docLine += p[4];
                if (p[0] < p[1]) document(r, pipeline, textField, writeRejected, p[0], p[1], docLine);
                start = p[2];
                continue;
            }
            end = start;
            while (end < n && data[end] != '\n') end++;
            int e = end;
            if (e > start && data[e - 1] == '\r') e--;
            if (e > start) document(r, pipeline, textField, writeRejected, start, e, docLine);
            line++;
            start = end + 1;
        }
        return r;
    }

    /** {docStart, docEnd, next, lines consumed, line offset of the doc's first line}: a paragraph ends at a blank line. */
    private static int[] nextParagraph(byte[] d, int start, int n) {
        int lines = 0;
        int i = start;
        // skip leading blank lines
        while (i < n) {
            int j = i;
            while (j < n && (d[j] == ' ' || d[j] == '\t' || d[j] == '\r')) j++;
            if (j < n && d[j] == '\n') {
                i = j + 1;
                lines++;
            } else {
                break;
            }
        }
        int docStart = i, docLineOffset = lines;
        int docEnd = i;
        while (i < n) {
            int lineStart = i;
            while (i < n && d[i] != '\n') i++;
            boolean blank = true;
            for (int k = lineStart; k < i; k++) if (d[k] != ' ' && d[k] != '\t' && d[k] != '\r') blank = false;
            if (blank && lineStart > docStart) break;
            docEnd = i;
            if (i < n) {
                i++;
                lines++;
            }
        }
        return new int[] {docStart, docEnd, i, lines, docLineOffset};
    }

    private void document(Result r, CleanPipeline pipeline, String textField, boolean writeRejected, int from, int to, long lineNo) {
        String raw = new String(data, from, to - from, StandardCharsets.UTF_8);
        String source = file + ":" + lineNo;
        ObjectNode obj = null;
        String text = raw;
        if (jsonl) {
            JsonNode node;
            try {
                node = JSON.readTree(raw);
            } catch (JsonProcessingException e) {
                malformed(r, source, "invalid JSON: " + e.getOriginalMessage(), raw);
                return;
            }
            if (node == null || !node.isObject()) {
                malformed(r, source, "not a JSON object", raw);
                return;
            }
            obj = (ObjectNode) node;
            JsonNode t = obj.get(textField);
            if (t == null) {
                r.stats.missingField++;
                if (r.missingFieldMessage == null) {
                    StringBuilder fields = new StringBuilder();
                    for (Iterator<String> it = obj.fieldNames(); it.hasNext(); ) fields.append(fields.length() == 0 ? "" : ", ").append(it.next());
                    r.missingFieldMessage = source + ": no field '" + textField + "'; the object has: " + fields + " (choose one with --text-field)";
                    r.stats.example("missing_field", source, r.missingFieldMessage, raw);
                }
                return;
            }
            if (!t.isTextual()) {
                malformed(r, source, "field '" + textField + "' is " + t.getNodeType().toString().toLowerCase() + ", not a string", raw);
                return;
            }
            r.docsWithField++;
            text = t.textValue();
        }
        r.stats.docsIn++;
        CleanPipeline.Outcome o = pipeline.process(text);
        r.stats.before(o.before());
        r.stats.c4LinesDropped += o.linesDropped();
        if (!o.kept()) {
            r.stats.reject(o.filter(), source, o.reason(), o.text());
            if (writeRejected) rejectedLine(r.rejected, source, o.filter(), o.reason(), o.text());
            return;
        }
        byte[] json;
        try {
            if (obj != null) {
                obj.put(textField, o.text());
                json = JSON.writeValueAsBytes(obj);
            } else {
                ObjectNode out = JSON.createObjectNode();
                out.put("text", o.text());
                json = JSON.writeValueAsBytes(out);
            }
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
        r.kept.add(new Kept(source, o.text(), json, o.hash(), o.bands(), o.after()));
    }

    private static void malformed(Result r, String source, String why, String raw) {
        r.stats.malformed++;
        r.stats.example("malformed", source, why, raw);
    }

    static void rejectedLine(ByteArrayOutputStream out, String source, String filter, String reason, String text) {
        ObjectNode o = JSON.createObjectNode();
        o.put("source", source);
        o.put("filter", filter);
        o.put("reason", reason);
        o.put("text", text);
        try {
            out.write(JSON.writeValueAsBytes(o));
            out.write('\n');
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}

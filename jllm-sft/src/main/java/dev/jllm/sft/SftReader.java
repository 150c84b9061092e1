package dev.jllm.sft;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.BufferedInputStream;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.zip.GZIPInputStream;

/**
 * Reads a file of SFT records: JSONL (one object per line, blank lines ignored) or one JSON array of
 * objects (LLaMA-Factory's {@code .json} files), told apart by the first non-blank character; either
 * may be gzip-compressed ({@code .gz}). Records
 * are parsed one at a time (a JSON array is streamed), so a file needs no more memory than its
 * conversations.
 *
 * <p>Every problem is an {@link SftException} naming file and line: for JSONL the record's line, for
 * a JSON array the line where the object's '{' stands (Jackson's token location; a node tree keeps
 * no positions, so the field inside the record is named by its path instead). With
 * {@code skipBad}, bad records are counted and the first {@value #KEPT_ERRORS} messages kept; JSON
 * that does not parse inside an array is always fatal (the parser cannot find the next record).
 */
public final class SftReader {
    /** How many error messages a result keeps when bad records are skipped (the count is exact). */
    public static final int KEPT_ERRORS = 20;

    // a repeated key is a broken export (which value was meant?); text after a JSONL record is a lost record
    private static final ObjectMapper ARRAY = JsonMapper.builder().enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION).build();
    private static final ObjectMapper LINE = ARRAY.copy().enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
    private static final Pattern SOURCE_NOTE = Pattern.compile("\\s*\\(start marker at \\[Source:[^\\]]*\\]\\)|\\s*at \\[Source:[^\\]]*\\]");

    /**
     * @param format    the record shape, or AUTO per record
     * @param variables {@code {{name}}} values; null = texts kept as they are, non-null = every placeholder must have a value
     * @param skipBad   count bad records (and keep reading) instead of failing at the first
     */
    public record Options(Format format, Map<String, String> variables, boolean skipBad) {
        public static final Options DEFAULT = new Options(Format.AUTO, null, false);

        public Options {
            format = format == null ? Format.AUTO : format;
            variables = variables == null ? null : Map.copyOf(variables);
        }
    }

    /** The good records in file order, how many were bad, and the first bad ones' messages. */
    public record Result(List<Conversation> conversations, int badRecords, List<String> errors) {
        public Result {
            conversations = List.copyOf(conversations);
            errors = List.copyOf(errors);
        }
    }

    private SftReader() {}

    public static Result read(Path file, Options options) throws IOException {
        RecordParser parser = new RecordParser(options.format(), new Placeholders(options.variables()));
        Run<Conversation> run = new Run<>(file.toString(), options, parser::parse);
        run.read(file);
        return new Result(run.out, run.bad, run.errors);
    }

    /** One JSON record → T, or a {@link RecordError} saying what is wrong with it. */
    @FunctionalInterface
    interface RecordFn<T> {
        T parse(JsonNode rec, String file, long line, int index);
    }

    /** Jackson's message without its "[Source: REDACTED ...]" notes: the file and line are already in front. */
    private static String message(JsonProcessingException e) {
        return SOURCE_NOTE.matcher(e.getOriginalMessage()).replaceAll("");
    }

    /** Reads the records of one file (JSONL or a JSON array, gzip or not) through {@code fn}. */
    static final class Run<T> {
        final String name;
        final Options options;
        final RecordFn<T> parser;
        final List<T> out = new ArrayList<>();
        final List<String> errors = new ArrayList<>();
        int bad;
        int index;

        Run(String name, Options options, RecordFn<T> parser) {
            this.name = name;
            this.options = options;
            this.parser = parser;
        }

        void read(Path file) throws IOException {
            int first = firstChar(file);
            if (first == '[') readArray(file);
            else if (first >= 0) readLines(file, first);
        }

        /** Turns a record into a conversation, or counts/raises its error with this file and line. */
        void accept(JsonNode rec, long line) {
            int i = index++;
            try {
                out.add(parser.parse(rec, name, line, i));
            } catch (RecordError e) {
                fail(line, "record " + (i + 1) + ": " + e.getMessage());
            }
        }

        void fail(long line, String detail) {
            SftException e = new SftException(name, line, detail);
            if (!options.skipBad()) throw e;
            bad++;
            if (errors.size() < KEPT_ERRORS) errors.add(e.getMessage());
        }

        void readLines(Path file, int first) throws IOException {
            var decoder = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT);
            long lineNo = 0;
            try (BufferedReader r = new BufferedReader(new InputStreamReader(open(file), decoder))) {
                for (String line; (line = r.readLine()) != null; ) {
                    lineNo++;
                    if (lineNo == 1 && line.startsWith("\uFEFF")) line = line.substring(1);
                    if (line.isBlank()) continue;
                    JsonNode rec;
                    try {
                        rec = LINE.readTree(line);
                    } catch (JsonProcessingException e) {
                        JsonLocation at = e.getLocation();
                        String hint = lineNo == 1 && first == '{' && line.strip().equals("{")
                                ? " (a JSON object spread over several lines? expected JSONL: one record per line, or a JSON array of records)" : "";
                        index++;
                        fail(lineNo, "record " + index + ": invalid JSON" + (at != null ? " at column " + at.getColumnNr() : "") + ": "
                                + message(e) + hint);
                        continue;
                    }
                    accept(rec, lineNo);
                }
            } catch (CharacterCodingException e) {
                throw new SftException(name, lineNo + 1, "invalid UTF-8");
            }
        }

        void readArray(Path file) throws IOException {
            try (JsonParser p = ARRAY.createParser(open(file))) {
                if (p.nextToken() != JsonToken.START_ARRAY) throw new SftException(name, 1, "expected a JSON array of records");
                for (JsonToken t; (t = p.nextToken()) != JsonToken.END_ARRAY; ) {
                    if (t == null) throw new SftException(name, p.currentLocation().getLineNr(), "the JSON array is not closed");
                    long line = p.currentTokenLocation().getLineNr();
                    JsonNode rec = ARRAY.readTree(p);
                    accept(rec, line);
                }
                if (p.nextToken() != null) throw new SftException(name, p.currentTokenLocation().getLineNr(), "text after the JSON array's closing ']'");
            } catch (JsonProcessingException e) {
                JsonLocation at = e.getLocation();
                throw new SftException(name, at == null ? 0 : at.getLineNr(), "invalid JSON" + (at != null ? " at column " + at.getColumnNr() : "")
                        + ": " + message(e) + " (a JSON array that does not parse cannot be read past this point)");
            }
        }

        /** The file's bytes, gunzipped when its name ends in .gz (as jllm clean reads corpora). */
        static InputStream open(Path file) throws IOException {
            InputStream in = new BufferedInputStream(Files.newInputStream(file), 1 << 16);
            return file.getFileName().toString().endsWith(".gz") ? new GZIPInputStream(in, 1 << 16) : in;
        }

        /** The first character that is not whitespace or a byte-order mark, or -1 for an empty file. */
        static int firstChar(Path file) throws IOException {
            try (InputStream in = open(file)) {
                for (int b; (b = in.read()) >= 0; ) {
                    if (b == 0xEF || b == 0xBB || b == 0xBF || Character.isWhitespace(b)) continue;
                    return b;
                }
                return -1;
            }
        }
    }
}

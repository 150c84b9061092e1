package dev.jllm.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Reading the inputs of {@code jllm eval score/bootstrap/compare}: line-aligned text files and per-item
 * score JSONL. Every problem is one line naming the file, the line and the value at fault.
 */
final class EvalFiles {
    private EvalFiles() {}

    /** One per-item score; {@code id} is null when the file gives none. */
    record Scored(String id, double score, int line) {}

    private static final ObjectMapper JSON = new ObjectMapper().enable(com.fasterxml.jackson.databind.DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    /**
     * A whole UTF-8 text file; invalid UTF-8 is an error naming the file and the line (Files.readString
     * says only "Input length = 1"). A byte-order mark is dropped.
     */
    static String text(Path file) throws IOException {
        byte[] bytes = Files.readAllBytes(file);
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            throw new IllegalArgumentException(file + ": line " + badUtf8Line(bytes) + ": not valid UTF-8 (a file cut in the middle of a"
                    + " character, or another encoding: convert it with iconv -t UTF-8)");
        }
        return text.startsWith("\uFEFF") ? text.substring(1) : text;
    }

    /** The lines of a UTF-8 text file (\n or \r\n; a final newline does not make an empty last line). */
    static List<String> lines(Path file) throws IOException {
        String text = text(file);
        List<String> out = new ArrayList<>();
        if (text.isEmpty()) return out;
        String[] parts = text.split("\n", -1);
        int n = text.endsWith("\n") ? parts.length - 1 : parts.length;
        for (int i = 0; i < n; i++) out.add(parts[i].endsWith("\r") ? parts[i].substring(0, parts[i].length() - 1) : parts[i]);
        return out;
    }

    private static int badUtf8Line(byte[] bytes) {
        int line = 1, start = 0;
        for (int i = 0; i <= bytes.length; i++) {
            if (i == bytes.length || bytes[i] == '\n') {
                try {
                    StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes, start, i - start));
                } catch (CharacterCodingException e) {
                    return line;
                }
                line++;
                start = i + 1;
            }
        }
        return line;
    }

    /**
     * Per-item scores: each non-blank line is a number ({@code 1}, {@code 0.5}), {@code true}/{@code false},
     * or a JSON object with a numeric or boolean "score" and, when {@code needId}, an "id".
     */
    static List<Scored> scores(Path file, boolean needId) throws IOException {
        List<String> lines = lines(file);
        List<Scored> out = new ArrayList<>();
        Map<String, Integer> seen = new HashMap<>();
        for (int i = 0; i < lines.size(); i++) {
            String raw = lines.get(i).strip();
            if (raw.isEmpty()) continue;
            int line = i + 1;
            JsonNode node;
            try {
                node = JSON.readTree(raw);
            } catch (IOException e) {
                throw new IllegalArgumentException(file + ": line " + line + ": not JSON: '" + clip(raw) + "'");
            }
            JsonNode score = node != null && node.isObject() ? node.get("score") : node;
            if (score == null) throw new IllegalArgumentException(file + ": line " + line + ": no \"score\" field in '" + clip(raw) + "'");
            double v;
            if (score.isBoolean()) v = score.asBoolean() ? 1 : 0;
            else if (score.isNumber() && Double.isFinite(score.asDouble())) v = score.asDouble();
            else throw new IllegalArgumentException(file + ": line " + line + ": score must be a number or true/false, got '" + clip(score.toString()) + "'");
            String id = null;
            if (node.isObject() && node.hasNonNull("id")) {
                JsonNode idNode = node.get("id");
                if (!idNode.isTextual() && !idNode.isNumber()) {
                    throw new IllegalArgumentException(file + ": line " + line + ": id must be a string or number, got '" + clip(idNode.toString()) + "'");
                }
                id = idNode.asText();
                Integer prev = seen.put(id, line);
                if (prev != null) throw new IllegalArgumentException(file + ": line " + line + ": id '" + id + "' already used on line " + prev);
            } else if (needId) {
                throw new IllegalArgumentException(file + ": line " + line + ": no \"id\" field (items are matched by id) in '" + clip(raw) + "'");
            }
            out.add(new Scored(id, v, line));
        }
        if (out.isEmpty()) throw new IllegalArgumentException(file + ": no scores (expected one JSON value or object per line)");
        return out;
    }

    private static String clip(String s) {
        return s.length() <= 60 ? s : s.substring(0, 57) + "...";
    }
}

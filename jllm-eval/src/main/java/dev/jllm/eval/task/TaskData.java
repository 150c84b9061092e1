package dev.jllm.eval.task;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A task's items and few-shot examples, read from JSONL (one object per line; blank lines skipped)
 * or the CSV formats. Ids must be unique: they key resumption and {@code jllm eval compare}.
 */
public final class TaskData {
    private TaskData() {}

    private static final ObjectMapper JSON = new ObjectMapper().enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    /** The items to evaluate. */
    public static List<TaskItem> items(TaskSpec spec) throws IOException {
        return unique(read(spec, spec.data()));
    }

    /** The few-shot pool (the dev split), empty without one. */
    public static List<TaskItem> dev(TaskSpec spec) throws IOException {
        return spec.dev() == null ? List.of() : read(spec, spec.dev());
    }

    private static List<TaskItem> read(TaskSpec spec, Path path) throws IOException {
        List<TaskItem> items = spec.format() == TaskSpec.Format.JSONL ? jsonl(path, spec.idField(), spec.categoryField())
                : CsvFormats.read(path, spec.format());
        if (items.isEmpty()) throw new IllegalArgumentException(path + ": no items");
        return items;
    }

    private static List<TaskItem> unique(List<TaskItem> items) {
        Map<String, TaskItem> seen = new HashMap<>();
        for (TaskItem it : items) {
            TaskItem prev = seen.put(it.id(), it);
            if (prev != null) throw new IllegalArgumentException(it.where() + ": id '" + it.id() + "' already used at " + prev.where());
        }
        return items;
    }

    static List<TaskItem> jsonl(Path file, String idField, String categoryField) throws IOException {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException(file + ": no such file");
        }
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            throw new IllegalArgumentException(file + ": not valid UTF-8");
        }
        String[] lines = text.split("\n", -1);
        List<TaskItem> out = new ArrayList<>();
        for (int i = 0; i < lines.length; i++) {
            String raw = lines[i].strip();
            if (raw.isEmpty()) continue;
            int line = i + 1;
            JsonNode node;
            try {
                node = JSON.readTree(raw);
            } catch (IOException e) {
                throw new IllegalArgumentException(file + ": line " + line + ": not a JSON object: '" + clip(raw) + "'");
            }
            if (node == null || !node.isObject()) throw new IllegalArgumentException(file + ": line " + line + ": not a JSON object: '" + clip(raw) + "'");
            Map<String, Object> fields = new LinkedHashMap<>();
            for (Map.Entry<String, JsonNode> e : node.properties()) fields.put(e.getKey(), value(file, line, e.getKey(), e.getValue()));
            String id = "line " + line;
            if (idField != null) id = scalar(file, line, idField, fields);
            String category = categoryField == null ? null : scalar(file, line, categoryField, fields);
            out.add(new TaskItem(id, file, line, fields, category));
        }
        return out;
    }

    private static String scalar(Path file, int line, String field, Map<String, Object> fields) {
        Object v = fields.get(field);
        if (v == null) throw new IllegalArgumentException(file + ": line " + line + ": field '" + field + "' missing (fields: " + String.join(", ", fields.keySet()) + ")");
        if (v instanceof List) throw new IllegalArgumentException(file + ": line " + line + ": field '" + field + "' must be a string or number, got a list");
        return v.toString();
    }

    private static Object value(Path file, int line, String field, JsonNode n) {
        if (n.isTextual()) return n.asText();
        if (n.isIntegralNumber()) return n.asLong();
        if (n.isNumber()) return n.asDouble();
        if (n.isBoolean()) return n.asBoolean();
        if (n.isNull()) return null;
        if (n.isArray()) {
            List<Object> l = new ArrayList<>();
            for (JsonNode e : n) {
                if (e.isContainerNode() || e.isNull()) {
                    throw new IllegalArgumentException(file + ": line " + line + ": field '" + field + "': list entries must be strings or numbers");
                }
                l.add(e.isTextual() ? e.asText() : value(file, line, field, e));
            }
            return List.copyOf(l);
        }
        return n.toString(); // an object: kept as its JSON text; a template cannot use it meaningfully
    }

    static String clip(String s) {
        return s.length() <= 60 ? s : s.substring(0, 57) + "...";
    }
}

package dev.jllm.eval.task;

import java.nio.file.Path;
import java.util.Map;

/**
 * One item of a task as read from its file: its id, where it came from (for messages), its fields
 * (JSON values: String, Number, Boolean, List) and its category (null without one).
 */
public record TaskItem(String id, Path file, int line, Map<String, Object> fields, String category) {
    public TaskItem {
        fields = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(fields));
    }

    /** "file: line N" for messages. */
    public String where() {
        return file + ": line " + line;
    }
}

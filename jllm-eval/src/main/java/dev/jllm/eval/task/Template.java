package dev.jllm.eval.task;

import java.util.List;

/**
 * A prompt template: {@code {field}} is replaced by the item's field, {@code {{} and {@code }}} are
 * literal braces. A field that is missing or a list is an error naming the item's file and line,
 * the field and the template's key.
 */
final class Template {
    private Template() {}

    static String render(String template, TaskItem item, String key) {
        StringBuilder out = new StringBuilder();
        int i = 0;
        while (i < template.length()) {
            char c = template.charAt(i);
            if (c == '{' && i + 1 < template.length() && template.charAt(i + 1) == '{') {
                out.append('{');
                i += 2;
            } else if (c == '}' && i + 1 < template.length() && template.charAt(i + 1) == '}') {
                out.append('}');
                i += 2;
            } else if (c == '{') {
                int end = template.indexOf('}', i);
                if (end < 0) throw new IllegalArgumentException("template '" + key + "' has an unclosed '{' at character " + (i + 1) + " (write {{ for a literal brace)");
                String field = template.substring(i + 1, end);
                out.append(field(item, field, key));
                i = end + 1;
            } else {
                out.append(c);
                i++;
            }
        }
        return out.toString();
    }

    static String field(TaskItem item, String field, String key) {
        if (!item.fields().containsKey(field)) {
            throw new IllegalArgumentException(item.where() + ": field '" + field + "' (used by '" + key + "') missing (fields: "
                    + String.join(", ", item.fields().keySet()) + ")");
        }
        Object v = item.fields().get(field);
        if (v == null) throw new IllegalArgumentException(item.where() + ": field '" + field + "' (used by '" + key + "') is null");
        if (v instanceof List) throw new IllegalArgumentException(item.where() + ": field '" + field + "' (used by '" + key + "') is a list, not text");
        return v.toString();
    }
}

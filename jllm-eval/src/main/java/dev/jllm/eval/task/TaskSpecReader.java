package dev.jllm.eval.task;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.jllm.eval.metrics.TextMetric;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * Reads a task YAML into a {@link TaskSpec}. Every key is checked: an unknown key, a key the task's
 * type does not use, or a value of the wrong kind is an error naming the file, the line and the key,
 * so nothing written in a task file is silently ignored. The CSV formats (mmlu, ceval, cmmlu) fill in
 * lm-evaluation-harness's prompt for them unless the file gives its own.
 */
public final class TaskSpecReader {
    private TaskSpecReader() {}

    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

    private static final Set<String> COMMON = Set.of("name", "type");
    private static final Set<String> ITEMS = Set.of("data", "format", "dev", "fewshot", "description", "prompt", "answer", "id", "category",
            "metrics", "target_delimiter", "fewshot_delimiter");
    private static final Set<String> MC = Set.of("choices", "choices_field");
    private static final Set<String> GEN = Set.of("target", "lang", "extract", "regex", "max_tokens", "stop", "length_limit");
    private static final Set<String> PPL = Set.of("text", "ctx");

    public static TaskSpec read(Path file) throws IOException {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException(file + ": no such task file");
        }
        JsonNode root;
        try {
            root = YAML.readTree(bytes);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(file + ": line " + e.getLocation().getLineNr() + ": not valid YAML: " + yamlProblem(e.getOriginalMessage()));
        }
        if (root == null || !root.isObject()) throw new IllegalArgumentException(file + ": expected a mapping of keys (name:, type:, data: ...)");
        Fields f = new Fields(file, root, keyLines(bytes));
        String typeName = f.string("type", null);
        if (typeName == null) throw new IllegalArgumentException(file + ": missing key 'type' (multiple_choice, generate or perplexity)");
        TaskSpec.Type type = f.oneOf("type", typeName, TaskSpec.Type.class);
        Set<String> allowed = new java.util.HashSet<>(COMMON);
        switch (type) {
            case MULTIPLE_CHOICE -> { allowed.addAll(ITEMS); allowed.addAll(MC); }
            case GENERATE -> { allowed.addAll(ITEMS); allowed.addAll(GEN); }
            case PERPLEXITY -> allowed.addAll(PPL);
        }
        for (Iterator<String> it = root.fieldNames(); it.hasNext(); ) {
            String k = it.next();
            if (allowed.contains(k)) continue;
            boolean known = COMMON.contains(k) || ITEMS.contains(k) || MC.contains(k) || GEN.contains(k) || PPL.contains(k);
            throw f.error(k, known ? "key '" + k + "' is not used by type " + type.wire() : "unknown key '" + k + "'");
        }
        Path dir = file.toAbsolutePath().getParent();
        String name = f.string("name", stem(file));
        if (type == TaskSpec.Type.PERPLEXITY) {
            String text = f.string("text", null);
            if (text == null) throw f.error("type", "type perplexity needs 'text: FILE'");
            int ctx = f.integer("ctx", 512);
            if (ctx < 4) throw f.error("ctx", "ctx must be >= 4, got " + ctx);
            return new TaskSpec(file, name, type, TaskSpec.Format.JSONL, null, null, 0, "", "", "", null, null, null, null, null,
                    List.of("perplexity"), TextMetric.Lang.EN, TaskSpec.Extract.STRIP, null, 0, List.of(), -1, " ", "\n\n",
                    dir.resolve(text), ctx);
        }
        TaskSpec.Format format = f.oneOf("format", f.string("format", "jsonl"), TaskSpec.Format.class);
        boolean csv = format != TaskSpec.Format.JSONL;
        String data = f.string("data", null);
        if (data == null) throw f.error("type", "missing key 'data' (the items: " + (csv ? "a CSV file or folder" : "a JSONL file") + ")");
        String dev = f.string("dev", null);
        int fewshot = f.integer("fewshot", 0);
        if (fewshot < 0) throw f.error("fewshot", "fewshot must be >= 0, got " + fewshot);
        if (fewshot > 0 && dev == null) throw f.error("fewshot", "fewshot " + fewshot + " needs a dev split: add 'dev: FILE'");
        boolean mc = type == TaskSpec.Type.MULTIPLE_CHOICE;
        // keys that only matter with few-shot examples, or that a CSV format fixes itself, would be silently unused
        List<String> fewshotOnly = new ArrayList<>(List.of("dev", "target", "fewshot_delimiter"));
        if (!mc) fewshotOnly.add("target_delimiter");
        for (String k : fewshotOnly) {
            if (fewshot == 0 && root.has(k)) throw f.error(k, "'" + k + "' is only used by few-shot examples; set fewshot: K (> 0) or remove it");
        }
        if (csv) {
            for (String k : List.of("id", "category")) {
                if (root.has(k)) throw f.error(k, "format " + format.wire() + " sets '" + k + "' itself (ids SUBJECT-ROW, category = subject); remove the key");
            }
        }
        String prompt = f.string("prompt", csv ? CsvFormats.prompt(format) : null);
        if (prompt == null) throw f.error("type", "missing key 'prompt' (the template, e.g. \"{question}\\nAnswer:\")");
        String description = f.string("description", csv ? CsvFormats.description(format) : "");
        String answer = f.string("answer", csv ? "answer" : null);
        if (answer == null) throw f.error("type", "missing key 'answer' (the item field with the gold answer)");
        String id = f.string("id", null);
        String category = f.string("category", csv ? "subject" : null);
        List<String> choices = mc ? f.strings("choices", null) : null;
        String choicesField = mc ? f.string("choices_field", null) : null;
        if (mc && csv && choices == null && choicesField == null) choices = List.of("A", "B", "C", "D");
        if (mc && (choices == null) == (choicesField == null)) {
            throw f.error(choices == null ? "type" : "choices", "multiple_choice needs exactly one of 'choices: [A, B, ...]' (templates) or"
                    + " 'choices_field: FIELD' (an item field with the list of choices)");
        }
        if (choices != null && choices.isEmpty()) throw f.error("choices", "choices must not be empty");
        List<String> known = mc ? TaskSpec.MC_METRICS : TaskSpec.GEN_METRICS;
        List<String> metrics = f.strings("metrics", mc ? TaskSpec.MC_METRICS : List.of("exact", "f1"));
        if (metrics.isEmpty()) throw f.error("metrics", "metrics must not be empty");
        for (String m : metrics) {
            if (!known.contains(m)) throw f.error("metrics", "unknown metric '" + m + "' for type " + type.wire() + " (" + String.join(", ", known) + ")");
        }
        TextMetric.Lang lang = f.oneOf("lang", f.string("lang", "en"), TextMetric.Lang.class);
        TaskSpec.Extract extract = f.oneOf("extract", f.string("extract", "strip"), TaskSpec.Extract.class);
        String regex = f.string("regex", null);
        if (extract == TaskSpec.Extract.REGEX) {
            if (regex == null) throw f.error("extract", "extract: regex needs 'regex: PATTERN'");
            try {
                Pattern.compile(regex);
            } catch (PatternSyntaxException e) {
                throw f.error("regex", "not a valid regular expression: " + e.getDescription() + " in '" + regex + "'");
            }
        } else if (regex != null) {
            throw f.error("regex", "'regex' is only used with 'extract: regex' (extract is " + extract.wire() + ")");
        }
        int maxTokens = f.integer("max_tokens", 64);
        if (maxTokens < 1) throw f.error("max_tokens", "max_tokens must be >= 1, got " + maxTokens);
        int lengthLimit = f.integer("length_limit", -1);
        if (metrics.contains("length") && lengthLimit < 0) throw f.error("metrics", "metric 'length' needs 'length_limit: N' (code points)");
        if (!metrics.contains("length") && lengthLimit >= 0) throw f.error("length_limit", "length_limit is only used by the metric 'length'; add it to metrics");
        return new TaskSpec(file, name, type, format, dir.resolve(data), dev == null ? null : dir.resolve(dev), fewshot, description, prompt,
                f.string("target", "{" + answer + "}"), choices, choicesField, answer, id, category, metrics, lang, extract, regex, maxTokens,
                f.strings("stop", List.of()), lengthLimit, f.string("target_delimiter", " "), f.string("fewshot_delimiter", "\n\n"), null, 0);
    }

    /** SnakeYAML's message without its source excerpt and caret lines: one line. */
    private static String yamlProblem(String message) {
        List<String> parts = new ArrayList<>();
        for (String l : message.split("\n")) {
            if (l.isBlank() || Character.isWhitespace(l.charAt(0))) continue;
            parts.add(l.strip());
        }
        return String.join("; ", parts);
    }

    private static String stem(Path file) {
        String n = file.getFileName().toString();
        int dot = n.lastIndexOf('.');
        return dot > 0 ? n.substring(0, dot) : n;
    }

    /** The line of each top-level key, for messages. */
    private static Map<String, Integer> keyLines(byte[] yaml) throws IOException {
        Map<String, Integer> lines = new HashMap<>();
        try (JsonParser p = YAML.getFactory().createParser(yaml)) {
            int depth = 0;
            JsonToken t;
            while ((t = p.nextToken()) != null) {
                if (t == JsonToken.START_OBJECT || t == JsonToken.START_ARRAY) depth++;
                else if (t == JsonToken.END_OBJECT || t == JsonToken.END_ARRAY) depth--;
                else if (t == JsonToken.FIELD_NAME && depth == 1) lines.putIfAbsent(p.currentName(), p.currentTokenLocation().getLineNr());
            }
        }
        return lines;
    }

    /** Typed access to the top-level keys, each error naming file, line and key. */
    private record Fields(Path file, JsonNode root, Map<String, Integer> lines) {
        IllegalArgumentException error(String key, String message) {
            Integer line = lines.get(key);
            return new IllegalArgumentException(file + (line != null ? ": line " + line : "") + ": " + message);
        }

        String string(String key, String def) {
            JsonNode n = root.get(key);
            if (n == null || n.isNull()) return def;
            if (!n.isValueNode() || n.isBoolean()) throw error(key, key + " must be a string, got " + kind(n));
            return n.asText();
        }

        int integer(String key, int def) {
            JsonNode n = root.get(key);
            if (n == null || n.isNull()) return def;
            if (!n.isIntegralNumber() || !n.canConvertToInt()) throw error(key, key + " must be an integer, got " + kind(n) + " '" + n.asText() + "'");
            return n.asInt();
        }

        List<String> strings(String key, List<String> def) {
            JsonNode n = root.get(key);
            if (n == null || n.isNull()) return def;
            if (!n.isArray()) throw error(key, key + " must be a list, e.g. [a, b], got " + kind(n));
            List<String> out = new ArrayList<>();
            for (JsonNode e : n) {
                if (!e.isValueNode() || e.isNull() || e.isBoolean()) throw error(key, key + " entries must be strings, got " + kind(e));
                out.add(e.asText());
            }
            return out;
        }

        <E extends Enum<E>> E oneOf(String key, String value, Class<E> type) {
            for (E e : type.getEnumConstants()) if (e.name().equalsIgnoreCase(value)) return e;
            List<String> names = new ArrayList<>();
            for (E e : type.getEnumConstants()) names.add(e.name().toLowerCase(Locale.ROOT));
            throw error(key, key + " must be one of " + String.join(", ", names) + ", got '" + value + "'");
        }

        private static String kind(JsonNode n) {
            return n.isObject() ? "a mapping" : n.isArray() ? "a list" : n.isBoolean() ? "a boolean" : n.isNumber() ? "a number" : n.isNull() ? "null" : "a string";
        }
    }
}

package dev.jllm.data;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * Builds a {@link CleanConfig}: defaults.yaml ← preset ← clean.yaml ← command-line overrides.
 * Every overriding key must exist in defaults.yaml (an unknown key is an error naming the file,
 * line and key); values are validated by the records' constructors.
 */
public final class CleanConfigLoader {
    private CleanConfigLoader() {}

    public static final List<String> PRESETS = List.of("seed", "zh-web", "en-web");

    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory())
            .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_CREATOR_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_MISSING_CREATOR_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES);

    /** The defaults with a preset (or none), a YAML file (or none) and "a.b.c" → value overrides. */
    public static CleanConfig load(String preset, Path file, Map<String, Object> overrides) throws IOException {
        ObjectNode tree = resource("defaults.yaml");
        String presetName = preset;
        ObjectNode fileTree = null;
        Map<String, Integer> lines = Map.of();
        if (file != null) {
            byte[] bytes = Files.readAllBytes(file);
            JsonNode node;
            try {
                node = YAML.readTree(bytes);
            } catch (JsonProcessingException e) {
                throw new IllegalArgumentException(file + ": line " + e.getLocation().getLineNr() + ": " + e.getOriginalMessage());
            }
            if (node != null && !node.isMissingNode() && !node.isNull()) {
                if (!node.isObject()) throw new IllegalArgumentException(file + ": expected a mapping of keys at the top level");
                fileTree = (ObjectNode) node;
                lines = keyLines(bytes);
                JsonNode p = fileTree.remove("preset");
                if (p != null && presetName == null) presetName = p.asText();
            }
        }
        if (presetName != null) {
            if (!PRESETS.contains(presetName)) throw new IllegalArgumentException("unknown preset '" + presetName + "' (known: " + String.join(", ", PRESETS) + ")");
            merge(tree, resource("presets/" + presetName + ".yaml"), "", "preset " + presetName, Map.of());
        }
        if (fileTree != null) merge(tree, fileTree, "", file.toString(), lines);
        for (Map.Entry<String, Object> e : overrides.entrySet()) {
            ObjectNode o = YAML.createObjectNode();
            ObjectNode cur = o;
            String[] parts = e.getKey().split("\\.");
            for (int i = 0; i < parts.length - 1; i++) cur = cur.putObject(parts[i]);
            cur.set(parts[parts.length - 1], YAML.valueToTree(e.getValue()));
            merge(tree, o, "", "command line", Map.of());
        }
        String where = file != null ? file.toString() : presetName != null ? "preset " + presetName : "defaults";
        try {
            return YAML.treeToValue(tree, CleanConfig.class);
        } catch (JsonProcessingException e) {
            Throwable c = e.getCause();
            String msg = c instanceof IllegalArgumentException ? c.getMessage() : e.getOriginalMessage();
            throw new IllegalArgumentException(where + ": " + msg + pathOf(e));
        }
    }

    /** The configuration as JSON (snake_case keys), e.g. to ship it to Spark executors. */
    public static String toJson(CleanConfig cfg) throws JsonProcessingException {
        return new ObjectMapper().setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE).writeValueAsString(cfg);
    }

    /** The inverse of {@link #toJson} (a complete configuration: no defaults are merged). */
    public static CleanConfig fromJson(String json) throws JsonProcessingException {
        return YAML.readValue(json, CleanConfig.class);
    }

    private static String pathOf(JsonProcessingException e) {
        if (e instanceof com.fasterxml.jackson.databind.JsonMappingException) {
            String p = ((com.fasterxml.jackson.databind.JsonMappingException) e).getPathReference();
            return p == null ? "" : " (at " + p.replace("dev.jllm.data.", "") + ")";
        }
        return "";
    }

    private static ObjectNode resource(String name) throws IOException {
        try (InputStream in = CleanConfigLoader.class.getResourceAsStream(name)) {
            if (in == null) throw new IllegalStateException("missing resource dev/jllm/data/" + name);
            return (ObjectNode) YAML.readTree(in);
        }
    }

    /** Overwrites base's values with over's, recursively; keys must already exist in base. */
    private static void merge(ObjectNode base, ObjectNode over, String prefix, String source, Map<String, Integer> lines) {
        Iterator<Map.Entry<String, JsonNode>> it = over.fields();
        while (it.hasNext()) {
            Map.Entry<String, JsonNode> e = it.next();
            String key = prefix + e.getKey();
            JsonNode old = base.get(e.getKey());
            if (old == null) {
                Integer line = lines.get(key);
                StringBuilder known = new StringBuilder();
                base.fieldNames().forEachRemaining(k -> known.append(known.length() == 0 ? "" : ", ").append(k));
                throw new IllegalArgumentException(source + (line != null ? ": line " + line : "") + ": unknown key '" + key + "' (known here: " + known + ")");
            }
            if (old.isObject()) {
                if (!e.getValue().isObject()) {
                    Integer line = lines.get(key);
                    throw new IllegalArgumentException(source + (line != null ? ": line " + line : "") + ": '" + key + "' must be a mapping");
                }
                merge((ObjectNode) old, (ObjectNode) e.getValue(), key + ".", source, lines);
            } else {
                base.set(e.getKey(), e.getValue());
            }
        }
    }

    /** "a.b.c" → line of that key in the YAML text, for error messages. */
    private static Map<String, Integer> keyLines(byte[] yaml) throws IOException {
        Map<String, Integer> lines = new HashMap<>();
        Deque<String> path = new ArrayDeque<>();
        String pending = null;
        try (JsonParser p = YAML.getFactory().createParser(yaml)) {
            JsonToken t;
            while ((t = p.nextToken()) != null) {
                if (t == JsonToken.FIELD_NAME) {
                    pending = p.currentName();
                    JsonLocation loc = p.currentTokenLocation();
                    String prefix = path.isEmpty() ? "" : String.join(".", (Iterable<String>) path::descendingIterator) + ".";
                    lines.put(prefix + pending, loc.getLineNr());
                } else if (t == JsonToken.START_OBJECT) {
                    if (pending != null) path.push(pending);
                    else if (!path.isEmpty() || lines.size() > 0) path.push("[]");
                    pending = null;
                } else if (t == JsonToken.END_OBJECT) {
                    if (!path.isEmpty()) path.pop();
                } else if (t == JsonToken.START_ARRAY) {
                    p.skipChildren();
                    pending = null;
                } else {
                    pending = null;
                }
            }
        }
        return lines;
    }
}

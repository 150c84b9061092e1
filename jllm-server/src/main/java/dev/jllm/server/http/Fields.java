package dev.jllm.server.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;

/**
 * Typed reads of request fields; every failure is a 400 that names the field by its JSON path
 * (e.g. {@code messages[2].content}). JSON null counts as absent, as in OpenAI's API.
 */
final class Fields {
    private Fields() {}

    static String path(String parent, String name) {
        return parent == null || parent.isEmpty() ? name : parent + "." + name;
    }

    private static JsonNode get(ObjectNode o, String name) {
        JsonNode n = o.get(name);
        return n == null || n.isNull() ? null : n;
    }

    static String optString(ObjectNode o, String name, String parent) {
        JsonNode n = get(o, name);
        if (n == null) return null;
        if (!n.isTextual()) throw ApiException.invalid(path(parent, name), "'" + path(parent, name) + "' must be a string, got " + kind(n));
        return n.asText();
    }

    static String reqString(ObjectNode o, String name, String parent) {
        String s = optString(o, name, parent);
        if (s == null) throw ApiException.invalid(path(parent, name), "'" + path(parent, name) + "' is required");
        return s;
    }

    static Boolean optBool(ObjectNode o, String name, String parent) {
        JsonNode n = get(o, name);
        if (n == null) return null;
        if (!n.isBoolean()) throw ApiException.invalid(path(parent, name), "'" + path(parent, name) + "' must be a boolean, got " + kind(n));
        return n.asBoolean();
    }

    static Integer optInt(ObjectNode o, String name, String parent, long min, long max) {
        JsonNode n = get(o, name);
        if (n == null) return null;
        String p = path(parent, name);
        if (!n.isIntegralNumber() || !n.canConvertToLong()) throw ApiException.invalid(p, "'" + p + "' must be an integer, got " + kind(n));
        long v = n.asLong();
        if (v < min || v > max) throw ApiException.invalid(p, "'" + p + "' must be in [" + min + ", " + max + "], got " + v);
        return (int) v;
    }

    static Long optLong(ObjectNode o, String name, String parent) {
        JsonNode n = get(o, name);
        if (n == null) return null;
        String p = path(parent, name);
        if (!n.isIntegralNumber() || !n.canConvertToLong()) throw ApiException.invalid(p, "'" + p + "' must be an integer, got " + kind(n));
        return n.asLong();
    }

    static Double optNumber(ObjectNode o, String name, String parent, double min, double max) {
        JsonNode n = get(o, name);
        if (n == null) return null;
        String p = path(parent, name);
        if (!n.isNumber()) throw ApiException.invalid(p, "'" + p + "' must be a number, got " + kind(n));
        double v = n.asDouble();
        if (!(v >= min && v <= max)) throw ApiException.invalid(p, "'" + p + "' must be in [" + min + ", " + max + "], got " + v);
        return v;
    }

    static ObjectNode optObject(ObjectNode o, String name, String parent) {
        JsonNode n = get(o, name);
        if (n == null) return null;
        if (!(n instanceof ObjectNode on)) throw ApiException.invalid(path(parent, name), "'" + path(parent, name) + "' must be an object, got " + kind(n));
        return on;
    }

    static ArrayNode optArray(ObjectNode o, String name, String parent) {
        JsonNode n = get(o, name);
        if (n == null) return null;
        if (!(n instanceof ArrayNode a)) throw ApiException.invalid(path(parent, name), "'" + path(parent, name) + "' must be an array, got " + kind(n));
        return a;
    }

    /** An element of an array that must be an object. */
    static ObjectNode object(JsonNode n, String p) {
        if (!(n instanceof ObjectNode o)) throw ApiException.invalid(p, "'" + p + "' must be an object, got " + kind(n));
        return o;
    }

    /** A string or an array of strings (OpenAI's {@code stop}); null if absent. */
    static List<String> optStrings(ObjectNode o, String name, String parent, int max) {
        JsonNode n = get(o, name);
        if (n == null) return null;
        String p = path(parent, name);
        List<String> out = new ArrayList<>();
        if (n.isTextual()) {
            out.add(n.asText());
        } else if (n.isArray()) {
            for (int i = 0; i < n.size(); i++) {
                if (!n.get(i).isTextual()) throw ApiException.invalid(p, "'" + p + "[" + i + "]' must be a string, got " + kind(n.get(i)));
                out.add(n.get(i).asText());
            }
        } else {
            throw ApiException.invalid(p, "'" + p + "' must be a string or an array of strings, got " + kind(n));
        }
        if (out.size() > max) throw ApiException.invalid(p, "'" + p + "' may hold at most " + max + " strings, got " + out.size());
        for (String s : out) if (s.isEmpty()) throw ApiException.invalid(p, "'" + p + "' must not contain empty strings");
        return out;
    }

    static String kind(JsonNode n) {
        return switch (n.getNodeType()) {
            case STRING -> "a string";
            case NUMBER -> "a number";
            case BOOLEAN -> "a boolean";
            case ARRAY -> "an array";
            case OBJECT -> "an object";
            case NULL -> "null";
            default -> n.getNodeType().name().toLowerCase(java.util.Locale.ROOT);
        };
    }
}

package dev.jllm.grammar;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.BinaryOperator;

/**
 * JSON Schema → GBNF, a port of llama.cpp's common/json-schema-to-grammar.cpp (same rule names and
 * text, so its published test cases apply): types (and lists of types), properties / required /
 * additionalProperties, enum / const, arrays with items / prefixItems / minItems / maxItems, nested
 * objects, anyOf / oneOf / allOf, $ref into $defs / definitions (local only), string minLength /
 * maxLength / pattern / format (date, time, date-time, uuid), integer minimum / maximum (exclusive too).
 * Properties come out in schema order (required ones first); objects without additionalProperties
 * get no extra keys.
 *
 * <p>Unlike llama.cpp, nothing is ignored: a keyword the chosen translation does not honour (e.g.
 * {@code multipleOf}, {@code minimum} on a number, {@code format: "email"}, an untranslatable
 * pattern) is a {@link GrammarException} naming the keyword and where it is, because a grammar that
 * dropped it could produce output that does not validate. Annotations ({@code title},
 * {@code description}, {@code default}, {@code examples}, ...) are fine.
 *
 * <p>Schemas come in as the plain tree a JSON parser gives (Map with insertion order, List, String,
 * Number, Boolean, null), so this module needs no JSON library.
 */
public final class JsonSchemaGrammar {
    private static final Set<String> ANNOTATIONS = Set.of("title", "description", "$schema", "$id", "$comment", "default", "examples",
            "deprecated", "readOnly", "writeOnly", "$defs", "definitions");
    private static final Set<String> TYPES = Set.of("string", "number", "integer", "boolean", "null", "object", "array");

    private final Map<String, String> rules = new TreeMap<>(); // sorted, as llama.cpp's std::map
    private final Map<String, Object> refs = new HashMap<>();
    private final Set<String> refsBeingResolved = new HashSet<>();

    public JsonSchemaGrammar() {
        rules.put("space", SchemaRules.SPACE_RULE);
    }

    /** The GBNF for values valid against {@code schema} (root rule {@code root}). */
    public static String compile(Object schema) {
        JsonSchemaGrammar c = new JsonSchemaGrammar();
        c.resolveRefs(schema);
        c.addSchema("root", schema);
        return c.format();
    }

    /** GBNF for any JSON object (response_format json_object). */
    public static String anyObject() {
        return compile(Map.of("type", "object"));
    }

    /** Adds a rule (llama.cpp's builder add_rule); returns its final name (a digit is appended on a clash). */
    public String addRule(String name, String rule) {
        String esc = name.replaceAll("[^a-zA-Z0-9-]+", "-");
        if (!rules.containsKey(esc) || rules.get(esc).equals(rule)) {
            rules.put(esc, rule);
            return esc;
        }
        int i = 0;
        while (rules.containsKey(esc + i) && !rules.get(esc + i).equals(rule)) i++;
        rules.put(esc + i, rule);
        return esc + i;
    }

    /** Adds the rules of a schema under {@code name} ("root" for the start rule); returns the rule name to reference. */
    public String addSchema(String name, Object schema) {
        return visit(object(schema, "#"), name.equals("root") ? "" : name, "#");
    }

    /** Registers the local $refs of a schema ("#/$defs/x", "#/definitions/x"); call before {@link #addSchema}. */
    public void resolveRefs(Object schema) {
        resolveRefs(schema, schema);
    }

    /** The grammar text: one {@code name ::= rule} line per rule, sorted by name. */
    public String format() {
        StringBuilder b = new StringBuilder();
        rules.forEach((k, v) -> b.append(k).append(" ::= ").append(v).append('\n'));
        return b.toString();
    }

    private void resolveRefs(Object n, Object root) {
        if (n instanceof List<?> l) {
            for (Object x : l) resolveRefs(x, root);
        } else if (n instanceof Map<?, ?> m) {
            Object r = m.get("$ref");
            if (r != null) {
                if (!(r instanceof String ref)) throw new GrammarException("'$ref' must be a string, got " + Json.write(r));
                if (refs.containsKey(ref)) return;
                if (!ref.startsWith("#/") && !ref.equals("#")) {
                    throw new GrammarException("'$ref' \"" + ref + "\" is not supported: only local references (#/$defs/..., #/definitions/...) are");
                }
                Object target = root;
                String[] parts = ref.substring(1).split("/", -1);
                for (int k = 1; k < parts.length; k++) {
                    String sel = parts[k].replace("~1", "/").replace("~0", "~");
                    if (target instanceof Map<?, ?> tm && tm.containsKey(sel)) {
                        target = tm.get(sel);
                    } else if (target instanceof List<?> tl && sel.matches("\\d+") && Integer.parseInt(sel) < tl.size()) {
                        target = tl.get(Integer.parseInt(sel));
                    } else {
                        throw new GrammarException("'$ref' \"" + ref + "\" does not resolve: '" + sel + "' is not in the schema");
                    }
                }
                refs.put(ref, target);
            } else {
                for (Object v : m.values()) resolveRefs(v, root);
            }
        }
    }

    /** Visits a schema and refuses any keyword the chosen translation did not honour. */
    private String visit(Map<String, Object> schema, String name, String path) {
        Set<String> used = new HashSet<>();
        String r = visit(schema, name, path, used);
        checkUsed(schema, used, path);
        return r;
    }

    private static void checkUsed(Map<String, Object> schema, Set<String> used, String path) {
        for (String k : schema.keySet()) {
            if (used.contains(k) || ANNOTATIONS.contains(k)) continue;
            String hint = switch (k) {
                case "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum" -> " (bounds are supported on type \"integer\" only)";
                case "minLength", "maxLength" -> " (length bounds need type \"string\" and no format/pattern)";
                case "format" -> " (supported formats: date, time, date-time, uuid)";
                case "minItems", "maxItems" -> " (item counts are supported with 'items', not with tuples)";
                case "required", "additionalProperties" -> " (needs type \"object\" with 'properties')";
                default -> "";
            };
            Object v = schema.get(k);
            String shown = v instanceof String s ? " \"" + s + "\"" : v instanceof Number || v instanceof Boolean ? " " + v : "";
            throw new GrammarException("JSON schema at '" + path + "': keyword '" + k + "'" + shown + " is not supported here" + hint
                    + "; remove it or use a supported form (jllm compiles schemas as llama.cpp's json-schema-to-grammar does)");
        }
    }

    private String visit(Map<String, Object> schema, String name, String path, Set<String> used) {
        Object type = schema.get("type");
        String ruleName = SchemaRules.isReserved(name) ? name + "-" : name.isEmpty() ? "root" : name;
        if (type instanceof String t && !TYPES.contains(t)) {
            throw new GrammarException("JSON schema at '" + path + "': 'type' \"" + t + "\" is not a JSON Schema type " + TYPES);
        }
        if (schema.containsKey("$ref")) {
            used.add("$ref");
            return addRule(ruleName, resolveRef((String) schema.get("$ref"), path));
        }
        if (schema.containsKey("oneOf") || schema.containsKey("anyOf")) {
            String k = schema.containsKey("oneOf") ? "oneOf" : "anyOf";
            used.add(k);
            List<?> alts = list(schema.get(k), path + "/" + k);
            if (type instanceof String t) {
                // a type beside the alternatives is honoured only if every alternative already produces it
                for (int i = 0; i < alts.size(); i++) {
                    String at = impliedType(object(alts.get(i), path + "/" + k + "/" + i));
                    if (!t.equals(at) && !(t.equals("number") && "integer".equals(at))) {
                        throw new GrammarException("JSON schema at '" + path + "': 'type' \"" + t + "\" beside '" + k + "' is supported only when every"
                                + " alternative is of that type, but " + k + "[" + i + "] is " + (at == null ? "not clearly typed" : "\"" + at + "\"")
                                + "; move the type into the alternatives");
                    }
                }
                used.add("type");
            }
            return addRule(ruleName, union(name, alts, path + "/" + k));
        }
        if (type instanceof List<?> types) {
            used.add("type");
            List<String> alts = new ArrayList<>();
            for (int i = 0; i < types.size(); i++) {
                Map<String, Object> copy = new LinkedHashMap<>(schema);
                copy.put("type", types.get(i));
                // each copy honours its own keywords: together they must honour all of them
                alts.add(visit(copy, name + (name.isEmpty() ? "alternative-" : "-") + i, path, used));
            }
            return addRule(ruleName, String.join(" | ", alts));
        }
        if (type != null && !(type instanceof String)) throw new GrammarException("JSON schema at '" + path + "': 'type' must be a string or an array of strings");
        String t = (String) type;
        if (schema.containsKey("const")) {
            used.addAll(List.of("const", "type"));
            checkValueType(schema.get("const"), t, path + "/const");
            return addRule(ruleName, constant(schema.get("const")));
        }
        if (schema.containsKey("enum")) {
            used.addAll(List.of("enum", "type"));
            List<String> vals = new ArrayList<>();
            for (Object v : list(schema.get("enum"), path + "/enum")) {
                checkValueType(v, t, path + "/enum");
                vals.add(constant(v));
            }
            if (vals.isEmpty()) throw new GrammarException("JSON schema at '" + path + "': 'enum' is empty; no value could match");
            return addRule(ruleName, "(" + String.join(" | ", vals) + ")");
        }
        Object additional = schema.get("additionalProperties");
        if ((t == null || t.equals("object")) && (schema.containsKey("properties") || (additional != null && !Boolean.TRUE.equals(additional)))) {
            used.addAll(List.of("type", "properties", "required", "additionalProperties"));
            Set<String> required = new HashSet<>();
            if (schema.get("required") instanceof List<?> req) for (Object r : req) if (r instanceof String s) required.add(s);
            Map<String, Object> props = schema.containsKey("properties") ? object(schema.get("properties"), path + "/properties") : Map.of();
            for (String r : required) {
                if (!props.containsKey(r)) {
                    throw new GrammarException("JSON schema at '" + path + "': 'required' names \"" + r + "\", which is not in 'properties'");
                }
            }
            return addRule(ruleName, objectRule(new ArrayList<>(props.entrySet()), required, name, additional, path));
        }
        if ((t == null || t.equals("object") || t.equals("string")) && schema.containsKey("allOf")) {
            used.addAll(List.of("type", "allOf"));
            return addRule(ruleName, allOf(schema, name, path));
        }
        if ((t == null || t.equals("array")) && (schema.containsKey("items") || schema.containsKey("prefixItems"))) {
            Object items = schema.containsKey("items") ? schema.get("items") : schema.get("prefixItems");
            boolean tuple = items instanceof List;
            // with both, llama.cpp uses 'items' and drops 'prefixItems': left unused, so refused below
            used.addAll(List.of("type", schema.containsKey("items") ? "items" : "prefixItems"));
            if (tuple) {
                List<?> l = list(items, path + "/prefixItems");
                StringBuilder rule = new StringBuilder("\"[\" space ");
                for (int i = 0; i < l.size(); i++) {
                    if (i > 0) rule.append(" \",\" space ");
                    rule.append(visit(object(l.get(i), path + "/prefixItems/" + i), name + (name.isEmpty() ? "" : "-") + "tuple-" + i, path + "/prefixItems/" + i));
                }
                return addRule(ruleName, rule.append(" space \"]\"").toString());
            }
            used.addAll(List.of("minItems", "maxItems"));
            String item = visit(object(items, path + "/items"), name + (name.isEmpty() ? "" : "-") + "item", path + "/items");
            int min = count(schema, "minItems", 0, path);
            int max = count(schema, "maxItems", -1, path);
            if (max >= 0 && max < min) throw new GrammarException("JSON schema at '" + path + "': maxItems " + max + " is below minItems " + min);
            return addRule(ruleName, "\"[\" space " + SchemaRules.repetition(item, min, max, "\",\" space") + " space \"]\"");
        }
        if ((t == null || t.equals("string")) && schema.containsKey("pattern")) {
            used.addAll(List.of("type", "pattern"));
            if (!(schema.get("pattern") instanceof String pat)) throw new GrammarException("JSON schema at '" + path + "': 'pattern' must be a string");
            try {
                return SchemaPattern.toRule(pat, ruleName, this::addRule);
            } catch (GrammarException e) {
                throw new GrammarException("JSON schema at '" + path + "': keyword 'pattern': " + e.getMessage());
            }
        }
        String format = schema.get("format") instanceof String f ? f : "";
        if ((t == null || t.equals("string")) && format.matches("uuid[1-5]?")) {
            used.addAll(List.of("type", "format"));
            return addPrimitive(ruleName.equals("root") ? "root" : format, SchemaRules.PRIMITIVES.get("uuid"));
        }
        if ((t == null || t.equals("string")) && SchemaRules.STRING_FORMATS.containsKey(format + "-string")) {
            used.addAll(List.of("type", "format"));
            String prim = format + "-string";
            return addRule(ruleName, addPrimitive(prim, SchemaRules.STRING_FORMATS.get(prim)));
        }
        if ("string".equals(t) && (schema.containsKey("minLength") || schema.containsKey("maxLength"))) {
            used.addAll(List.of("type", "minLength", "maxLength"));
            String ch = addPrimitive("char", SchemaRules.PRIMITIVES.get("char"));
            int min = count(schema, "minLength", 0, path), max = count(schema, "maxLength", -1, path);
            if (max >= 0 && max < min) throw new GrammarException("JSON schema at '" + path + "': maxLength " + max + " is below minLength " + min);
            return addRule(ruleName, "\"\\\"\" " + SchemaRules.repetition(ch, min, max, "") + " \"\\\"\"");
        }
        if ("integer".equals(t) && (schema.containsKey("minimum") || schema.containsKey("exclusiveMinimum") || schema.containsKey("maximum")
                || schema.containsKey("exclusiveMaximum"))) {
            used.addAll(List.of("type", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"));
            Long min = null, max = null;
            if (schema.containsKey("minimum")) min = integer(schema, "minimum", path);
            else if (schema.containsKey("exclusiveMinimum")) min = integer(schema, "exclusiveMinimum", path) + 1;
            if (schema.containsKey("maximum")) max = integer(schema, "maximum", path);
            else if (schema.containsKey("exclusiveMaximum")) max = integer(schema, "exclusiveMaximum", path) - 1;
            if (min != null && max != null && max < min) throw new GrammarException("JSON schema at '" + path + "': no integer is in [" + min + ", " + max + "]");
            StringBuilder out = new StringBuilder("(");
            SchemaRules.intRange(min, max, out, 16, true);
            return addRule(ruleName, out.append(")").toString());
        }
        if (schema.isEmpty() || "object".equals(t)) {
            used.add("type");
            if (Boolean.TRUE.equals(additional)) used.add("additionalProperties");
            return addRule(ruleName, addPrimitive("object", SchemaRules.PRIMITIVES.get("object")));
        }
        if (t == null) return addRule(ruleName, addPrimitive("value", SchemaRules.PRIMITIVES.get("value")));
        used.add("type");
        return addPrimitive(ruleName.equals("root") ? "root" : t, SchemaRules.PRIMITIVES.get(t));
    }

    /** The JSON type a schema's values surely have, or null when it cannot be told without compiling. */
    private String impliedType(Map<String, Object> s) {
        if (s.get("$ref") instanceof String ref && refs.get(ref) instanceof Map<?, ?> target && target != s) return impliedType(object(target, ref));
        if (s.get("type") instanceof String t) return t;
        if (s.containsKey("const")) return jsonType(s.get("const"));
        if (s.get("enum") instanceof List<?> l && !l.isEmpty()) {
            String t = jsonType(l.getFirst());
            for (Object v : l) if (!t.equals(jsonType(v))) return null;
            return t;
        }
        if (s.containsKey("properties") || s.containsKey("additionalProperties")) return "object";
        if (s.containsKey("items") || s.containsKey("prefixItems")) return "array";
        if (s.containsKey("pattern") || s.containsKey("format")) return "string";
        return null;
    }

    private static String jsonType(Object v) {
        return switch (v) {
            case null -> "null";
            case String x -> "string";
            case Boolean x -> "boolean";
            case Integer x -> "integer";
            case Long x -> "integer";
            case java.math.BigInteger x -> "integer";
            case Number x -> x.doubleValue() == Math.rint(x.doubleValue()) ? "integer" : "number";
            case Map<?, ?> x -> "object";
            case List<?> x -> "array";
            default -> "unknown";
        };
    }

    private static void checkValueType(Object v, String t, String path) {
        if (t == null) return;
        String vt = jsonType(v);
        if (!vt.equals(t) && !(t.equals("number") && vt.equals("integer"))) {
            throw new GrammarException("JSON schema at '" + path + "': the value " + Json.write(v) + " is not of the declared type \"" + t + "\"");
        }
    }

    private String union(String name, List<?> alts, String path) {
        if (alts.isEmpty()) throw new GrammarException("JSON schema at '" + path + "' is an empty list; no value could match");
        List<String> out = new ArrayList<>();
        for (int i = 0; i < alts.size(); i++) {
            out.add(visit(object(alts.get(i), path + "/" + i), name + (name.isEmpty() ? "alternative-" : "-") + i, path + "/" + i));
        }
        return String.join(" | ", out);
    }

    private String allOf(Map<String, Object> schema, String name, String path) {
        Set<String> required = new HashSet<>();
        List<Map.Entry<String, Object>> props = new ArrayList<>();
        Map<String, Integer> enumCounts = new TreeMap<>();
        List<?> parts = list(schema.get("allOf"), path + "/allOf");
        for (int i = 0; i < parts.size(); i++) {
            Map<String, Object> part = object(parts.get(i), path + "/allOf/" + i);
            if (part.containsKey("anyOf")) {
                List<?> any = list(part.get("anyOf"), path + "/allOf/" + i + "/anyOf");
                for (int j = 0; j < any.size(); j++) component(object(any.get(j), path), false, required, props, enumCounts, path + "/allOf/" + i + "/anyOf/" + j);
            } else {
                component(part, true, required, props, enumCounts, path + "/allOf/" + i);
            }
        }
        if (!enumCounts.isEmpty()) {
            List<String> common = new ArrayList<>();
            enumCounts.forEach((rule, n) -> {
                if (n == parts.size()) common.add(rule);
            });
            if (!common.isEmpty()) return "(" + String.join(" | ", common) + ")";
        }
        return objectRule(props, required, name, null, path);
    }

    private void component(Map<String, Object> comp, boolean isRequired, Set<String> required, List<Map.Entry<String, Object>> props,
                           Map<String, Integer> enumCounts, String path) {
        if (comp.containsKey("$ref")) {
            Object target = refs.get(comp.get("$ref"));
            if (target == null) throw new GrammarException("JSON schema at '" + path + "': '$ref' " + comp.get("$ref") + " does not resolve");
            component(object(target, path), isRequired, required, props, enumCounts, path);
        } else if (comp.containsKey("properties")) {
            checkUsed(comp, Set.of("type", "properties", "required"), path);
            for (Map.Entry<String, Object> e : object(comp.get("properties"), path + "/properties").entrySet()) {
                props.add(e);
                if (isRequired) required.add(e.getKey());
            }
        } else if (comp.containsKey("enum")) {
            checkUsed(comp, Set.of("type", "enum"), path);
            for (Object v : list(comp.get("enum"), path + "/enum")) enumCounts.merge(constant(v), 1, Integer::sum);
        } else {
            throw new GrammarException("JSON schema at '" + path + "': an 'allOf' part must have 'properties', 'enum' or '$ref'");
        }
    }

    private String resolveRef(String ref, String path) {
        int hash = ref.indexOf('#');
        String fragment = hash >= 0 ? ref.substring(hash + 1) : ref;
        String refName = "ref" + fragment.replaceAll("[^a-zA-Z0-9-]+", "-");
        if (!rules.containsKey(refName) && !refsBeingResolved.contains(ref)) {
            Object target = refs.get(ref);
            if (target == null) throw new GrammarException("JSON schema at '" + path + "': '$ref' \"" + ref + "\" does not resolve");
            refsBeingResolved.add(ref);
            refName = visit(object(target, ref), refName, ref);
            refsBeingResolved.remove(ref);
        }
        return refName;
    }

    private String objectRule(List<Map.Entry<String, Object>> properties, Set<String> required, String name, Object additional, String path) {
        List<String> requiredProps = new ArrayList<>(), optionalProps = new ArrayList<>(), propNames = new ArrayList<>();
        Map<String, String> kvRules = new HashMap<>();
        for (Map.Entry<String, Object> e : properties) {
            String prop = e.getKey();
            String propRule = visit(object(e.getValue(), path + "/properties/" + prop), name + (name.isEmpty() ? "" : "-") + prop,
                    path + "/properties/" + prop);
            kvRules.put(prop, addRule(name + (name.isEmpty() ? "" : "-") + prop + "-kv",
                    SchemaRules.literal(Json.write(prop)) + " space \":\" space " + propRule));
            (required.contains(prop) ? requiredProps : optionalProps).add(prop);
            propNames.add(prop);
        }
        if (Boolean.TRUE.equals(additional) || additional instanceof Map) {
            String sub = name + (name.isEmpty() ? "" : "-") + "additional";
            String valueRule = additional instanceof Map ? visit(object(additional, path + "/additionalProperties"), sub + "-value", path + "/additionalProperties")
                    : addPrimitive("value", SchemaRules.PRIMITIVES.get("value"));
            String keyRule = propNames.isEmpty() ? addPrimitive("string", SchemaRules.PRIMITIVES.get("string")) : addRule(sub + "-k", notStrings(propNames));
            kvRules.put("*", addRule(sub + "-kv", keyRule + " \":\" space " + valueRule));
            optionalProps.add("*");
        } else if (additional != null && !Boolean.FALSE.equals(additional)) {
            throw new GrammarException("JSON schema at '" + path + "': 'additionalProperties' must be a boolean or a schema");
        }
        StringBuilder rule = new StringBuilder("\"{\" space ");
        for (int i = 0; i < requiredProps.size(); i++) {
            if (i > 0) rule.append(" \",\" space ");
            rule.append(kvRules.get(requiredProps.get(i)));
        }
        if (!optionalProps.isEmpty()) {
            rule.append(" (");
            if (!requiredProps.isEmpty()) rule.append(" \",\" space ( ");
            for (int i = 0; i < optionalProps.size(); i++) {
                if (i > 0) rule.append(" | ");
                rule.append(recursiveRefs(optionalProps.subList(i, optionalProps.size()), false, kvRules, name));
            }
            if (!requiredProps.isEmpty()) rule.append(" )");
            rule.append(" )?");
        }
        return rule.append(" space \"}\"").toString();
    }

    private String recursiveRefs(List<String> ks, boolean firstIsOptional, Map<String, String> kvRules, String name) {
        String k = ks.getFirst();
        String kv = kvRules.get(k);
        String comma = "( \",\" space " + kv + " )";
        String res = firstIsOptional ? comma + (k.equals("*") ? "*" : "?") : kv + (k.equals("*") ? " " + comma + "*" : "");
        if (ks.size() > 1) {
            res += " " + addRule(name + (name.isEmpty() ? "" : "-") + k + "-rest", recursiveRefs(ks.subList(1, ks.size()), true, kvRules, name));
        }
        return res;
    }

    /** A JSON string that is none of {@code strings} (keys of additional properties must differ from the declared ones). */
    private String notStrings(List<String> strings) {
        Trie trie = new Trie();
        for (String s : strings) trie.insert(s);
        String ch = addPrimitive("char", SchemaRules.PRIMITIVES.get("char"));
        StringBuilder out = new StringBuilder("[\"] ( ");
        notStrings(trie, ch, out);
        out.append(" )");
        if (!trie.end) out.append("?");
        return out.append(" [\"]").toString();
    }

    private static void notStrings(Trie node, String ch, StringBuilder out) {
        StringBuilder rejects = new StringBuilder();
        boolean first = true;
        for (Map.Entry<Character, Trie> e : node.children.entrySet()) {
            rejects.append(e.getKey());
            if (!first) out.append(" | ");
            first = false;
            out.append('[').append(e.getKey()).append(']');
            if (!e.getValue().children.isEmpty()) {
                out.append(" (");
                notStrings(e.getValue(), ch, out);
                out.append(')');
            } else if (e.getValue().end) {
                out.append(' ').append(ch).append('+');
            }
        }
        if (!node.children.isEmpty()) {
            if (!first) out.append(" | ");
            out.append("[^\"").append(rejects).append("] ").append(ch).append('*');
        }
    }

    private static final class Trie {
        final Map<Character, Trie> children = new TreeMap<>();
        boolean end;

        void insert(String s) {
            Trie n = this;
            for (char c : s.toCharArray()) n = n.children.computeIfAbsent(c, k -> new Trie());
            n.end = true;
        }
    }

    private String addPrimitive(String name, SchemaRules.Builtin rule) {
        String n = addRule(name, rule.content());
        for (String dep : rule.deps()) {
            SchemaRules.Builtin d = SchemaRules.PRIMITIVES.containsKey(dep) ? SchemaRules.PRIMITIVES.get(dep) : SchemaRules.STRING_FORMATS.get(dep);
            if (!rules.containsKey(dep)) addPrimitive(dep, d);
        }
        return n;
    }

    private static String constant(Object v) {
        return SchemaRules.literal(Json.write(v));
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> object(Object o, String path) {
        if (o instanceof Map<?, ?> m) return (Map<String, Object>) m;
        if (Boolean.TRUE.equals(o)) return Map.of(); // the schema 'true' accepts anything
        throw new GrammarException("JSON schema at '" + path + "' must be an object, got " + (o == null ? "null" : Json.write(o)));
    }

    private static List<?> list(Object o, String path) {
        if (o instanceof List<?> l) return l;
        throw new GrammarException("JSON schema at '" + path + "' must be an array");
    }

    private static int count(Map<String, Object> s, String key, int dflt, String path) {
        Object v = s.get(key);
        if (v == null) return dflt;
        if (v instanceof Number n && n.doubleValue() == Math.floor(n.doubleValue()) && n.doubleValue() >= 0 && n.doubleValue() <= 100_000) return n.intValue();
        throw new GrammarException("JSON schema at '" + path + "': '" + key + "' must be a non-negative integer, got " + Json.write(v));
    }

    private static long integer(Map<String, Object> s, String key, String path) {
        Object v = s.get(key);
        if (v instanceof Number n && n.doubleValue() == Math.rint(n.doubleValue()) && Math.abs(n.doubleValue()) < 1e18) return n.longValue();
        throw new GrammarException("JSON schema at '" + path + "': '" + key + "' must be an integer for type \"integer\", got " + Json.write(v));
    }
}

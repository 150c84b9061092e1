package dev.jllm.server.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.jllm.grammar.Gbnf;
import dev.jllm.grammar.Grammar;
import dev.jllm.grammar.GrammarException;
import dev.jllm.grammar.JsonSchemaGrammar;
import java.util.ArrayList;
import java.util.List;

/**
 * The request fields that constrain the output to a grammar, mapped to one {@link Grammar}:
 * OpenAI's {@code response_format} (chat) / {@code text.format} (Responses) with type
 * {@code text}, {@code json_object} (any JSON object) or {@code json_schema}; and llama.cpp's
 * {@code grammar} (GBNF text) and {@code json_schema} (a schema) on chat and completions. At most
 * one may ask for a constraint. A schema or grammar that cannot be compiled is a 400 naming the
 * field and, for schemas, the keyword.
 *
 * <p>The grammar constrains decoding (a {@link dev.jllm.grammar.GrammarMask} per request), so the
 * text always parses and validates — unless generation stops first: at {@code max_tokens} the JSON
 * may be cut off, and the response says so with finish_reason {@code "length"} (Responses:
 * status incomplete, reason max_output_tokens).
 */
final class StructuredOutput {
    private StructuredOutput() {}

    /** The grammar a chat completion or completion asks for, or null. */
    static Grammar chat(ObjectNode body, boolean completions) {
        List<Grammar> found = new ArrayList<>();
        List<String> fields = new ArrayList<>();
        if (!completions) {
            Grammar g = format(Fields.optObject(body, "response_format", null), "response_format", true);
            if (g != null) {
                found.add(g);
                fields.add("response_format");
            }
        }
        llamaCpp(body, found, fields);
        if (found.size() > 1) throw ApiException.invalid(fields.get(1), "'" + fields.get(0) + "' and '" + fields.get(1) + "' both constrain the output; send one");
        if (!found.isEmpty()) noBudget(body, fields.getFirst());
        return found.isEmpty() ? null : found.getFirst();
    }

    /** A length budget ends answers at a sentence boundary, which would cut a structure in half: refused beside a grammar. */
    private static void noBudget(ObjectNode body, String field) {
        JsonNode b = body.get("max_output_chars");
        if (b != null && !b.isNull()) {
            throw ApiException.invalid("max_output_chars", "'max_output_chars' cannot be combined with '" + field + "': cutting the answer at a"
                    + " sentence boundary would break its structure; limit it with the token limit instead");
        }
    }

    /** The grammar a Responses request asks for through {@code text.format}, or null. */
    static Grammar responses(ObjectNode body) {
        ObjectNode text = Fields.optObject(body, "text", null);
        if (text == null) return null;
        for (var it = text.fieldNames(); it.hasNext(); ) {
            String k = it.next();
            if (!k.equals("format") && !k.equals("verbosity")) throw ApiException.invalid("text." + k, "'text." + k + "' is not a known field of 'text' (format, verbosity)");
        }
        String verbosity = Fields.optString(text, "verbosity", "text");
        if (verbosity != null && !verbosity.equals("medium")) {
            throw ApiException.invalid("text.verbosity", "'text.verbosity' \"" + verbosity + "\" is not supported; only \"medium\" (the model's own length)");
        }
        Grammar g = format(Fields.optObject(text, "format", "text"), "text.format", false);
        if (g != null) noBudget(body, "text.format");
        return g;
    }

    /** llama.cpp's own fields: {@code grammar} (GBNF) and {@code json_schema}. */
    private static void llamaCpp(ObjectNode body, List<Grammar> found, List<String> fields) {
        String gbnf = Fields.optString(body, "grammar", null);
        if (gbnf != null) {
            try {
                found.add(Gbnf.parse(gbnf));
            } catch (GrammarException e) {
                throw ApiException.invalid("grammar", "invalid_grammar", "'grammar' is not a valid GBNF grammar: " + e.getMessage());
            }
            fields.add("grammar");
        }
        JsonNode schema = body.get("json_schema");
        if (schema != null && !schema.isNull()) {
            found.add(schema(schema, "json_schema"));
            fields.add("json_schema");
        }
    }

    /**
     * A format object: {@code {type: text | json_object | json_schema, ...}}. Chat nests the schema
     * as {@code json_schema: {name, schema, strict, description}}; Responses puts those fields
     * beside {@code type}.
     */
    private static Grammar format(ObjectNode f, String param, boolean nested) {
        if (f == null) return null;
        String type = Fields.reqString(f, "type", param);
        switch (type) {
            case "text" -> {
                only(f, param, "type");
                return null;
            }
            case "json_object" -> {
                only(f, param, "type");
                return Gbnf.parse(JsonSchemaGrammar.anyObject());
            }
            case "json_schema" -> {
                ObjectNode spec = f;
                String sp = param;
                if (nested) {
                    only(f, param, "type", "json_schema");
                    spec = Fields.optObject(f, "json_schema", param);
                    sp = param + ".json_schema";
                    if (spec == null) throw ApiException.invalid(sp, "'" + sp + "' is required with type \"json_schema\"");
                    only(spec, sp, "name", "schema", "strict", "description");
                } else {
                    only(f, param, "type", "name", "schema", "strict", "description");
                }
                String name = Fields.reqString(spec, "name", sp);
                if (!name.matches("[a-zA-Z0-9_-]{1,64}")) {
                    throw ApiException.invalid(sp + ".name", "'" + sp + ".name' must be 1-64 letters, digits, '_' or '-', got \"" + name + "\"");
                }
                Fields.optBool(spec, "strict", sp); // the schema is always enforced; strict only says the client wants that
                Fields.optString(spec, "description", sp);
                JsonNode schema = spec.get("schema");
                if (schema == null || schema.isNull()) throw ApiException.invalid(sp + ".schema", "'" + sp + ".schema' is required: the JSON Schema the output must follow");
                return schema(schema, sp + ".schema");
            }
            default -> throw ApiException.invalid(param + ".type", "'" + param + ".type' must be \"text\", \"json_object\" or \"json_schema\", got \"" + type + "\"");
        }
    }

    /** A JSON Schema node compiled to a grammar; errors name the field and the keyword. */
    static Grammar schema(JsonNode schema, String param) {
        if (!schema.isObject() && !schema.isBoolean()) throw ApiException.invalid(param, "'" + param + "' must be a JSON Schema object, got " + Fields.kind(schema));
        try {
            return Gbnf.parse(JsonSchemaGrammar.compile(HttpIo.JSON.convertValue(schema, Object.class)));
        } catch (GrammarException e) {
            throw ApiException.invalid(param, "invalid_schema", "'" + param + "': " + e.getMessage());
        }
    }

    private static void only(ObjectNode o, String param, String... allowed) {
        List<String> ok = List.of(allowed);
        for (var it = o.fieldNames(); it.hasNext(); ) {
            String k = it.next();
            if (!ok.contains(k)) throw ApiException.invalid(param + "." + k, "'" + param + "." + k + "' is not a known field here (known: " + String.join(", ", ok) + ")");
        }
    }
}

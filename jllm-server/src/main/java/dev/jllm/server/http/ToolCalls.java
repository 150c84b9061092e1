package dev.jllm.server.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.jllm.chat.ToolCallFormat;
import dev.jllm.grammar.Gbnf;
import dev.jllm.grammar.Grammar;
import dev.jllm.grammar.GrammarException;
import dev.jllm.grammar.JsonSchemaGrammar;
import dev.jllm.server.store.Ids;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Tool calling: {@code tools} / {@code tool_choice} / {@code parallel_tool_calls} parsed and checked,
 * the definitions handed to the chat template, the grammar of a call when one is required, and the
 * calls parsed back out of the model's text per family ({@link ToolCallFormat}).
 *
 * @param tools    the functions, in the order given
 * @param choice   "auto", "none", "required", or a function's name
 * @param parallel whether several calls may come in one answer
 * @param flat     the Responses API's tool shape (parameters at {@code tools[i].parameters}, not {@code tools[i].function.parameters})
 */
record ToolCalls(List<Tool> tools, String choice, boolean parallel, boolean flat) {
    private static final java.util.Set<String> CHAT_TOOL_KEYS = java.util.Set.of("type", "function");
    private static final java.util.Set<String> FUNCTION_KEYS = java.util.Set.of("name", "description", "parameters", "strict");
    private static final java.util.Set<String> FLAT_TOOL_KEYS = java.util.Set.of("type", "name", "description", "parameters", "strict");

    /** Unknown fields of a tool definition are a 400 (as OpenAI's), never ignored. */
    private static void onlyKeys(ObjectNode o, String p, java.util.Set<String> allowed) {
        for (var it = o.fieldNames(); it.hasNext(); ) {
            String k = it.next();
            if (!allowed.contains(k)) {
                throw ApiException.invalid(p + "." + k, "'" + p + "." + k + "' is not supported (a function tool takes "
                        + String.join(", ", allowed.stream().sorted().toList()) + ")");
            }
        }
    }

    /** A function: name, description (or null), parameters (a JSON Schema, Jackson tree). */
    record Tool(String name, String description, JsonNode parameters) {}

    /** One call the model made; {@code arguments} is JSON text, as OpenAI sends it. */
    record Call(String id, String name, String arguments) {}

    /** The model's answer split into text (null when none) and calls. */
    record Parsed(String content, List<Call> calls) {}

    /** Whether tools take part in this request (given, and tool_choice is not "none"). */
    boolean active() {
        return !tools.isEmpty() && !choice.equals("none");
    }

    /** Whether decoding must produce a call. */
    boolean forced() {
        return active() && !choice.equals("auto");
    }

    /**
     * Reads the fields. Chat nests a tool as {@code {type: "function", function: {name, description,
     * parameters, strict}}}; Responses flattens it ({@code {type: "function", name, ...}}).
     */
    static ToolCalls parse(ObjectNode body, boolean responsesApi) {
        List<Tool> tools = new ArrayList<>();
        ArrayNode arr = Fields.optArray(body, "tools", null);
        if (arr != null) {
            for (int i = 0; i < arr.size(); i++) {
                String p = "tools[" + i + "]";
                ObjectNode t = Fields.object(arr.get(i), p);
                String type = Fields.reqString(t, "type", p);
                if (!type.equals("function")) throw ApiException.invalid(p + ".type", "'" + p + ".type' \"" + type + "\" is not supported; only \"function\" tools are");
                ObjectNode fn = t;
                String fp = p;
                if (!responsesApi) {
                    onlyKeys(t, p, CHAT_TOOL_KEYS);
                    fp = p + ".function";
                    fn = Fields.optObject(t, "function", p);
                    if (fn == null) throw ApiException.invalid(fp, "'" + fp + "' is required");
                    onlyKeys(fn, fp, FUNCTION_KEYS);
                } else {
                    onlyKeys(t, p, FLAT_TOOL_KEYS);
                }
                String name = Fields.reqString(fn, "name", fp);
                if (!name.matches("[a-zA-Z0-9_-]{1,64}")) throw ApiException.invalid(fp + ".name", "'" + fp + ".name' must be 1-64 letters, digits, '_' or '-', got \"" + name + "\"");
                for (Tool other : tools) if (other.name.equals(name)) throw ApiException.invalid(fp + ".name", "two tools are named \"" + name + "\"");
                String description = Fields.optString(fn, "description", fp);
                Fields.optBool(fn, "strict", fp); // a forced call always follows the schema
                JsonNode params = fn.get("parameters");
                if (params != null && !params.isNull() && !params.isObject()) throw ApiException.invalid(fp + ".parameters", "'" + fp + ".parameters' must be a JSON Schema object");
                tools.add(new Tool(name, description, params == null || params.isNull() ? emptyParameters() : params));
            }
        }
        String choice = "auto";
        JsonNode c = body.get("tool_choice");
        if (c != null && !c.isNull()) {
            if (c.isTextual()) {
                choice = c.asText();
                if (!List.of("auto", "none", "required").contains(choice)) {
                    throw ApiException.invalid("tool_choice", "'tool_choice' must be \"auto\", \"none\", \"required\" or {\"type\": \"function\", ...}, got \"" + choice + "\"");
                }
            } else if (c instanceof ObjectNode o) {
                String type = Fields.reqString(o, "type", "tool_choice");
                if (!type.equals("function")) throw ApiException.invalid("tool_choice.type", "'tool_choice.type' must be \"function\", got \"" + type + "\"");
                if (responsesApi) {
                    choice = Fields.reqString(o, "name", "tool_choice");
                } else {
                    ObjectNode f = Fields.optObject(o, "function", "tool_choice");
                    if (f == null) throw ApiException.invalid("tool_choice.function", "'tool_choice.function' is required");
                    choice = Fields.reqString(f, "name", "tool_choice.function");
                }
                String named = choice;
                if (tools.stream().noneMatch(t -> t.name.equals(named))) {
                    throw ApiException.invalid("tool_choice", "'tool_choice' names the function \"" + choice + "\", which is not in 'tools'");
                }
            } else {
                throw ApiException.invalid("tool_choice", "'tool_choice' must be a string or an object, got " + Fields.kind(c));
            }
            if (tools.isEmpty() && !choice.equals("none") && !choice.equals("auto")) {
                throw ApiException.invalid("tool_choice", "'tool_choice' \"" + choice + "\" needs 'tools'");
            }
        }
        Boolean parallel = Fields.optBool(body, "parallel_tool_calls", null);
        return new ToolCalls(List.copyOf(tools), choice, parallel == null || parallel, responsesApi);
    }

    private static JsonNode emptyParameters() {
        ObjectNode o = HttpIo.JSON.createObjectNode();
        o.put("type", "object");
        o.putObject("properties");
        return o;
    }

    /** The definitions as chat templates take them (OpenAI's chat form, insertion-ordered maps). */
    @SuppressWarnings("unchecked")
    List<Map<String, Object>> templateTools() {
        List<Map<String, Object>> out = new ArrayList<>();
        for (Tool t : tools) {
            Map<String, Object> fn = new LinkedHashMap<>();
            fn.put("name", t.name);
            if (t.description != null) fn.put("description", t.description);
            fn.put("parameters", HttpIo.JSON.convertValue(t.parameters, Map.class));
            Map<String, Object> tool = new LinkedHashMap<>();
            tool.put("type", "function");
            tool.put("function", fn);
            out.add(tool);
        }
        return out;
    }

    /**
     * The grammar of the answer when a call is required: Hermes blocks ({@code <tool_call>\n{"name":
     * ..., "arguments": ...}\n</tool_call>}, more than one when parallel calls are allowed) or one
     * Llama JSON call ({@code {"name": ..., "parameters": ...}}); the arguments follow the function's
     * parameter schema, so the call is valid even from random weights.
     */
    Grammar grammar(ToolCallFormat format) {
        String argsKey = format == ToolCallFormat.LLAMA3_JSON ? "parameters" : "arguments";
        List<Object> alts = new ArrayList<>();
        JsonSchemaGrammar c = new JsonSchemaGrammar();
        for (int i = 0; i < tools.size(); i++) {
            Tool t = tools.get(i);
            if (!choice.equals("required") && !choice.equals(t.name)) continue;
            Object params = HttpIo.JSON.convertValue(t.parameters, Object.class);
            Map<String, Object> props = new LinkedHashMap<>();
            props.put("name", Map.of("const", t.name));
            props.put(argsKey, params);
            Map<String, Object> call = new LinkedHashMap<>();
            call.put("type", "object");
            call.put("properties", props);
            call.put("required", List.of("name", argsKey));
            try {
                c.resolveRefs(params);
                JsonSchemaGrammar.compile(params); // alone first, so an error names this tool
            } catch (GrammarException e) {
                String pp = "tools[" + i + "]" + (flat ? "" : ".function") + ".parameters";
                throw ApiException.invalid(pp, "invalid_schema", "'" + pp + "': " + e.getMessage());
            }
            alts.add(call);
        }
        try {
            String callRule = c.addSchema("call", alts.size() == 1 ? alts.getFirst() : Map.of("anyOf", alts));
            if (format == ToolCallFormat.LLAMA3_JSON) {
                c.addRule("root", callRule);
            } else {
                String block = "\"<tool_call>\\n\" " + callRule + " \"\\n</tool_call>\"";
                c.addRule("root", block + (parallel ? " (\"\\n\" " + block + ")*" : ""));
            }
            return Gbnf.parse(c.format());
        } catch (GrammarException e) {
            throw ApiException.invalid("tools", "invalid_schema", "a tool's parameters cannot be enforced: " + e.getMessage());
        }
    }

    private static final Pattern HERMES = Pattern.compile("<tool_call>\\s*(.*?)\\s*(?:</tool_call>|$)", Pattern.DOTALL);

    /** Splits the model's text into content and calls; blocks that are not a valid call of a given tool stay text. */
    Parsed parseOutput(String text, ToolCallFormat format) {
        List<Call> calls = new ArrayList<>();
        StringBuilder content = new StringBuilder();
        if (format == ToolCallFormat.LLAMA3_JSON) {
            String s = text.strip();
            if (s.startsWith("<|python_tag|>")) s = s.substring("<|python_tag|>".length()).strip();
            Call call = s.startsWith("{") ? call(s, "parameters") : null;
            if (call != null) calls.add(call);
            else content.append(text);
        } else {
            Matcher m = HERMES.matcher(text);
            int at = 0;
            while (m.find()) {
                Call call = call(m.group(1), "arguments");
                if (call == null) continue;
                content.append(text, at, m.start());
                at = m.end();
                calls.add(call);
                if (!parallel) break;
            }
            content.append(text.substring(at));
        }
        String rest = content.toString().strip();
        return new Parsed(calls.isEmpty() ? text : rest.isEmpty() ? null : rest, calls);
    }

    private Call call(String json, String argsKey) {
        JsonNode n;
        try {
            n = HttpIo.JSON.readTree(json);
        } catch (Exception e) {
            return null;
        }
        if (!(n instanceof ObjectNode o) || !o.path("name").isTextual()) return null;
        String name = o.get("name").asText();
        if (tools.stream().noneMatch(t -> t.name.equals(name))) return null;
        JsonNode args = o.has(argsKey) ? o.get(argsKey) : o.get(argsKey.equals("arguments") ? "parameters" : "arguments");
        String argText = args == null || args.isNull() ? "{}" : args.isTextual() ? args.asText() : args.toString();
        return new Call(Ids.next("call_"), name, argText);
    }
}

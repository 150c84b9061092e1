package dev.jllm.sft;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jllm.chat.ChatMessage;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.IntFunction;

/**
 * One JSON record → a {@link Conversation}, for each {@link Format}. Every rule names the field by
 * its JSON path, so a user can find the spot in a 100k-line file. The shapes follow their owners:
 * OpenAI's chat fine-tuning format (including the per-message {@code weight} 0/1), and
 * LLaMA-Factory's converters for Alpaca and ShareGPT (user prompt = instruction + "\n" + input;
 * history responses are learned; human/observation and gpt/function_call alternate).
 */
final class RecordParser {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Set<String> ROLES = Set.of("system", "developer", "user", "assistant", "tool");

    private final Format format;
    private final Placeholders vars;

    RecordParser(Format format, Placeholders vars) {
        this.format = format;
        this.vars = vars;
    }

    Conversation parse(JsonNode rec, String file, long line, int index) {
        if (!rec.isObject()) throw new RecordError("expected a JSON object, got " + kind(rec));
        Format f = format == Format.AUTO ? detect(rec) : format;
        return switch (f) {
            case MESSAGES -> messages(rec, file, line, index);
            case ALPACA -> alpaca(rec, file, line, index);
            case SHAREGPT -> sharegpt(rec, file, line, index);
            case AUTO -> throw new AssertionError();
        };
    }

    private static Format detect(JsonNode rec) {
        JsonNode m = rec.get("messages");
        if (m != null) return m.isArray() && !m.isEmpty() && m.get(0).has("from") ? Format.SHAREGPT : Format.MESSAGES;
        if (rec.has("conversations")) return Format.SHAREGPT;
        if (rec.has("chosen") || rec.has("rejected")) throw preference(rec);
        if (rec.has("instruction") || rec.has("output")) return Format.ALPACA;
        throw new RecordError("cannot tell the format: expected 'messages' (OpenAI), 'conversations' (ShareGPT) or"
                + " 'instruction'/'output' (Alpaca); the record has " + fields(rec));
    }

    // ---- OpenAI messages ----

    private Conversation messages(JsonNode rec, String file, long line, int index) {
        JsonNode arr = nonEmptyArray(rec, "messages");
        List<ChatMessage> out = new ArrayList<>();
        List<Integer> trainable = new ArrayList<>();
        for (int i = 0; i < arr.size(); i++) {
            String p = "messages[" + i + "]";
            JsonNode m = object(arr.get(i), p);
            String role = string(m, "role", p, true);
            if (role.equals("function")) {
                throw new RecordError(p + ".role 'function' (OpenAI's legacy function calling) is not supported; use assistant tool_calls and role 'tool'");
            }
            if (!ROLES.contains(role)) throw new RecordError(p + ".role '" + role + "' is not one of system, developer, user, assistant, tool");
            boolean assistant = role.equals("assistant");
            if (!assistant && m.has("tool_calls")) throw new RecordError(p + ".tool_calls is only allowed on assistant messages");
            List<Map<String, Object>> calls = assistant ? toolCalls(m.get("tool_calls"), p + ".tool_calls") : List.of();
            String content = vars.fill(content(m.get("content"), p + ".content", assistant && !calls.isEmpty()), p + ".content");
            boolean learn = true;
            JsonNode w = m.get("weight");
            if (w != null) {
                if (!assistant) throw new RecordError(p + ".weight is only allowed on assistant messages");
                if (!w.isNumber() || (w.asDouble() != 0 && w.asDouble() != 1)) throw new RecordError(p + ".weight must be 0 or 1, got " + w);
                learn = w.asDouble() == 1;
            }
            out.add(new ChatMessage(role, content, calls, string(m, "tool_call_id", p, false), string(m, "name", p, false)));
            if (assistant && learn) trainable.add(i);
        }
        checkOrder(out, i -> "messages[" + i + "]");
        if (trainable.isEmpty()) throw new RecordError("no assistant turn to learn from: every assistant message has weight 0");
        return new Conversation(out, trainable, tools(rec.get("tools")), file, line, index);
    }

    /** A string, or text parts joined (as the server reads OpenAI content); null only where allowed. */
    private static String content(JsonNode c, String path, boolean mayBeEmpty) {
        if (c == null || c.isNull()) {
            if (mayBeEmpty) return "";
            throw new RecordError(c == null ? "missing field '" + path + "'" : path + " is null");
        }
        if (c.isTextual()) return c.asText();
        if (!c.isArray()) throw new RecordError(path + " must be a string or an array of text parts, got " + kind(c));
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < c.size(); i++) {
            String pp = path + "[" + i + "]";
            JsonNode part = object(c.get(i), pp);
            String type = string(part, "type", pp, true);
            if (!type.equals("text") && !type.equals("input_text") && !type.equals("output_text")) {
                throw new RecordError(pp + ".type '" + type + "' is not supported; only text parts are");
            }
            sb.append(string(part, "text", pp, true));
        }
        return sb.toString();
    }

    private static List<Map<String, Object>> toolCalls(JsonNode calls, String path) {
        if (calls == null || calls.isNull()) return List.of();
        if (!calls.isArray()) throw new RecordError(path + " must be an array, got " + kind(calls));
        List<Map<String, Object>> out = new ArrayList<>();
        for (int i = 0; i < calls.size(); i++) {
            String p = path + "[" + i + "]";
            JsonNode fn = object(object(calls.get(i), p).get("function"), p + ".function");
            string(fn, "name", p + ".function", true);
            JsonNode args = fn.get("arguments");
            if (args != null && !args.isTextual() && !args.isObject()) {
                throw new RecordError(p + ".function.arguments must be a JSON string or object, got " + kind(args));
            }
            out.add(map(calls.get(i)));
        }
        return out;
    }

    // ---- Alpaca ----

    private Conversation alpaca(JsonNode rec, String file, long line, int index) {
        if (rec.has("chosen") || rec.has("rejected")) throw preference(rec);
        if (!rec.has("instruction") && !rec.has("input")) throw new RecordError("missing field 'instruction' (the record has " + fields(rec) + ")");
        JsonNode out = rec.get("output");
        if (out == null) throw new RecordError("missing field 'output' (the record has " + fields(rec) + ")");
        if (out.isArray()) throw new RecordError("'output' is an array (ranking/preference data?); supervised fine-tuning needs one string");
        List<ChatMessage> msgs = new ArrayList<>();
        String system = vars.fill(string(rec, "system", "", false), "system");
        if (system != null && !system.isEmpty()) msgs.add(ChatMessage.system(system));
        JsonNode history = rec.get("history");
        if (history != null && !history.isNull()) {
            if (!history.isArray()) throw new RecordError("'history' must be an array of [prompt, response] pairs, got " + kind(history));
            for (int i = 0; i < history.size(); i++) {
                String p = "history[" + i + "]";
                JsonNode pair = history.get(i);
                if (!pair.isArray() || pair.size() != 2 || !pair.get(0).isTextual() || !pair.get(1).isTextual()) {
                    throw new RecordError(p + " must be a [prompt, response] pair of strings, got " + pair);
                }
                msgs.add(ChatMessage.user(vars.fill(pair.get(0).asText(), p + "[0]")));
                msgs.add(ChatMessage.assistant(vars.fill(pair.get(1).asText(), p + "[1]")));
            }
        }
        String instruction = vars.fill(string(rec, "instruction", "", false), "instruction");
        String input = vars.fill(string(rec, "input", "", false), "input");
        List<String> query = new ArrayList<>();
        if (instruction != null && !instruction.isEmpty()) query.add(instruction);
        if (input != null && !input.isEmpty()) query.add(input);
        if (query.isEmpty()) throw new RecordError("'instruction' and 'input' are both empty: no prompt");
        msgs.add(ChatMessage.user(String.join("\n", query)));
        msgs.add(ChatMessage.assistant(vars.fill(string(rec, "output", "", true), "output")));
        return new Conversation(msgs, assistants(msgs), null, file, line, index);
    }

    // ---- ShareGPT ----

    private enum Tag { USER, ASSISTANT, FUNCTION, OBSERVATION, SYSTEM }

    private static Tag tag(String from) {
        return switch (from) {
            case "human", "user" -> Tag.USER;
            case "gpt", "assistant" -> Tag.ASSISTANT;
            case "function_call" -> Tag.FUNCTION;
            case "observation", "tool" -> Tag.OBSERVATION;
            case "system" -> Tag.SYSTEM;
            default -> null;
        };
    }

    private Conversation sharegpt(JsonNode rec, String file, long line, int index) {
        String key = rec.has("conversations") || !rec.has("messages") ? "conversations" : "messages";
        JsonNode conv = nonEmptyArray(rec, key);
        List<ChatMessage> msgs = new ArrayList<>();
        int start = 0;
        String system;
        JsonNode first = object(conv.get(0), key + "[0]");
        if ("system".equals(string(first, "from", key + "[0]", true))) {
            system = vars.fill(string(first, "value", key + "[0]", true), key + "[0].value"); // LLaMA-Factory: the leading system turn wins over the column
            start = 1;
        } else {
            system = vars.fill(string(rec, "system", "", false), "system");
        }
        if (system != null && !system.isEmpty()) msgs.add(ChatMessage.system(system));
        int offset = msgs.size() - start; // message index = conversation index + offset
        for (int i = start; i < conv.size(); i++) {
            String p = key + "[" + i + "]";
            JsonNode e = object(conv.get(i), p);
            String from = string(e, "from", p, true);
            String value = vars.fill(string(e, "value", p, true), p + ".value");
            Tag t = tag(from);
            if (t == null) throw new RecordError(p + ".from '" + from + "' is not one of human, user, gpt, assistant, system, function_call, observation");
            boolean even = (i - start) % 2 == 0;
            if (t == Tag.SYSTEM || even != (t == Tag.USER || t == Tag.OBSERVATION)) {
                throw new RecordError("roles must alternate: " + p + ".from is '" + from + "' where "
                        + (even ? "human or observation" : "gpt or function_call") + " is expected (as LLaMA-Factory requires)");
            }
            msgs.add(switch (t) {
                case USER -> ChatMessage.user(value);
                case ASSISTANT -> ChatMessage.assistant(value);
                case OBSERVATION -> new ChatMessage("tool", value, null, null, null);
                case FUNCTION -> functionCall(value);
                case SYSTEM -> throw new AssertionError();
            });
        }
        if ((conv.size() - start) % 2 != 0) {
            throw new RecordError("'" + key + "' must end with a gpt or function_call turn; it ends with '"
                    + conv.get(conv.size() - 1).path("from").asText() + "'");
        }
        checkOrder(msgs, i -> i - offset < 0 ? "system" : key + "[" + (i - offset) + "]");
        return new Conversation(msgs, assistants(msgs), tools(rec.get("tools")), file, line, index);
    }

    /**
     * A function_call value is the call as JSON ({"name", "arguments"}, or a list of them): it becomes
     * assistant tool_calls so the template writes them its way; any other text stays the assistant's text.
     */
    private static ChatMessage functionCall(String value) {
        try {
            JsonNode v = JSON.readTree(value);
            List<JsonNode> calls = new ArrayList<>();
            if (v != null && v.isArray()) v.forEach(calls::add);
            else if (v != null) calls.add(v);
            List<Map<String, Object>> out = new ArrayList<>();
            for (JsonNode c : calls) {
                if (!c.isObject() || !c.path("name").isTextual()) return ChatMessage.assistant(value);
                Map<String, Object> fn = new LinkedHashMap<>();
                fn.put("name", c.get("name").asText());
                fn.put("arguments", c.has("arguments") ? JSON.convertValue(c.get("arguments"), Object.class) : Map.of());
                out.add(new LinkedHashMap<>(Map.of("type", "function", "function", fn)));
            }
            return out.isEmpty() ? ChatMessage.assistant(value) : new ChatMessage("assistant", "", out, null, null);
        } catch (JsonProcessingException e) {
            return ChatMessage.assistant(value);
        }
    }

    // ---- shared rules ----

    /**
     * Leading system/developer messages, then a user message; user → assistant; assistant → user or
     * tool; tool → tool or assistant; the last message is the assistant's (a trailing prompt has no
     * answer to learn). Templates assume this shape, and a broken one usually means a broken export.
     */
    static void checkOrder(List<ChatMessage> msgs, IntFunction<String> path) {
        int i = 0;
        while (i < msgs.size() && isSystem(msgs.get(i).role())) i++;
        if (i == msgs.size()) throw new RecordError("no user or assistant message");
        String prev = null;
        for (; i < msgs.size(); i++) {
            String r = msgs.get(i).role();
            if (isSystem(r)) throw new RecordError(path.apply(i) + " is a '" + r + "' message after the conversation started; only leading system messages are supported");
            boolean ok = prev == null ? r.equals("user")
                    : switch (prev) {
                        case "user" -> r.equals("assistant");
                        case "assistant" -> r.equals("user") || r.equals("tool");
                        default -> r.equals("tool") || r.equals("assistant"); // after tool results
                    };
            if (!ok) {
                throw new RecordError(prev == null ? path.apply(i) + " is '" + r + "': the conversation must start with a user message (after any system messages)"
                        : "roles must alternate: " + path.apply(i) + " is '" + r + "' right after '" + prev + "'");
            }
            prev = r;
        }
        if (!prev.equals("assistant")) throw new RecordError("the conversation ends with a '" + prev + "' message: no assistant turn after it to learn");
    }

    private static boolean isSystem(String role) {
        return role.equals("system") || role.equals("developer");
    }

    private static List<Integer> assistants(List<ChatMessage> msgs) {
        List<Integer> out = new ArrayList<>();
        for (int i = 0; i < msgs.size(); i++) if (msgs.get(i).role().equals("assistant")) out.add(i);
        return out;
    }

    /** OpenAI tool definitions: an array of objects, or (ShareGPT/LLaMA-Factory) that array as a JSON string. */
    private static List<Map<String, Object>> tools(JsonNode t) {
        if (t == null || t.isNull() || (t.isTextual() && t.asText().isBlank())) return null;
        JsonNode arr = t;
        if (t.isTextual()) {
            try {
                arr = JSON.readTree(t.asText());
            } catch (JsonProcessingException e) {
                throw new RecordError("'tools' is a string but not JSON: " + e.getOriginalMessage());
            }
        }
        if (!arr.isArray()) throw new RecordError("'tools' must be an array of tool definitions, got " + kind(arr));
        List<Map<String, Object>> out = new ArrayList<>();
        for (int i = 0; i < arr.size(); i++) out.add(map(object(arr.get(i), "tools[" + i + "]")));
        return out.isEmpty() ? null : out;
    }

    private static RecordError preference(JsonNode rec) {
        return new RecordError("a preference record (chosen/rejected) is not supervised fine-tuning data; the record has " + fields(rec));
    }

    private static JsonNode nonEmptyArray(JsonNode rec, String key) {
        JsonNode a = rec.get(key);
        if (a == null) throw new RecordError("missing field '" + key + "' (the record has " + fields(rec) + ")");
        if (!a.isArray()) throw new RecordError("'" + key + "' must be an array, got " + kind(a));
        if (a.isEmpty()) throw new RecordError("'" + key + "' is empty");
        return a;
    }

    private static JsonNode object(JsonNode n, String path) {
        if (n == null) throw new RecordError("missing field '" + path + "'");
        if (!n.isObject()) throw new RecordError(path + " must be an object, got " + kind(n));
        return n;
    }

    /** A string field; absent or null → null unless required. {@code parent} is the path prefix ("" at the top). */
    private static String string(JsonNode obj, String field, String parent, boolean required) {
        String path = parent.isEmpty() ? field : parent + "." + field;
        JsonNode v = obj.get(field);
        if (v == null || v.isNull()) {
            if (required) throw new RecordError(v == null ? "missing field '" + path + "'" + (parent.isEmpty() ? " (the record has " + fields(obj) + ")" : "") : path + " is null");
            return null;
        }
        if (!v.isTextual()) throw new RecordError("'" + path + "' must be a string, got " + kind(v));
        return v.asText();
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> map(JsonNode n) {
        return JSON.convertValue(n, LinkedHashMap.class);
    }

    static String kind(JsonNode n) {
        return n.getNodeType().name().toLowerCase(Locale.ROOT);
    }

    private static String fields(JsonNode rec) {
        List<String> names = new ArrayList<>();
        rec.fieldNames().forEachRemaining(names::add);
        return names.isEmpty() ? "no fields" : "fields " + String.join(", ", names);
    }
}

package dev.jllm.server.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.jllm.chat.ChatMessage;
import dev.jllm.chat.PromptBuilder;
import java.util.ArrayList;
import java.util.List;

/**
 * Chat messages / Responses input items from JSON: role + text content. Content is a string or an
 * array of text parts ({@code text}, {@code input_text}, {@code output_text}); other part types
 * (images, audio) are a 400. Content that spells a control token is plain text (the PromptBuilder
 * tokenizes it so), never refused.
 */
final class Messages {
    private static final List<String> ROLES = List.of("system", "developer", "user", "assistant", "tool");

    /** Messages or items in one request; more is a 400 (the body-size limit alone would allow ~100k tiny ones). */
    static final int MAX_PER_REQUEST = 1000;

    private Messages() {}

    static List<ChatMessage> parse(ArrayNode arr, String param, PromptBuilder guard) {
        if (arr.size() > MAX_PER_REQUEST) {
            throw ApiException.invalid(param, "'" + param + "' has " + arr.size() + " entries; at most " + MAX_PER_REQUEST
                    + " are allowed per request (keep long histories on the server with /v1/conversations)");
        }
        List<ChatMessage> out = new ArrayList<>(arr.size());
        for (int i = 0; i < arr.size(); i++) out.add(parseOne(arr.get(i), param + "[" + i + "]", guard));
        return out;
    }

    static ChatMessage parseOne(JsonNode n, String p, PromptBuilder guard) {
        ObjectNode m = Fields.object(n, p);
        String type = Fields.optString(m, "type", p);
        if (type != null && !type.equals("message")) {
            throw ApiException.invalid(p + ".type", "'" + p + ".type' must be \"message\" (only text messages are supported), got \"" + type + "\"");
        }
        String role = Fields.reqString(m, "role", p);
        if (!ROLES.contains(role)) {
            throw ApiException.invalid(p + ".role", "'" + p + ".role' must be one of " + ROLES + ", got \"" + role + "\"");
        }
        String content = content(m, p);
        List<java.util.Map<String, Object>> toolCalls = role.equals("assistant") ? toolCalls(m, p) : null;
        if (!role.equals("assistant") && m.has("tool_calls") && !m.get("tool_calls").isNull()) {
            throw ApiException.invalid(p + ".tool_calls", "'" + p + ".tool_calls' is only allowed on assistant messages");
        }
        if (content == null && (toolCalls == null || toolCalls.isEmpty())) throw ApiException.invalid(p + ".content", "'" + p + ".content' is required");
        String toolCallId = role.equals("tool") ? Fields.reqString(m, "tool_call_id", p) : null;
        String name = Fields.optString(m, "name", p);
        return new ChatMessage(role, content, toolCalls, toolCallId, name);
    }

    /** An assistant message's {@code tool_calls} (OpenAI's shape, arguments as JSON text), for the template to show the model its earlier calls. */
    private static List<java.util.Map<String, Object>> toolCalls(ObjectNode m, String p) {
        ArrayNode a = Fields.optArray(m, "tool_calls", p);
        if (a == null) return null;
        List<java.util.Map<String, Object>> out = new ArrayList<>();
        for (int i = 0; i < a.size(); i++) {
            String cp = p + ".tool_calls[" + i + "]";
            ObjectNode c = Fields.object(a.get(i), cp);
            String id = Fields.reqString(c, "id", cp);
            String type = Fields.optString(c, "type", cp);
            if (type != null && !type.equals("function")) throw ApiException.invalid(cp + ".type", "'" + cp + ".type' must be \"function\"");
            ObjectNode fn = Fields.optObject(c, "function", cp);
            if (fn == null) throw ApiException.invalid(cp + ".function", "'" + cp + ".function' is required");
            java.util.Map<String, Object> f = new java.util.LinkedHashMap<>();
            f.put("name", Fields.reqString(fn, "name", cp + ".function"));
            f.put("arguments", Fields.reqString(fn, "arguments", cp + ".function"));
            java.util.Map<String, Object> call = new java.util.LinkedHashMap<>();
            call.put("id", id);
            call.put("type", "function");
            call.put("function", f);
            out.add(call);
        }
        return out;
    }

    /** A string, or the concatenated text of an array of text parts; null if absent. */
    static String content(ObjectNode m, String p) {
        JsonNode c = m.get("content");
        if (c == null || c.isNull()) return null;
        String cp = p + ".content";
        if (c.isTextual()) return c.asText();
        if (!c.isArray()) throw ApiException.invalid(cp, "'" + cp + "' must be a string or an array of content parts, got " + Fields.kind(c));
        StringBuilder sb = new StringBuilder();
        for (int j = 0; j < c.size(); j++) {
            String pp = cp + "[" + j + "]";
            ObjectNode part = Fields.object(c.get(j), pp);
            String type = Fields.reqString(part, "type", pp);
            if (!type.equals("text") && !type.equals("input_text") && !type.equals("output_text")) {
                throw ApiException.invalid(pp + ".type", "'" + pp + ".type' \"" + type + "\" is not supported; only text parts are");
            }
            sb.append(Fields.reqString(part, "text", pp));
        }
        return sb.toString();
    }
}

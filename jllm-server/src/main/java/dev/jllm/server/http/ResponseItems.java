package dev.jllm.server.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.jllm.chat.ChatMessage;
import dev.jllm.chat.PromptBuilder;
import dev.jllm.server.store.ConversationStore;
import dev.jllm.server.store.ConversationStore.NewItem;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Items of the Responses and Conversations APIs: messages, {@code function_call} items (a call the
 * model made: call_id, name, arguments) and {@code function_call_output} items (the caller's result:
 * call_id, output). Parsed from JSON, checked (every output answers an earlier call), turned into the
 * chat messages the template renders (calls as an assistant message's tool_calls, outputs as tool
 * messages), and written back as JSON in OpenAI's item shapes.
 */
final class ResponseItems {
    private static final Set<String> CALL_KEYS = Set.of("type", "id", "call_id", "name", "arguments", "status");
    private static final Set<String> OUTPUT_KEYS = Set.of("type", "id", "call_id", "output", "status");

    private ResponseItems() {}

    /** Input items ({@code input} of a response, {@code items} of a conversation); ids given by the client are replaced by the store's. */
    static List<NewItem> parse(ArrayNode arr, String param, PromptBuilder guard) {
        if (arr.size() > Messages.MAX_PER_REQUEST) {
            throw ApiException.invalid(param, "'" + param + "' has " + arr.size() + " entries; at most " + Messages.MAX_PER_REQUEST
                    + " are allowed per request (keep long histories on the server with /v1/conversations)");
        }
        List<NewItem> out = new ArrayList<>(arr.size());
        for (int i = 0; i < arr.size(); i++) out.add(parseOne(arr.get(i), param + "[" + i + "]", guard));
        return out;
    }

    private static NewItem parseOne(JsonNode n, String p, PromptBuilder guard) {
        ObjectNode o = Fields.object(n, p);
        String type = Fields.optString(o, "type", p);
        if (type == null || type.equals("message")) {
            String role = Fields.reqString(o, "role", p);
            if (role.equals("tool")) {
                throw ApiException.invalid(p + ".role", "'" + p + ".role' \"tool\" is a chat completions message; in the Responses and Conversations"
                        + " APIs a tool result is an item {\"type\": \"function_call_output\", \"call_id\": ..., \"output\": ...}");
            }
            if (o.has("tool_calls") && !o.get("tool_calls").isNull()) {
                throw ApiException.invalid(p + ".tool_calls", "'" + p + ".tool_calls' is a chat completions field; in the Responses and Conversations"
                        + " APIs each call is an item {\"type\": \"function_call\", \"call_id\": ..., \"name\": ..., \"arguments\": ...}");
            }
            ChatMessage m = Messages.parseOne(o, p, guard);
            return new NewItem(m.role(), m.content());
        }
        switch (type) {
            case ConversationStore.FUNCTION_CALL -> {
                onlyKeys(o, p, CALL_KEYS);
                String callId = Fields.reqString(o, "call_id", p);
                String name = Fields.reqString(o, "name", p);
                String args = Fields.reqString(o, "arguments", p);
                status(o, p);
                return NewItem.functionCall(null, callId, name, args);
            }
            case ConversationStore.FUNCTION_CALL_OUTPUT -> {
                onlyKeys(o, p, OUTPUT_KEYS);
                String callId = Fields.reqString(o, "call_id", p);
                status(o, p);
                return NewItem.functionCallOutput(null, callId, output(o, p));
            }
            default -> throw ApiException.invalid(p + ".type", "'" + p + ".type' \"" + type + "\" is not supported; items are \"message\","
                    + " \"function_call\" or \"function_call_output\"");
        }
    }

    /** A function_call_output's {@code output}: a string, or text parts (input_text) joined. */
    private static String output(ObjectNode o, String p) {
        JsonNode out = o.get("output");
        String op = p + ".output";
        if (out == null || out.isNull()) throw ApiException.invalid(op, "'" + op + "' is required");
        if (out.isTextual()) return out.asText();
        if (!out.isArray()) throw ApiException.invalid(op, "'" + op + "' must be a string or an array of input_text parts, got " + Fields.kind(out));
        StringBuilder sb = new StringBuilder();
        for (int j = 0; j < out.size(); j++) {
            String pp = op + "[" + j + "]";
            ObjectNode part = Fields.object(out.get(j), pp);
            String type = Fields.reqString(part, "type", pp);
            if (!type.equals("input_text")) throw ApiException.invalid(pp + ".type", "'" + pp + ".type' \"" + type + "\" is not supported; only input_text parts are");
            sb.append(Fields.reqString(part, "text", pp));
        }
        return sb.toString();
    }

    private static void status(ObjectNode o, String p) {
        String s = Fields.optString(o, "status", p);
        if (s != null && !List.of("in_progress", "completed", "incomplete").contains(s)) {
            throw ApiException.invalid(p + ".status", "'" + p + ".status' must be in_progress, completed or incomplete, got \"" + s + "\"");
        }
    }

    private static void onlyKeys(ObjectNode o, String p, Set<String> allowed) {
        for (Iterator<String> it = o.fieldNames(); it.hasNext(); ) {
            String k = it.next();
            if (!allowed.contains(k)) {
                throw ApiException.invalid(p + "." + k, "'" + p + "." + k + "' is not supported on a " + o.path("type").asText() + " item (fields: "
                        + String.join(", ", allowed.stream().sorted().toList()) + ")");
            }
        }
    }

    /** The store's view and a new item alike: what rendering needs. */
    record View(String type, String role, String content, String callId, String name) {
        static View of(ConversationStore.Item it) {
            return new View(it.type(), it.role(), it.content(), it.callId(), it.name());
        }

        static View of(NewItem it) {
            return new View(it.type(), it.role(), it.content(), it.callId(), it.name());
        }
    }

    static List<View> views(List<ConversationStore.Item> stored, List<NewItem> added) {
        List<View> out = new ArrayList<>(stored.size() + added.size());
        for (ConversationStore.Item it : stored) out.add(View.of(it));
        for (NewItem it : added) out.add(View.of(it));
        return out;
    }

    /**
     * Checks that each function_call_output among {@code added} answers a function_call before it
     * (in {@code stored} or earlier in {@code added}), as OpenAI does; a 400 naming the item otherwise.
     */
    static void checkOutputs(List<ConversationStore.Item> stored, List<NewItem> added, String param) {
        Set<String> calls = new java.util.HashSet<>();
        for (ConversationStore.Item it : stored) if (it.type().equals(ConversationStore.FUNCTION_CALL)) calls.add(it.callId());
        for (int i = 0; i < added.size(); i++) {
            NewItem it = added.get(i);
            if (it.type().equals(ConversationStore.FUNCTION_CALL)) calls.add(it.callId());
            if (it.type().equals(ConversationStore.FUNCTION_CALL_OUTPUT) && !calls.contains(it.callId())) {
                throw ApiException.invalid(param + "[" + i + "].call_id", "no function call found for the function_call_output with call_id \""
                        + it.callId() + "\" ('" + param + "[" + i + "]'): send the function_call item before its output, or continue the"
                        + " conversation / previous_response_id that holds it");
            }
        }
    }

    /**
     * The items as chat messages: a message as itself; function calls join the assistant message
     * just before them (or start one with no text) as OpenAI-shaped tool_calls; an output becomes a
     * tool message naming its call's id and function.
     */
    static List<ChatMessage> toMessages(List<View> items) {
        List<ChatMessage> out = new ArrayList<>(items.size());
        Map<String, String> names = new HashMap<>();
        for (View v : items) {
            switch (v.type()) {
                case ConversationStore.FUNCTION_CALL -> {
                    names.put(v.callId(), v.name());
                    Map<String, Object> fn = new LinkedHashMap<>();
                    fn.put("name", v.name());
                    fn.put("arguments", v.content());
                    Map<String, Object> call = new LinkedHashMap<>();
                    call.put("id", v.callId());
                    call.put("type", "function");
                    call.put("function", fn);
                    ChatMessage last = out.isEmpty() ? null : out.getLast();
                    if (last != null && last.role().equals("assistant")) {
                        List<Map<String, Object>> calls = new ArrayList<>(last.toolCalls());
                        calls.add(call);
                        out.set(out.size() - 1, new ChatMessage("assistant", last.content(), calls, null, last.name()));
                    } else {
                        out.add(new ChatMessage("assistant", "", List.of(call), null, null));
                    }
                }
                case ConversationStore.FUNCTION_CALL_OUTPUT -> out.add(new ChatMessage("tool", v.content(), null, v.callId(), names.get(v.callId())));
                default -> out.add(new ChatMessage(v.role(), v.content(), null, null, null));
            }
        }
        return out;
    }

    /** An item in OpenAI's shape: messages with input_text for what clients wrote and output_text for answers; calls; call outputs. */
    static ObjectNode json(ConversationStore.Item it) {
        ObjectNode r = HttpIo.JSON.createObjectNode();
        switch (it.type()) {
            case ConversationStore.FUNCTION_CALL -> {
                r.put("type", "function_call");
                r.put("id", it.id());
                r.put("call_id", it.callId());
                r.put("name", it.name());
                r.put("arguments", it.content());
                r.put("status", it.status());
            }
            case ConversationStore.FUNCTION_CALL_OUTPUT -> {
                r.put("type", "function_call_output");
                r.put("id", it.id());
                r.put("call_id", it.callId());
                r.put("output", it.content());
                r.put("status", it.status());
            }
            default -> {
                r.put("type", "message");
                r.put("id", it.id());
                r.put("status", it.status());
                r.put("role", it.role());
                ObjectNode part = r.putArray("content").addObject();
                boolean output = it.role().equals("assistant");
                part.put("type", output ? "output_text" : "input_text");
                part.put("text", it.content());
                if (output) part.putArray("annotations");
            }
        }
        return r;
    }

    /** A function_call output item as a response shows it. */
    static ObjectNode functionCall(String id, ToolCalls.Call c, String status, boolean withArguments) {
        ObjectNode r = HttpIo.JSON.createObjectNode();
        r.put("type", "function_call");
        r.put("id", id);
        r.put("call_id", c.id());
        r.put("name", c.name());
        r.put("arguments", withArguments ? c.arguments() : "");
        r.put("status", status);
        return r;
    }
}

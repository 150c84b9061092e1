package dev.jllm.chat;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@link ChatMessage} records → the dicts templates index into, in the shape transformers users pass:
 * {@code role} and {@code content} always, {@code tool_calls}/{@code tool_call_id}/{@code name} only
 * when set (templates test {@code 'tool_calls' in message} and {@code message.name is defined}).
 */
final class TemplateInput {

    private static final ObjectMapper JSON = new ObjectMapper();

    private TemplateInput() {}

    static List<Map<String, Object>> messages(List<ChatMessage> messages) {
        List<Map<String, Object>> out = new ArrayList<>(messages.size());
        for (ChatMessage m : messages) {
            Map<String, Object> d = new LinkedHashMap<>();
            d.put("role", m.role());
            d.put("content", m.content());
            if (!m.toolCalls().isEmpty()) d.put("tool_calls", toolCalls(m.toolCalls()));
            if (m.toolCallId() != null) d.put("tool_call_id", m.toolCallId());
            if (m.name() != null) d.put("name", m.name());
            out.add(d);
        }
        return out;
    }

    /**
     * OpenAI clients send {@code function.arguments} as a JSON string; HF templates expect a mapping
     * (Llama prints it with tojson, Qwen3 only passes strings through). A string holding a JSON object
     * becomes that object; anything else stays as given.
     */
    private static List<Object> toolCalls(List<Map<String, Object>> calls) {
        List<Object> out = new ArrayList<>(calls.size());
        for (Map<String, Object> call : calls) {
            Map<String, Object> c = copy(call);
            if (c.get("function") instanceof Map<?, ?> fn && fn.get("arguments") instanceof String args) {
                Map<String, Object> f = copy(fn);
                f.put("arguments", parseObject(args));
                c.put("function", f);
            }
            out.add(c);
        }
        return out;
    }

    private static Object parseObject(String json) {
        try {
            Object parsed = JSON.readValue(json, Object.class);
            return parsed instanceof Map<?, ?> ? parsed : json;
        } catch (JsonProcessingException e) {
            return json;
        }
    }

    /** A mutable, order-keeping copy, so templates never see (or depend on) the caller's map class. */
    @SuppressWarnings("unchecked")
    static Map<String, Object> copy(Map<?, ?> map) {
        Map<String, Object> out = new LinkedHashMap<>();
        map.forEach((k, v) -> out.put(String.valueOf(k), deepCopy(v)));
        return out;
    }

    static List<Object> copy(List<?> list) {
        List<Object> out = new ArrayList<>(list.size());
        for (Object o : list) out.add(deepCopy(o));
        return out;
    }

    private static Object deepCopy(Object v) {
        if (v instanceof Map<?, ?> m) return copy(m);
        if (v instanceof List<?> l) return copy(l);
        return v;
    }
}

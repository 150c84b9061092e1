package dev.jllm.chat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** expected.json conversations → ChatMessage records. */
final class Conversations {
    private static final ObjectMapper JSON = new ObjectMapper();

    private Conversations() {}

    @SuppressWarnings("unchecked")
    static List<ChatMessage> read(JsonNode conversation) {
        List<ChatMessage> out = new ArrayList<>();
        for (JsonNode m : conversation) {
            List<Map<String, Object>> calls = m.has("tool_calls") ? JSON.convertValue(m.get("tool_calls"), List.class) : null;
            out.add(new ChatMessage(m.get("role").asText(), m.get("content").asText(), calls,
                    m.has("tool_call_id") ? m.get("tool_call_id").asText() : null,
                    m.has("name") ? m.get("name").asText() : null));
        }
        return out;
    }
}

package dev.jllm.chat;

import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * One message of a conversation, as chat templates see it (the OpenAI message shape).
 *
 * @param role       "system", "user", "assistant" or "tool"
 * @param content    the text (may be empty for an assistant message that only calls tools)
 * @param toolCalls  assistant tool calls in OpenAI form ({id, type: "function", function: {name, arguments}}), or empty
 * @param toolCallId for role "tool": the id of the call this answers, else null
 * @param name       optional participant / tool name, else null
 */
public record ChatMessage(String role, String content, List<Map<String, Object>> toolCalls, String toolCallId, String name) {

    public ChatMessage {
        Objects.requireNonNull(role, "role");
        if (!List.of("system", "user", "assistant", "tool", "developer").contains(role)) {
            throw new IllegalArgumentException("message role must be system, developer, user, assistant or tool, got '" + role + "'");
        }
        content = content == null ? "" : content;
        toolCalls = toolCalls == null ? List.of() : List.copyOf(toolCalls);
    }

    public static ChatMessage system(String content) { return new ChatMessage("system", content, null, null, null); }

    public static ChatMessage user(String content) { return new ChatMessage("user", content, null, null, null); }

    public static ChatMessage assistant(String content) { return new ChatMessage("assistant", content, null, null, null); }
}

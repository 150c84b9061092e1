package dev.jllm.chat;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Tools for templates that do not take them: Qwen2.5's own tool instructions (the Hermes format)
 * prepended to the system message, assistant tool calls written as {@code <tool_call>} blocks and
 * tool results as {@code <tool_response>} blocks in a user turn — the text a Hermes-trained model
 * sees, and a format any model can be constrained to.
 */
final class ToolPrompt {
    private static final ObjectMapper JSON = new ObjectMapper();

    private ToolPrompt() {}

    static List<ChatMessage> hermes(List<ChatMessage> messages, List<Map<String, Object>> tools) {
        List<ChatMessage> out = new ArrayList<>(messages.size() + 1);
        if (tools != null && !tools.isEmpty()) {
            StringBuilder sys = new StringBuilder("# Tools\n\nYou may call one or more functions to assist with the user query.\n\n"
                    + "You are provided with function signatures within <tools></tools> XML tags:\n<tools>");
            for (Map<String, Object> t : tools) sys.append('\n').append(json(t));
            sys.append("\n</tools>\n\nFor each function call, return a json object with function name and arguments within <tool_call></tool_call>"
                    + " XML tags:\n<tool_call>\n{\"name\": <function-name>, \"arguments\": <args-json-object>}\n</tool_call>");
            if (!messages.isEmpty() && messages.getFirst().role().equals("system")) {
                ChatMessage s = messages.getFirst();
                out.add(new ChatMessage("system", s.content() + "\n\n" + sys, null, null, s.name()));
                messages = messages.subList(1, messages.size());
            } else {
                out.add(ChatMessage.system(sys.toString()));
            }
        }
        for (ChatMessage m : messages) {
            if (m.role().equals("assistant") && !m.toolCalls().isEmpty()) {
                StringBuilder b = new StringBuilder(m.content());
                for (Map<String, Object> call : m.toolCalls()) {
                    Object fn = call.get("function");
                    Object name = fn instanceof Map<?, ?> f ? f.get("name") : null;
                    Object args = fn instanceof Map<?, ?> f ? f.get("arguments") : null;
                    if (!b.isEmpty()) b.append('\n');
                    b.append("<tool_call>\n{\"name\": ").append(json(name)).append(", \"arguments\": ")
                            .append(args instanceof String s ? s : json(args)).append("}\n</tool_call>");
                }
                out.add(new ChatMessage("assistant", b.toString(), null, null, m.name()));
            } else if (m.role().equals("tool")) {
                String block = "<tool_response>\n" + m.content() + "\n</tool_response>";
                ChatMessage prev = out.isEmpty() ? null : out.getLast();
                if (prev != null && prev.role().equals("user") && prev.content().endsWith("</tool_response>")) {
                    out.set(out.size() - 1, ChatMessage.user(prev.content() + "\n" + block)); // results of parallel calls share one turn
                } else {
                    out.add(ChatMessage.user(block));
                }
            } else {
                out.add(m);
            }
        }
        return out;
    }

    private static String json(Object o) {
        try {
            return JSON.writeValueAsString(o);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("tool definition is not JSON: " + e.getMessage(), e);
        }
    }
}

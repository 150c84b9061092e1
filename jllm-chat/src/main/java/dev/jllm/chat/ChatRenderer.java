package dev.jllm.chat;

import java.util.List;
import java.util.Map;

/** Messages → prompt text: the model's chat template ({@link ChatTemplate}, or a method reference to its render). */
@FunctionalInterface
public interface ChatRenderer {
    String render(List<ChatMessage> messages, boolean addGenerationPrompt);

    /**
     * Renders with tool definitions (OpenAI form {@code {type: "function", function: {name, description,
     * parameters}}}; empty for none). This default is for templates that do not read {@code tools}:
     * the definitions go into the system message and earlier tool calls and results into the text, in
     * the Hermes format ({@link ToolPrompt}), which {@link #toolCallFormat()} then parses.
     */
    default String render(List<ChatMessage> messages, boolean addGenerationPrompt, List<Map<String, Object>> tools) {
        return render(ToolPrompt.hermes(messages, tools), addGenerationPrompt);
    }

    /** How this template's model writes tool calls. */
    default ToolCallFormat toolCallFormat() {
        return ToolCallFormat.HERMES;
    }
}

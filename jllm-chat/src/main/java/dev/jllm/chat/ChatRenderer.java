package dev.jllm.chat;

import java.util.List;

/** Messages → prompt text: the model's chat template ({@code ChatTemplate::render}). */
@FunctionalInterface
public interface ChatRenderer {
    String render(List<ChatMessage> messages, boolean addGenerationPrompt);
}

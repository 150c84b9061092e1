package dev.jllm.sft;

import dev.jllm.chat.ChatMessage;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * One training record as a chat, whatever shape it came in, with where it came from.
 *
 * @param messages  leading system/developer messages, then user → assistant turns (tool calls and
 *                  results between them); always ends with an assistant message
 * @param trainable indices of the assistant messages that may carry loss, ascending (all of them,
 *                  except OpenAI's {@code "weight": 0} turns)
 * @param tools     tool definitions in OpenAI form for the template, or null
 * @param file      the file as the caller named it
 * @param line      1-based line where the record starts
 * @param index     0-based record number in the file (counting every record, good or bad)
 */
public record Conversation(List<ChatMessage> messages, List<Integer> trainable, List<Map<String, Object>> tools,
                           String file, long line, int index) {
    public Conversation {
        messages = List.copyOf(messages);
        trainable = List.copyOf(trainable);
        tools = tools == null ? null : List.copyOf(tools);
        Objects.requireNonNull(file, "file");
        if (trainable.isEmpty()) throw new IllegalArgumentException("a conversation needs at least one assistant turn to learn");
        for (int i : trainable) {
            if (i < 0 || i >= messages.size() || !messages.get(i).role().equals("assistant")) {
                throw new IllegalArgumentException("trainable index " + i + " is not an assistant message");
            }
        }
    }

    /** {@code FILE:LINE}, for messages. */
    public String where() {
        return file + ":" + line;
    }
}

package dev.jllm.chat;

/** How a model family writes tool calls in its output, decided from its chat template. */
public enum ToolCallFormat {
    /** Qwen2.5/Qwen3 (and the default for templates without tools): {@code <tool_call>\n{"name": ..., "arguments": {...}}\n</tool_call>}, several allowed. */
    HERMES,
    /** Llama 3.1+: the whole answer is one {@code {"name": ..., "parameters": {...}}} (optionally after {@code <|python_tag|>}). */
    LLAMA3_JSON
}

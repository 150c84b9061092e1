package dev.jllm.chat;

/**
 * The messages cannot become a prompt. {@link #param} names the request field at fault (e.g.
 * {@code messages}, {@code input[2].content}); {@link #code} is a stable machine-readable reason
 * (OpenAI's error codes where one exists: {@code context_length_exceeded}, {@code invalid_content},
 * {@code chat_template_rejected}, {@code chat_template_limit}); {@link #clientError} is false only when
 * the model's own chat template failed (not the caller's fault). The server maps it to HTTP, the CLI
 * prints it.
 */
public final class PromptException extends RuntimeException {
    public final String param;
    public final String code;
    public final boolean clientError;

    public PromptException(String param, String code, String message, boolean clientError) {
        super(message);
        this.param = param;
        this.code = code;
        this.clientError = clientError;
    }

    static PromptException invalid(String param, String code, String message) {
        return new PromptException(param, code, message, true);
    }
}

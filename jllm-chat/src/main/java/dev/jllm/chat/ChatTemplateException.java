package dev.jllm.chat;

/**
 * A chat template that cannot be compiled or rendered. Unchecked: a bad template is a property of the
 * model file, found once at load time ({@link Kind#SYNTAX}); render-time failures are mostly the
 * caller's conversation ({@link Kind#RAISED}: the template refused it with its own message, e.g.
 * "Conversation roles must alternate user/assistant/user/assistant/..." — an HTTP server answers 400
 * with {@link #getMessage()}).
 */
public final class ChatTemplateException extends RuntimeException {

    /** What went wrong. */
    public enum Kind {
        /** The template does not parse. */
        SYNTAX,
        /** The template called {@code raise_exception(message)}; the message is the template's own. */
        RAISED,
        /** Evaluation failed (unknown filter, wrong type, ...). */
        RENDER,
        /** The render hit a resource limit (output size, time, collection size). */
        LIMIT
    }

    private final Kind kind;

    ChatTemplateException(Kind kind, String message) {
        super(message);
        this.kind = kind;
    }

    ChatTemplateException(Kind kind, String message, Throwable cause) {
        super(message, cause);
        this.kind = kind;
    }

    public Kind kind() {
        return kind;
    }
}

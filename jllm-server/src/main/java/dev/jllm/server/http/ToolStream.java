package dev.jllm.server.http;

import dev.jllm.chat.ToolCallFormat;

/**
 * Streams an answer that may contain tool calls without leaking their markup as content: text is
 * passed on until a call may be starting ({@code <tool_call>} for Hermes, a leading {@code {} or
 * {@code <|python_tag|>} for Llama JSON); from there on it is held and parsed at the end, when the
 * calls go out as OpenAI's tool_calls deltas (and anything that was not a call as content).
 */
final class ToolStream {
    private static final String HERMES_OPEN = "<tool_call>";

    private final ToolCallFormat format;
    private final StringBuilder pending = new StringBuilder();
    private boolean capturing;
    private boolean decided; // Llama JSON: whether the answer's first non-blank character has been seen

    ToolStream(ToolCallFormat format) {
        this.format = format;
    }

    /** Takes streamed text; returns what can go out as content now. */
    String feed(String s) {
        pending.append(s);
        if (capturing) return "";
        if (format == ToolCallFormat.LLAMA3_JSON) {
            if (!decided) {
                String t = pending.toString().stripLeading();
                if (t.isEmpty()) return "";
                if ("<|python_tag|>".startsWith(t) && t.length() < "<|python_tag|>".length()) return "";
                decided = true;
                if (t.startsWith("{") || t.startsWith("<|python_tag|>")) {
                    capturing = true;
                    return "";
                }
            }
            return take(pending.length());
        }
        int open = pending.indexOf(HERMES_OPEN);
        if (open >= 0) {
            capturing = true;
            return take(open);
        }
        // hold back a tail that may still become "<tool_call>"
        int keep = 0;
        for (int k = Math.min(HERMES_OPEN.length() - 1, pending.length()); k > 0; k--) {
            if (HERMES_OPEN.startsWith(pending.substring(pending.length() - k))) {
                keep = k;
                break;
            }
        }
        return take(pending.length() - keep);
    }

    /** Whether a call may have started (text is being held). */
    boolean capturing() {
        return capturing;
    }

    /** The held text at the end of the answer. */
    String held() {
        return pending.toString();
    }

    private String take(int n) {
        String out = pending.substring(0, n);
        pending.delete(0, n);
        return out;
    }
}

package dev.jllm.server;

import dev.jllm.chat.ChatMessage;
import dev.jllm.chat.ChatTemplateException;
import dev.jllm.tokenizer.Tokenizer;
import java.util.ArrayList;
import java.util.List;

/**
 * Messages → prompt tokens through the chat template, with two guards.
 *
 * <p><b>No special-token injection.</b> The rendered prompt is tokenized with special-token parsing on
 * (the template's {@code <|im_start|>}, {@code </s>} ... must become control tokens), so message
 * content must not be able to smuggle control tokens in. llama.cpp and vLLM tokenize the whole
 * rendered prompt with special parsing and so let content through; we reject instead: (1) each
 * message's content, tokenized with special parsing, must contain no control token
 * ({@link #checkContent}, 400 naming {@code messages[i].content}); (2) the whole prompt must contain
 * exactly as many control tokens as the same template renders with every content blanked — which
 * also catches a control token formed across a content/template boundary. Escaping was rejected:
 * there is no way to write a control token's text that tokenizes to plain text in every vocabulary.
 *
 * <p><b>Context.</b> With truncation "disabled" a prompt that leaves no room to answer is a 400 that
 * gives the token counts. With "auto" the oldest non-system messages are dropped (a leading
 * assistant reply goes with its user turn) until the prompt plus a reserve fits: the client's
 * max_tokens capped at half the context, or a quarter of the context when none was given. The
 * last message is never dropped; the dropped count is returned (HTTP header
 * {@code x-jllm-truncated-messages}).
 */
final class PromptBuilder {
    record Prompt(int[] tokens, int droppedMessages) {}

    private final Tokenizer tok;
    private final ChatRenderer renderer;
    private final int ctx;

    PromptBuilder(Tokenizer tok, ChatRenderer renderer, int contextLength) {
        this.tok = tok;
        this.renderer = renderer;
        this.ctx = contextLength;
    }

    int contextLength() {
        return ctx;
    }

    Tokenizer tokenizer() {
        return tok;
    }

    /** 400 if text (client-supplied content) contains a control token's text. */
    void checkContent(String text, String param) {
        for (int id : tok.encode(text, false, true)) {
            if (tok.tokenType(id).isSpecial()) {
                throw ApiException.invalid(param, "invalid_content", "'" + param + "' contains the control token '" + tok.piece(id)
                        + "'; control tokens are reserved for the chat template");
            }
        }
    }

    /** Plain text prompt (completions): BOS as the vocabulary asks, no special-token parsing at all. */
    int[] encodePlain(String text) {
        return tok.encode(text, true, false);
    }

    Prompt build(List<ChatMessage> messages, String param, GenerationArgs args) {
        return build(messages, param, args, null);
    }

    /**
     * @param previous the token sequence the conversation's last turn left (its prompt and reply,
     *                 {@link GenerationEvent.Finished#sequence}), or null: where the new prompt's text
     *                 starts with that sequence's text, its ids are kept (see {@link #splice})
     */
    Prompt build(List<ChatMessage> messages, String param, GenerationArgs args, int[] previous) {
        if (messages.isEmpty()) throw ApiException.invalid(param, "'" + param + "' must contain at least one message");
        List<ChatMessage> msgs = new ArrayList<>(messages);
        int[] tokens = render(msgs, param, previous);
        if (!args.truncateAuto()) {
            if (tokens.length >= ctx) {
                throw ApiException.invalid(param, "context_length_exceeded", "this model's maximum context length is " + ctx
                        + " tokens, but the prompt built from '" + param + "' is " + tokens.length + " tokens and at least 1 is needed for the reply;"
                        + " shorten them or set truncation: \"auto\"");
            }
            return new Prompt(tokens, 0);
        }
        int reserve = args.maxTokensGiven() ? Math.min(args.params().maxTokens(), ctx / 2) : Math.max(1, ctx / 4);
        int dropped = 0;
        while (tokens.length + reserve > ctx) {
            int first = firstDroppable(msgs);
            if (first < 0) {
                throw ApiException.invalid(param, "context_length_exceeded", "this model's maximum context length is " + ctx
                        + " tokens; even after dropping " + dropped + " older messages the prompt built from '" + param + "' is " + tokens.length
                        + " tokens plus " + reserve + " reserved for the reply");
            }
            msgs.remove(first);
            dropped++;
            // a reply without its question makes no sense to the model: drop it with its turn
            if (first < msgs.size() - 1 && msgs.get(first).role().equals("assistant")) {
                msgs.remove(first);
                dropped++;
            }
            tokens = render(msgs, param, previous);
        }
        return new Prompt(tokens, dropped);
    }

    /** The oldest message that is neither a system/developer message nor the last one, or -1. */
    private static int firstDroppable(List<ChatMessage> msgs) {
        for (int i = 0; i < msgs.size() - 1; i++) {
            String r = msgs.get(i).role();
            if (!r.equals("system") && !r.equals("developer")) return i;
        }
        return -1;
    }

    private int[] render(List<ChatMessage> msgs, String param, int[] previous) {
        String text = apply(msgs, param);
        int[] ids = encodeTemplate(text);
        List<ChatMessage> blank = new ArrayList<>(msgs.size());
        for (ChatMessage m : msgs) blank.add(new ChatMessage(m.role(), "x", m.toolCalls(), m.toolCallId(), m.name()));
        if (specialCount(ids) != specialCount(encodeTemplate(apply(blank, param)))) {
            throw ApiException.invalid(param, "invalid_content", "the " + param + " form a control token together with the chat template;"
                    + " control tokens are reserved for the template");
        }
        return previous == null ? ids : splice(previous, text, ids);
    }

    /**
     * The prompt of a follow-up turn as the previous turn's own ids plus the tokens of the new text.
     *
     * <p>Why: re-tokenizing the history rarely gives back the ids the model generated (the model may
     * say "foo" + "bar" where the tokenizer writes "foobar"), so the cached KV would match only up to
     * the first such spot in the last reply and the rest of the conversation would be prefilled
     * again. The model saw and produced exactly {@code previous}, so continuing from those ids is
     * what a running conversation is; only text after them is tokenized (SGLang and agent frameworks
     * keep token ids across turns for the same reason).
     *
     * <p>Kept tokens: the longest prefix of {@code previous} whose bytes are a prefix of
     * {@code text}, cut back to a character boundary. Byte-level vocabularies only (their token bytes
     * are exact); the result is used only if it has as many control tokens as the canonical
     * tokenization (so the template guard above still holds), else the canonical ids are.
     */
    int[] splice(int[] previous, String text, int[] canonical) {
        if (!(tok instanceof dev.jllm.tokenizer.ByteLevelBpe) || previous.length == 0) return canonical;
        byte[] want = text.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        int i = 0, at = 0;
        // a BOS the vocabulary adds (not written by the template) has no text
        int bos = tok.bos();
        if (bos >= 0 && previous[0] == bos && canonical.length > 0 && canonical[0] == bos && !startsWith(want, 0, tok.tokenBytes(bos))) i = 1;
        int start = i;
        int[] ends = new int[previous.length + 1]; // byte offset after each kept token
        ends[i] = 0;
        for (; i < previous.length; i++) {
            byte[] b = tok.tokenBytes(previous[i]);
            if (!startsWith(want, at, b)) break;
            at += b.length;
            ends[i + 1] = at;
        }
        // back off to a character boundary: the rest is tokenized as a string
        while (i > start && ends[i] < want.length && (want[ends[i]] & 0xC0) == 0x80) i--;
        if (i == start) return canonical;
        at = ends[i];
        int[] rest = tok.encode(new String(want, at, want.length - at, java.nio.charset.StandardCharsets.UTF_8), false, true);
        int[] out = java.util.Arrays.copyOf(previous, i + rest.length);
        System.arraycopy(rest, 0, out, i, rest.length);
        return specialCount(out) == specialCount(canonical) ? out : canonical;
    }

    private static boolean startsWith(byte[] a, int at, byte[] b) {
        if (at + b.length > a.length) return false;
        for (int j = 0; j < b.length; j++) if (a[at + j] != b[j]) return false;
        return true;
    }

    /** The template's refusals (roles must alternate, no system role, ...) are the client's to fix: 400. */
    private String apply(List<ChatMessage> msgs, String param) {
        try {
            return renderer.render(msgs, true);
        } catch (ChatTemplateException e) {
            throw switch (e.kind()) {
                case RAISED -> ApiException.invalid(param, "chat_template_rejected", "the model's chat template rejected the " + param
                        + ": " + e.getMessage());
                case LIMIT -> ApiException.invalid(param, "chat_template_limit", "the " + param + " are too large for the chat template: "
                        + e.getMessage());
                default -> new ApiException(500, "server_error", null, "chat_template_error", "the model's chat template failed: "
                        + e.getMessage(), 0);
            };
        }
    }

    /** Template output: special tokens parsed; one BOS even when the template writes it and the vocabulary adds it too. */
    private int[] encodeTemplate(String text) {
        int[] ids = tok.encode(text, true, true);
        int bos = tok.bos();
        if (ids.length >= 2 && bos >= 0 && ids[0] == bos && ids[1] == bos) ids = java.util.Arrays.copyOfRange(ids, 1, ids.length);
        return ids;
    }

    private int specialCount(int[] ids) {
        int n = 0;
        for (int id : ids) if (tok.tokenType(id).isSpecial()) n++;
        return n;
    }
}

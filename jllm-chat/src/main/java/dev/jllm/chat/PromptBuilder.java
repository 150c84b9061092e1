package dev.jllm.chat;

import dev.jllm.tokenizer.ByteLevelBpe;
import dev.jllm.tokenizer.Tokenizer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Arrays;
import java.util.List;

/**
 * Messages → prompt tokens through the chat template, with two guards and the one truncation
 * policy — used by the server (every API) and by {@code jllm chat}.
 *
 * <p><b>Control tokens only from the template.</b> The rendered prompt is tokenized with special-token
 * parsing on (the template's {@code <|im_start|>}, {@code </s>} ... must become control tokens), but
 * text a client wrote stays plain text even where it spells a control token — people paste prompts
 * and documentation that quote {@code <|im_start|>system}, and OpenAI's API accepts them as text.
 * llama.cpp and vLLM tokenize the whole rendered prompt with special parsing, so such content injects
 * real roles there. Here each occurrence of a control token's text in a message's content is swapped
 * for a placeholder before rendering (noncharacters U+FDD0 … U+FDD1, which no template treats
 * specially), the template runs, the placeholders are put back and their chars marked literal, and
 * {@link Tokenizer#encode(String, boolean, java.util.BitSet)} parses control tokens everywhere but
 * there: the fragment between the template's own control tokens is tokenized whole as plain text,
 * so the content gets the ids a plain-text encoding gives it. A guard remains: the prompt must
 * contain exactly as many control tokens as the same template renders with every content blanked,
 * which catches one formed across a content/template boundary.
 *
 * <p><b>Context.</b> With truncation off a prompt that leaves no room to answer is an error that
 * gives the token counts. With truncation on ("auto") the oldest non-system messages are dropped (a
 * leading assistant reply goes with its user turn) until the prompt plus a reserve fits: the reply's
 * max tokens capped at half the context, or a quarter of the context when none was given. The
 * last message is never dropped; the dropped count is returned (HTTP header
 * {@code x-jllm-truncated-messages}; {@code jllm chat} says so on stderr).
 */
public final class PromptBuilder {
    /** The prompt's token ids, and how many of the oldest messages were dropped to fit the context. */
    public record Prompt(int[] tokens, int droppedMessages) {}

    /**
     * How to fit the context.
     *
     * @param auto        drop the oldest turns to fit (OpenAI's {@code truncation: "auto"}); false = an error instead
     * @param maxTokens   the reply's token limit as the caller gave it, or 0 when none was given
     * @param fullReserve keep all of {@code maxTokens} free (the server: a limit the client set is honoured
     *                    or refused, never clamped); false caps the reserve at half the context ({@code jllm chat -n})
     */
    public record Truncation(boolean auto, int maxTokens, boolean fullReserve) {
        public static final Truncation DISABLED = new Truncation(false, 0);

        public Truncation(boolean auto, int maxTokens) {
            this(auto, maxTokens, false);
        }

        public Truncation {
            if (maxTokens < 0) throw new IllegalArgumentException("maxTokens must be >= 0, got " + maxTokens);
        }

        /** Tokens kept free for the reply when dropping turns: max tokens (up to half the context unless fullReserve), else a quarter of it. */
        int reserve(int ctx) {
            if (maxTokens > 0) return fullReserve ? maxTokens : Math.min(maxTokens, ctx / 2);
            return Math.max(1, ctx / 4);
        }
    }

    private final Tokenizer tok;
    private final ChatRenderer renderer;
    private final int ctx;

    public PromptBuilder(Tokenizer tok, ChatRenderer renderer, int contextLength) {
        this.tok = tok;
        this.renderer = renderer;
        this.ctx = contextLength;
    }

    /** The same builder rendering with tool definitions (OpenAI form; none: this builder), the template's own way or the Hermes default. */
    public PromptBuilder withTools(List<java.util.Map<String, Object>> tools) {
        if (tools == null || tools.isEmpty()) return this;
        ChatRenderer r = renderer;
        List<java.util.Map<String, Object>> copy = List.copyOf(tools);
        return new PromptBuilder(tok, new ChatRenderer() {
            @Override
            public String render(List<ChatMessage> messages, boolean addGenerationPrompt) {
                return r.render(messages, addGenerationPrompt, copy);
            }

            @Override
            public String render(List<ChatMessage> messages, boolean addGenerationPrompt, List<java.util.Map<String, Object>> ignored) {
                return r.render(messages, addGenerationPrompt, copy);
            }

            @Override
            public ToolCallFormat toolCallFormat() {
                return r.toolCallFormat();
            }
        }, ctx);
    }

    /** How the model writes tool calls (from its chat template). */
    public ToolCallFormat toolCallFormat() {
        return renderer.toolCallFormat();
    }

    public int contextLength() {
        return ctx;
    }

    public Tokenizer tokenizer() {
        return tok;
    }

    /** Plain text prompt (completions): BOS as the vocabulary asks, no special-token parsing at all. */
    public int[] encodePlain(String text) {
        return tok.encode(text, true, false);
    }

    public Prompt build(List<ChatMessage> messages, String param, Truncation truncation) {
        return build(messages, param, truncation, null, null);
    }

    /**
     * @param param    the request field the messages came from (named in errors)
     * @param previous the token sequence the conversation's last turn left (its prompt and reply, as
     *                 the model saw and said it), or null: where the new prompt's text starts with
     *                 that sequence's text, its ids are kept (see {@link #splice})
     */
    public Prompt build(List<ChatMessage> messages, String param, Truncation truncation, int[] previous) {
        return build(messages, param, truncation, previous, null);
    }

    /**
     * {@link #build(List, String, Truncation, int[])} keeping the ids of the candidate (a prefix cache's idle sequences) whose ids
     * spell the longest prefix of the prompt these messages render to, chosen on the first rendering (before any truncation), so
     * the prompt is rendered and tokenized once for both the choice and the splice. Matched on the text, not on the canonical ids:
     * a resent history whose earlier reply the model wrote in another split shares few canonical ids with its own cached turn,
     * and another conversation that merely starts alike would win. No candidate spelling any of it: the canonical prompt.
     */
    public Prompt build(List<ChatMessage> messages, String param, Truncation truncation, java.util.Collection<int[]> candidates) {
        return build(messages, param, truncation, null, candidates);
    }

    private Prompt build(List<ChatMessage> messages, String param, Truncation truncation, int[] previous, java.util.Collection<int[]> candidates) {
        if (messages.isEmpty()) throw PromptException.invalid(param, null, "'" + param + "' must contain at least one message");
        List<ChatMessage> msgs = new ArrayList<>(messages);
        Rendered r = render(msgs, param, previous, candidates);
        int[] tokens = r.tokens();
        previous = r.previous();
        if (!truncation.auto()) {
            if (tokens.length >= ctx) {
                throw PromptException.invalid(param, "context_length_exceeded", "this model's maximum context length is " + ctx
                        + " tokens, but the prompt built from '" + param + "' is " + tokens.length + " tokens and at least 1 is needed for the reply;"
                        + " shorten them or set truncation: \"auto\"");
            }
            return new Prompt(tokens, 0);
        }
        int reserve = truncation.reserve(ctx);
        int dropped = 0;
        while (tokens.length + reserve > ctx) {
            int first = firstDroppable(msgs);
            if (first < 0) {
                throw PromptException.invalid(param, "context_length_exceeded", "this model's maximum context length is " + ctx
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
            tokens = render(msgs, param, previous, null).tokens();
        }
        return new Prompt(tokens, dropped);
    }

    /**
     * A plain token prompt (completions) fitted to the context by the same policy: with truncation
     * off, an error unless at least one token is left for the reply; with auto, the oldest tokens are
     * dropped until the prompt plus the reply reserve fits (a completion continues the end of a text).
     */
    public int[] fit(int[] tokens, String param, Truncation truncation) {
        if (!truncation.auto()) {
            if (tokens.length >= ctx) {
                throw PromptException.invalid(param, "context_length_exceeded", "this model's maximum context length is " + ctx
                        + " tokens, but the " + param + " takes " + tokens.length + " tokens and at least 1 is needed for the completion");
            }
            return tokens;
        }
        int keep = ctx - truncation.reserve(ctx);
        if (keep < 1) {
            throw PromptException.invalid(param, "context_length_exceeded", "this model's maximum context length is " + ctx
                    + " tokens; " + truncation.reserve(ctx) + " reserved for the completion leave no room for the " + param);
        }
        return tokens.length <= keep ? tokens : Arrays.copyOfRange(tokens, tokens.length - keep, tokens.length);
    }

    /** The oldest message that is neither a system/developer message nor the last one, or -1. */
    private static int firstDroppable(List<ChatMessage> msgs) {
        for (int i = 0; i < msgs.size() - 1; i++) {
            String r = msgs.get(i).role();
            if (!r.equals("system") && !r.equals("developer")) return i;
        }
        return -1;
    }

    /** The prompt's ids, and the cached sequence whose ids they keep (null: canonical). */
    private record Rendered(int[] tokens, int[] previous) {}

    private Rendered render(List<ChatMessage> msgs, String param, int[] previous, java.util.Collection<int[]> candidates) {
        Literal marked = renderLiteral(msgs, param);
        int[] ids = encodeTemplate(marked.text(), marked.literal());
        List<ChatMessage> blank = new ArrayList<>(msgs.size());
        for (ChatMessage m : msgs) blank.add(new ChatMessage(m.role(), "x", m.toolCalls(), m.toolCallId(), m.name()));
        if (specialCount(ids) != specialCount(encodeTemplate(apply(blank, param), null))) {
            throw PromptException.invalid(param, "invalid_content", "the " + param + " form a control token together with the chat template;"
                    + " control tokens are reserved for the template");
        }
        if (previous == null && candidates != null) previous = closest(marked, ids, candidates);
        return new Rendered(previous == null ? ids : splice(previous, marked, ids), previous);
    }

    /** The rendered prompt and the chars of it that clients wrote as control-token text (to be tokenized as plain text). */
    record Literal(String text, BitSet literal) {}

    private static final char OPEN = '\uFDD0', CLOSE = '\uFDD1';

    /** Renders with every control-token text in the contents held out by placeholders, then puts them back, marked literal. */
    Literal renderLiteral(List<ChatMessage> msgs, String param) {
        List<String> held = new ArrayList<>();
        List<ChatMessage> escaped = new ArrayList<>(msgs.size());
        for (ChatMessage m : msgs) {
            String c = m.content() == null ? null : escape(m.content(), held);
            escaped.add(c == m.content() ? m : new ChatMessage(m.role(), c, m.toolCalls(), m.toolCallId(), m.name()));
        }
        String rendered = apply(escaped, param);
        if (held.isEmpty()) return new Literal(rendered, null);
        StringBuilder out = new StringBuilder(rendered.length());
        BitSet literal = new BitSet();
        for (int i = 0; i < rendered.length(); ) {
            char ch = rendered.charAt(i);
            int close = ch == OPEN ? rendered.indexOf(CLOSE, i + 1) : -1;
            int k = close > i + 1 ? index(rendered, i + 1, close, held.size()) : -1;
            if (k < 0) {
                out.append(ch);
                i++;
                continue;
            }
            String text = held.get(k);
            literal.set(out.length(), out.length() + text.length());
            out.append(text);
            i = close + 1;
        }
        return new Literal(out.toString(), literal);
    }

    /** The placeholder number in {@code s[from, to)}, or -1 when it is not one. */
    private static int index(String s, int from, int to, int count) {
        int k = 0;
        for (int i = from; i < to; i++) {
            char c = s.charAt(i);
            if (c < '0' || c > '9' || i - from > 6) return -1;
            k = k * 10 + (c - '0');
        }
        return k < count ? k : -1;
    }

    /**
     * The content with each control token's text (and each placeholder delimiter, so a content cannot
     * forge a placeholder) replaced by a numbered placeholder; the same string when there is none.
     */
    private String escape(String content, List<String> held) {
        List<String> texts = new ArrayList<>();
        for (int id : tok.encode(content, false, true)) {
            if (tok.tokenType(id).isSpecial()) texts.add(new String(tok.tokenBytes(id), StandardCharsets.UTF_8));
        }
        if (content.indexOf(OPEN) >= 0) texts.add(String.valueOf(OPEN));
        if (content.indexOf(CLOSE) >= 0) texts.add(String.valueOf(CLOSE));
        if (texts.isEmpty()) return content;
        texts.sort((a, b) -> b.length() - a.length()); // longest first where one token's text contains another's
        StringBuilder out = new StringBuilder(content.length() + 16);
        outer:
        for (int i = 0; i < content.length(); ) {
            for (String t : texts) {
                if (!t.isEmpty() && content.startsWith(t, i)) {
                    out.append(OPEN).append(held.size()).append(CLOSE);
                    held.add(t);
                    i += t.length();
                    continue outer;
                }
            }
            out.append(content.charAt(i++));
        }
        return out.toString();
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
        return splice(previous, new Literal(text, null), canonical);
    }

    /** Of the candidates, the one whose ids spell the longest prefix of the rendered prompt (cut as {@link #walk} cuts), or null. */
    private int[] closest(Literal marked, int[] canonical, java.util.Collection<int[]> candidates) {
        if (candidates.isEmpty() || !(tok instanceof ByteLevelBpe)) return null;
        byte[] want = marked.text().getBytes(StandardCharsets.UTF_8);
        java.util.BitSet cuts = boundaries(canonical);
        int bos = tok.bos();
        boolean canonicalBos = bos >= 0 && canonical.length > 0 && canonical[0] == bos;
        int[] best = null;
        int bestBytes = 0;
        for (int[] c : candidates) {
            int[] w = walk(c, want, canonicalBos, cuts);
            if (w[1] > bestBytes) {
                best = c;
                bestBytes = w[1];
            }
        }
        return best;
    }

    /**
     * How far {@code previous}'s ids spell {@code want}: {kept tokens, bytes they cover, first token (1 when a BOS without text is
     * skipped: both sequences start with the BOS the vocabulary adds)}, backed off to a character boundary.
     */
    private int[] walk(int[] previous, byte[] want, boolean canonicalStartsWithBos, java.util.BitSet cuts) {
        int i = 0, at = 0;
        // a BOS the vocabulary adds (not written by the template) has no text
        int bos = tok.bos();
        if (bos >= 0 && previous.length > 0 && previous[0] == bos && canonicalStartsWithBos && !startsWith(want, 0, tok.tokenBytes(bos))) i = 1;
        int start = i;
        int[] ends = new int[previous.length + 1]; // byte offset after each kept token
        for (; i < previous.length; i++) {
            byte[] b = tok.tokenBytes(previous[i]);
            if (!startsWith(want, at, b)) break;
            at += b.length;
            ends[i + 1] = at;
        }
        // back off to where the canonical ids have a boundary too: the rest is tokenized as a string, and cut anywhere else it would
        // split the text otherwise than the tokenizer does (another dialogue's "…代码是Z" kept, then "WWQ656" tokenized alone)
        // (and to a character boundary: a byte-level split of a rare character has boundaries inside it)
        while (i > start && ends[i] < want.length && (!cuts.get(ends[i]) || (want[ends[i]] & 0xC0) == 0x80)) i--;
        return new int[] {i, i == start ? 0 : ends[i], start};
    }

    private int[] splice(int[] previous, Literal marked, int[] canonical) {
        String text = marked.text();
        if (!(tok instanceof ByteLevelBpe) || previous.length == 0) return canonical;
        byte[] want = text.getBytes(StandardCharsets.UTF_8);
        int bos = tok.bos();
        boolean canonicalBos = bos >= 0 && canonical.length > 0 && canonical[0] == bos;
        int[] w = walk(previous, want, canonicalBos, boundaries(canonical));
        int i = w[0], at = w[1], start = w[2];
        if (i == start) return canonical;
        int from = new String(want, 0, at, StandardCharsets.UTF_8).length(); // a char boundary: the same chars as text's
        BitSet restLiteral = marked.literal() == null ? null : marked.literal().get(from, text.length());
        int[] rest = tok.encode(text.substring(from), false, restLiteral == null ? new BitSet() : restLiteral);
        int[] out = Arrays.copyOf(previous, i + rest.length);
        System.arraycopy(rest, 0, out, i, rest.length);
        return specialCount(out) == specialCount(canonical) ? out : canonical;
    }

    /** The byte offsets after each of {@code ids}' tokens (their ends: where the canonical split has a boundary). */
    private java.util.BitSet boundaries(int[] ids) {
        java.util.BitSet out = new java.util.BitSet();
        int at = 0, first = 0;
        // a BOS the vocabulary adds has no text in the rendered prompt
        if (ids.length > 0 && ids[0] == tok.bos() && tok.bos() >= 0) first = 1;
        for (int k = first; k < ids.length; k++) {
            int id = ids[k];
            at += tok.tokenBytes(id).length;
            out.set(at);
        }
        return out;
    }

    private static boolean startsWith(byte[] a, int at, byte[] b) {
        if (at + b.length > a.length) return false;
        for (int j = 0; j < b.length; j++) if (a[at + j] != b[j]) return false;
        return true;
    }

    /** The template's refusals (roles must alternate, no system role, ...) are the client's to fix: 400. */
    private String apply(List<ChatMessage> msgs, String param) {
        try {
            return renderer.render(msgs, true, List.of());
        } catch (ChatTemplateException e) {
            throw switch (e.kind()) {
                case RAISED -> PromptException.invalid(param, "chat_template_rejected", "the model's chat template rejected the " + param
                        + ": " + e.getMessage());
                case LIMIT -> PromptException.invalid(param, "chat_template_limit", "the " + param + " are too large for the chat template: "
                        + e.getMessage());
                default -> new PromptException(null, "chat_template_error", "the model's chat template failed: " + e.getMessage(), false);
            };
        }
    }

    /** Template output: special tokens parsed except on literal chars; one BOS even when the template writes it and the vocabulary adds it too. */
    private int[] encodeTemplate(String text, BitSet literal) {
        int[] ids = tok.encode(text, true, literal == null ? new BitSet() : literal);
        int bos = tok.bos();
        if (ids.length >= 2 && bos >= 0 && ids[0] == bos && ids[1] == bos) ids = Arrays.copyOfRange(ids, 1, ids.length);
        return ids;
    }

    private int specialCount(int[] ids) {
        int n = 0;
        for (int id : ids) if (tok.tokenType(id).isSpecial()) n++;
        return n;
    }
}

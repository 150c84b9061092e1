package dev.jllm.sft;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jllm.chat.ChatMessage;
import dev.jllm.chat.ChatTemplate;
import dev.jllm.chat.ChatTemplateException;
import dev.jllm.tokenizer.Tokenizer;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A {@link Conversation} → token ids + a per-token loss mask, with the model's own chat template.
 *
 * <p><b>Finding the assistant's tokens.</b> Templates are opaque Jinja, so the assistant turn i is
 * located by rendering: {@code P = render(messages[:i], add_generation_prompt=true)} is what the
 * model sees before it answers, {@code F = render(messages[:i+1])} the same with its answer; the
 * answer is the text {@code F} adds to {@code P} (for ChatML: content + {@code <|im_end|>\n}). This is
 * exactly the inference situation (prompt P, the model must produce the rest), it works for any
 * template without generation markers (TRL's {@code {% generation %}} needs templates edited for it),
 * and it takes the template's own end-of-turn text. The sample is then tokenized piece by piece at
 * those cuts ({@link SegmentEncoder}), so no token straddles a prompt/answer boundary and the mask is
 * exact, instead of mapping character offsets back onto a whole-text tokenization.
 *
 * <p><b>What carries loss.</b> The answer's tokens through its first end-of-generation token
 * ({@code <|im_end|>}, {@code <|eot_id|>}, {@code <|end|>}, {@code </s>}...: what the model must emit to
 * stop; the answer itself cannot hold one, control-token text is refused); text the template writes
 * after it (ChatML's "\n", Phi-3.5's final {@code eos_token}) is never generated, so it is context. A vocabulary without
 * such a token (a story model under the ChatML fallback writes {@code <|im_end|>} as plain text) learns
 * the answer text up to its trailing whitespace. BOS and every non-assistant token are masked.
 *
 * <p><b>Templates that rewrite history.</b> Some templates render an earlier turn differently once
 * more turns follow (Qwen3 drops the {@code <think>} block of answers before the last user message).
 * Then one rendering cannot show every turn as the model saw it when answering; with
 * {@link TrainOn#ALL} such a conversation becomes one sample per assistant turn ({@code F} of that
 * turn, loss on its answer), counted as split. {@link TrainOn#LAST} always uses one rendering. Text a
 * template writes only after the final message (Phi-3.5 ends every conversation with
 * {@code eos_token}) is not a rewrite: an earlier answer ends where its rendering leaves the whole one.
 *
 * <p><b>Tools as text.</b> A template that reads {@code tool_calls}/{@code tools} gets them as
 * structured data; for one that does not (the ChatML fallback) calls are written into the assistant
 * text as {@code <tool_call>\n{json}\n</tool_call>} and definitions into the system message inside
 * {@code <tools>...</tools>} (Hermes/Qwen form), so nothing in the record is silently lost.
 *
 * <p>Message texts must not contain a control token's text (e.g. {@code <|im_end|>}): rendered with
 * special parsing it would become a real turn boundary inside the sample. Such a record is an error
 * naming the message, as the server's prompt guard does. Renders use a fixed clock (26 Jul 2024,
 * Llama 3.1's own default date) so that templates printing "Today Date" give the same tokens in every
 * run — a resumed run must see the same rows. Thread-safe.
 */
public final class SftRenderer {
    /** Which assistant turns carry loss: every one (LLaMA-Factory's default) or only the last (its {@code mask_history}). */
    public enum TrainOn {
        ALL, LAST;

        public static TrainOn parse(String s) {
            return switch (s.strip().toLowerCase(Locale.ROOT)) {
                case "all" -> ALL;
                case "last" -> LAST;
                default -> throw new IllegalArgumentException("train-on must be all or last, got '" + s + "'");
            };
        }
    }

    /**
     * One sample: token ids and whether each carries loss (the trainer's target at position t is
     * {@code tokens[t+1]} when {@code loss[t+1]}).
     *
     * @param splitTurn this sample is one turn of a conversation the template renders differently per turn
     */
    public record Encoded(int[] tokens, boolean[] loss, boolean splitTurn) {
        public int lossTokens() {
            int n = 0;
            for (boolean b : loss) if (b) n++;
            return n;
        }
    }

    private static final Clock FIXED_DATE = Clock.fixed(Instant.parse("2024-07-26T00:00:00Z"), ZoneOffset.UTC);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final ChatTemplate template;
    private final Tokenizer tok;
    private final TrainOn trainOn;
    private final Map<String, Object> context;
    private final SegmentEncoder encoder;
    private final boolean templateCalls;
    private final boolean templateTools;
    private final String controlFirstChars; // first characters of control-token texts: a cheap filter before the exact check
    private final List<String> controlTexts;

    public SftRenderer(ChatTemplate template, Tokenizer tok, TrainOn trainOn) {
        this(template, tok, trainOn, Map.of());
    }

    /** @param templateContext extra template variables, e.g. {@code enable_thinking=false} for Qwen3 */
    public SftRenderer(ChatTemplate template, Tokenizer tok, TrainOn trainOn, Map<String, Object> templateContext) {
        this.template = template.withClock(FIXED_DATE);
        this.tok = tok;
        this.trainOn = trainOn;
        this.context = Map.copyOf(templateContext);
        this.encoder = new SegmentEncoder(tok);
        this.templateCalls = template.source().contains("tool_calls");
        this.templateTools = template.supportsTools();
        StringBuilder firsts = new StringBuilder();
        List<String> texts = new ArrayList<>();
        for (int id = 0; id < tok.vocabSize(); id++) {
            String p = tok.piece(id);
            if (!tok.tokenType(id).isSpecial() || p.isEmpty()) continue;
            texts.add(p);
            if (firsts.indexOf(p.substring(0, 1)) < 0) firsts.append(p.charAt(0));
        }
        this.controlFirstChars = firsts.toString();
        this.controlTexts = List.copyOf(texts);
    }

    /**
     * The conversation's samples: one, or one per learned turn for a template that rewrites history.
     *
     * @throws SftException naming the record when the template rejects it, a text holds a control
     *                      token, or the template's turns cannot be located
     */
    public List<Encoded> encode(Conversation c) {
        try {
            return encodeChecked(c);
        } catch (RecordError e) {
            throw new SftException(c.file(), c.line(), "record " + (c.index() + 1) + ": " + e.getMessage());
        } catch (ChatTemplateException e) {
            throw new SftException(c.file(), c.line(), "record " + (c.index() + 1) + ": the chat template rejected it: " + e.getMessage());
        }
    }

    private List<Encoded> encodeChecked(Conversation c) {
        List<Integer> learned = trainOn == TrainOn.ALL ? c.trainable() : List.of(c.trainable().getLast());
        int end = learned.getLast() + 1; // nothing after the last learned answer carries loss: leave it out
        List<ChatMessage> msgs = new ArrayList<>(c.messages().subList(0, end));
        List<Map<String, Object>> tools = c.tools();
        int shift = 0;
        if (!templateCalls) msgs.replaceAll(SftRenderer::callsAsText);
        if (tools != null && !templateTools) {
            String text = toolsAsText(tools);
            if (msgs.getFirst().role().equals("system")) {
                msgs.set(0, ChatMessage.system(msgs.getFirst().content() + "\n\n" + text));
            } else {
                msgs.addFirst(ChatMessage.system(text));
                shift = 1;
            }
            tools = null;
        }
        for (int i = 0; i < msgs.size(); i++) checkText(msgs.get(i), i - shift);

        String full = render(msgs, false, tools);
        int n = learned.size();
        int[] starts = new int[n], ends = new int[n];
        String[] turns = new String[n];
        boolean stable = true;
        for (int k = 0; k < n; k++) {
            int i = learned.get(k) + shift;
            String p = render(msgs.subList(0, i), true, tools);
            String f = i == msgs.size() - 1 ? full : render(msgs.subList(0, i + 1), false, tools);
            if (!f.startsWith(p)) {
                throw new RecordError("the chat template's generation prompt before message " + (i - shift)
                        + " is not a prefix of the rendered answer, so the answer's tokens cannot be located");
            }
            int answerEnd = f.length();
            boolean inFull = full.startsWith(f);
            if (!inFull && full.startsWith(p)) {
                // a control token a template writes only after the last message (Phi-3.5's eos_token) is no
                // rewrite of history; the texts' common prefix may run into it ("<|" of "<|im_end|>" and
                // "<|user|>"), so the answer ends where that token starts
                int cut = controlTokenAt(f, commonPrefix(f, full));
                if (cut > p.length() && full.endsWith(f.substring(cut))) {
                    inFull = true;
                    answerEnd = cut;
                }
            }
            starts[k] = p.length();
            ends[k] = answerEnd;
            turns[k] = f;
            if (!inFull || (k > 0 && starts[k] < ends[k - 1])) stable = false;
        }
        if (stable) return List.of(tokenize(full, starts, ends, false));
        List<Encoded> out = new ArrayList<>(n);
        for (int k = 0; k < n; k++) out.add(tokenize(turns[k], new int[] {starts[k]}, new int[] {ends[k]}, true));
        return out;
    }

    /** The start of a control token's text in {@code s} that starts at or spans {@code at}, or -1. */
    private int controlTokenAt(String s, int at) {
        for (String t : controlTexts) {
            for (int from = Math.max(0, at - t.length() + 1); from <= at; from++) if (s.startsWith(t, from)) return from;
        }
        return -1;
    }

    private static int commonPrefix(String a, String b) {
        int n = Math.min(a.length(), b.length()), i = 0;
        while (i < n && a.charAt(i) == b.charAt(i)) i++;
        return i;
    }

    private String render(List<ChatMessage> msgs, boolean generationPrompt, List<Map<String, Object>> tools) {
        return template.render(msgs, generationPrompt, tools, context);
    }

    /** Context pieces and answer spans [starts[k], ends[k]) of {@code text}, tokenized in order. */
    private Encoded tokenize(String text, int[] starts, int[] ends, boolean split) {
        Ids out = new Ids();
        int at = 0;
        for (int k = 0; k < starts.length; k++) {
            if (starts[k] > at) out.add(piece(out, text.substring(at, starts[k])), false);
            answer(out, text.substring(starts[k], ends[k]));
            at = ends[k];
        }
        if (at < text.length()) out.add(piece(out, text.substring(at)), false);
        return new Encoded(out.ids(), out.loss(), split);
    }

    private void answer(Ids out, String span) {
        int[] ids = piece(out, span);
        int eog = 0;
        while (eog < ids.length && !tok.isEog(ids[eog])) eog++;
        if (eog < ids.length) {
            out.add(Arrays.copyOf(ids, eog + 1), true);
            out.add(Arrays.copyOfRange(ids, eog + 1, ids.length), false);
            return;
        }
        String body = span.stripTrailing();
        if (body.length() == span.length()) {
            out.add(ids, true);
        } else {
            out.add(piece(out, body), true);
            out.add(piece(out, span.substring(body.length())), false);
        }
    }

    /** The ids of the next piece of a sample; the BOS that {@link SegmentEncoder#first} may add is masked by {@link Ids#add}. */
    private int[] piece(Ids out, String text) {
        if (text.isEmpty()) return new int[0];
        return out.size == 0 ? encoder.first(text) : encoder.next(text, out.last());
    }

    private void checkText(ChatMessage m, int index) {
        String where = index < 0 ? "the tool definitions" : "message " + index;
        checkText(m.content(), where);
        if (!m.toolCalls().isEmpty()) checkText(json(m.toolCalls()), where + " tool_calls");
    }

    private void checkText(String s, String where) {
        boolean candidate = false;
        for (int i = 0; i < s.length() && !candidate; i++) candidate = controlFirstChars.indexOf(s.charAt(i)) >= 0;
        if (!candidate) return;
        for (int id : tok.encode(s, false, true)) {
            if (tok.tokenType(id).isSpecial()) {
                throw new RecordError(where + " contains the control token '" + tok.piece(id)
                        + "'; in a rendered sample it would act as a real turn marker");
            }
        }
    }

    private static ChatMessage callsAsText(ChatMessage m) {
        if (m.toolCalls().isEmpty()) return m;
        StringBuilder sb = new StringBuilder(m.content());
        for (Map<String, Object> call : m.toolCalls()) {
            Map<String, Object> shown = new LinkedHashMap<>();
            if (call.get("function") instanceof Map<?, ?> fn) {
                shown.put("name", fn.get("name"));
                Object args = fn.get("arguments");
                shown.put("arguments", args instanceof String s ? parseOrKeep(s) : args);
            }
            if (!sb.isEmpty()) sb.append('\n');
            sb.append("<tool_call>\n").append(json(shown)).append("\n</tool_call>");
        }
        return new ChatMessage(m.role(), sb.toString(), null, m.toolCallId(), m.name());
    }

    private static String toolsAsText(List<Map<String, Object>> tools) {
        StringBuilder sb = new StringBuilder("<tools>");
        for (Map<String, Object> t : tools) sb.append('\n').append(json(t));
        return sb.append("\n</tools>").toString();
    }

    private static Object parseOrKeep(String s) {
        try {
            return JSON.readValue(s, Object.class);
        } catch (JsonProcessingException e) {
            return s;
        }
    }

    private static String json(Object o) {
        try {
            return JSON.writeValueAsString(o);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e); // maps and lists from a JSON parse always serialize
        }
    }

    /** A growing token list with its loss flags. */
    private final class Ids {
        int[] ids = new int[256];
        boolean[] loss = new boolean[256];
        int size;

        void add(int[] more, boolean carriesLoss) {
            if (size + more.length > ids.length) {
                int cap = Math.max(ids.length * 2, size + more.length);
                ids = Arrays.copyOf(ids, cap);
                loss = Arrays.copyOf(loss, cap);
            }
            for (int id : more) {
                // a BOS the encoder put in front of the first piece is never a target
                loss[size] = carriesLoss && !(size == 0 && id == tok.bos() && tok.vocabulary().addBos());
                ids[size++] = id;
            }
        }

        int last() {
            return ids[size - 1];
        }

        int[] ids() {
            return Arrays.copyOf(ids, size);
        }

        boolean[] loss() {
            return Arrays.copyOf(loss, size);
        }
    }
}

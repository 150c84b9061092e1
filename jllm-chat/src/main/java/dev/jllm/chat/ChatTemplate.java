package dev.jllm.chat;

import dev.jllm.gguf.GgufArray;
import dev.jllm.gguf.GgufFile;
import dev.jllm.gguf.GgufFormatException;
import java.time.Clock;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * A model's chat template: turns a conversation into the prompt text the model was trained on, by
 * rendering the Hugging Face Jinja template stored in the model ({@code tokenizer.chat_template}) the
 * way transformers' {@code apply_chat_template} does.
 *
 * <p>Immutable; {@link #render} may be called from many threads at once. Templates are untrusted
 * input (they come with downloaded model files): they can only read the values given to them, cannot
 * load files or call Java methods, and each render is bounded in size and time (see {@link JinjaEngine}).
 */
public final class ChatTemplate implements ChatRenderer {

    /**
     * The template used for models that carry none: ChatML, as llama.cpp falls back to when a GGUF has no
     * {@code tokenizer.chat_template}. Plain and unambiguous: {@code <|im_start|>role\ncontent<|im_end|>\n}
     * per message and {@code <|im_start|>assistant\n} as generation prompt. A model never trained on it
     * (e.g. a tiny story model) just sees those markers as text.
     */
    public static final String FALLBACK_SOURCE =
            "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}"
            + "{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

    private static final Pattern MENTIONS_TOOLS = Pattern.compile("\\btools\\b");
    private static final Pattern REFUSES_SYSTEM = Pattern.compile(
            "raise_exception\\(\\s*['\"][^'\"]*[Ss]ystem role not supported");

    private final String source;
    private final String compiled;      // source after SourceRewriter
    private final String bosToken;      // null: not given to the template (as transformers omits unset tokens)
    private final String eosToken;
    private final Clock clock;

    private ChatTemplate(String source, String compiled, String bosToken, String eosToken, Clock clock) {
        this.source = source;
        this.compiled = compiled;
        this.bosToken = bosToken;
        this.eosToken = eosToken;
        this.clock = clock;
    }

    /**
     * Compiles a Jinja chat template.
     *
     * @param bosToken the tokenizer's BOS text ({@code bos_token} in the template), or null if it has none
     * @param eosToken likewise {@code eos_token}
     * @throws ChatTemplateException of kind SYNTAX if the template does not parse
     */
    public static ChatTemplate of(String jinjaSource, String bosToken, String eosToken) {
        Objects.requireNonNull(jinjaSource, "jinjaSource");
        String compiled = SourceRewriter.rewrite(jinjaSource);
        JinjaEngine.validate(compiled);
        return new ChatTemplate(jinjaSource, compiled, bosToken, eosToken, Clock.systemDefaultZone());
    }

    /** The {@link #FALLBACK_SOURCE ChatML fallback} with no BOS/EOS tokens. */
    public static ChatTemplate fallback() {
        return of(FALLBACK_SOURCE, null, null);
    }

    /**
     * The template of a GGUF model: {@code tokenizer.chat_template}, with BOS/EOS texts looked up from
     * {@code tokenizer.ggml.bos_token_id}/{@code eos_token_id} in {@code tokenizer.ggml.tokens}.
     * Without a template, {@link #fallback()} (given the model's BOS/EOS).
     */
    public static ChatTemplate fromGguf(GgufFile f) throws GgufFormatException {
        GgufArray tokens = f.getArray("tokenizer.ggml.tokens");
        String[] vocab = tokens != null && tokens.values() instanceof String[] s ? s : new String[0];
        String bos = token(vocab, f.getLong("tokenizer.ggml.bos_token_id", -1));
        String eos = token(vocab, f.getLong("tokenizer.ggml.eos_token_id", -1));
        String source = f.getString("tokenizer.chat_template");
        return of(source == null || source.isBlank() ? FALLBACK_SOURCE : source, bos, eos);
    }

    private static String token(String[] vocab, long id) {
        return id >= 0 && id < vocab.length ? vocab[(int) id] : null;
    }

    /** The same template with strftime_now reading {@code clock} (for reproducible "Today Date" lines). */
    public ChatTemplate withClock(Clock clock) {
        return new ChatTemplate(source, compiled, bosToken, eosToken, Objects.requireNonNull(clock, "clock"));
    }

    /** Renders a conversation without tools. */
    @Override
    public String render(List<ChatMessage> messages, boolean addGenerationPrompt) {
        return render(messages, addGenerationPrompt, null, Map.of());
    }

    /**
     * Renders a conversation.
     *
     * @param tools        tool definitions in OpenAI form ({@code {type: "function", function: {name,
     *                     description, parameters}}}), or null for none; use insertion-ordered maps —
     *                     templates print them with tojson in map order
     * @param extraContext further template variables, e.g. {@code enable_thinking=false} for Qwen3 or
     *                     {@code date_string} for Llama 3; they cannot replace messages/tools/add_generation_prompt
     * @throws ChatTemplateException RAISED when the template rejects the conversation, RENDER/LIMIT otherwise
     */
    public String render(List<ChatMessage> messages, boolean addGenerationPrompt,
                         List<Map<String, Object>> tools, Map<String, Object> extraContext) {
        Objects.requireNonNull(messages, "messages");
        Map<String, Object> bindings = new HashMap<>();
        if (bosToken != null) bindings.put("bos_token", bosToken);
        if (eosToken != null) bindings.put("eos_token", eosToken);
        if (extraContext != null) bindings.putAll(extraContext);
        bindings.put("messages", TemplateInput.messages(messages));
        bindings.put("tools", tools == null ? null : TemplateInput.copy(tools));
        bindings.put("add_generation_prompt", addGenerationPrompt);
        PyGlobals.FUNCTION_NAMES.forEach(f -> bindings.put(f, new PyGlobals.Builtin(f)));
        return JinjaEngine.render(compiled, bindings, clock);
    }

    /**
     * With tools: natively when the template reads {@code tools} (Qwen2.5/3, Llama 3.1+, ...), else
     * in the Hermes form the default renderer writes into the text.
     */
    @Override
    public String render(List<ChatMessage> messages, boolean addGenerationPrompt, List<Map<String, Object>> tools) {
        if (!supportsTools()) return ChatRenderer.super.render(messages, addGenerationPrompt, tools);
        return render(messages, addGenerationPrompt, tools == null || tools.isEmpty() ? null : tools, Map.of());
    }

    /** Llama 3.1+ templates (ipython role, python_tag) write bare JSON calls; the rest (Qwen's and the injected default) Hermes blocks. */
    @Override
    public ToolCallFormat toolCallFormat() {
        if (supportsTools() && !source.contains("<tool_call>") && (source.contains("<|python_tag|>") || source.contains("ipython"))) {
            return ToolCallFormat.LLAMA3_JSON;
        }
        return ToolCallFormat.HERMES;
    }

    /** Whether the template reads a {@code tools} variable (so tool definitions reach the model). */
    public boolean supportsTools() {
        return MENTIONS_TOOLS.matcher(source).find();
    }

    /**
     * False when the template visibly refuses system messages (Gemma 2's "System role not supported");
     * true otherwise. A heuristic on the source, not a render.
     */
    public boolean supportsSystemRole() {
        return !REFUSES_SYSTEM.matcher(source).find();
    }

    /** The template text as given. */
    public String source() {
        return source;
    }

    public String bosToken() {
        return bosToken;
    }

    public String eosToken() {
        return eosToken;
    }
}

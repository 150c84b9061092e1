/**
 * Chat templates: a conversation → the prompt text a model was trained on, rendered with the model's
 * own Hugging Face Jinja template ({@code tokenizer.chat_template}) exactly as transformers'
 * {@code apply_chat_template} renders it.
 *
 * <h2>Public API</h2>
 * <ul>
 *   <li>{@link dev.jllm.chat.ChatMessage} — one message (role, content, tool calls, tool call id, name).</li>
 *   <li>{@link dev.jllm.chat.ChatTemplate} — immutable, thread-safe:
 *     <ul>
 *       <li>{@code ChatTemplate.of(String jinjaSource, String bosToken, String eosToken)}</li>
 *       <li>{@code ChatTemplate.fromGguf(GgufFile f)} (ChatML {@code fallback()} when the model has no template)</li>
 *       <li>{@code ChatTemplate.fallback()}, {@code ChatTemplate.FALLBACK_SOURCE}</li>
 *       <li>{@code String render(List<ChatMessage>, boolean addGenerationPrompt)}</li>
 *       <li>{@code String render(List<ChatMessage>, boolean addGenerationPrompt, List<Map<String,Object>> tools,
 *           Map<String,Object> extraContext)} — e.g. {@code enable_thinking=false} (Qwen3), {@code date_string} (Llama 3)</li>
 *       <li>{@code withClock(Clock)}, {@code supportsTools()}, {@code supportsSystemRole()}, {@code source()},
 *           {@code bosToken()}, {@code eosToken()}</li>
 *     </ul></li>
 *   <li>{@link dev.jllm.chat.ChatTemplateException} — unchecked, with a {@code kind()}: SYNTAX (at
 *       {@code of}), RAISED (the template's own {@code raise_exception} message: answer HTTP 400 with
 *       it), RENDER, LIMIT.</li>
 * </ul>
 *
 * <h2>How</h2>
 * Jinjava renders; a thin Python-compatibility layer ({@code PyJson}, {@code PyMethods},
 * {@code PyGlobals}, {@code SourceRewriter}) closes the gaps between Jinjava and Jinja2 that real
 * templates hit, and {@code PyResolver}/{@code JinjaEngine} sandbox the untrusted template. Tests hold
 * 11 real templates against Python jinja2 byte for byte (testdata/chat).
 */
package dev.jllm.chat;

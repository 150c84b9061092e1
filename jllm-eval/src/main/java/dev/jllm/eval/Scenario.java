package dev.jllm.eval;

/** How a multi-turn conversation reaches the server. */
public enum Scenario {
    /** Chat completions: every turn resends the whole history, the server keeps nothing. */
    STATELESS,
    /**
     * As STATELESS, with llama.cpp's {@code cache_prompt: false}: the server may not reuse any KV, so
     * every turn prefills the whole history — the cost a resend has without server-side caching.
     */
    STATELESS_COLD,
    /** One server-side conversation per virtual user ({@code /v1/conversations} + {@code /v1/responses}): each turn sends only the new message. */
    STATEFUL;

    public String wire() {
        return name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
    }
}

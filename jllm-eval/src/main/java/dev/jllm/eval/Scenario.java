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
    STATEFUL,
    /**
     * As STATEFUL, but before every turn after the first the conversation's KV is evicted from the
     * server's memory ({@code POST /admin/kv/evict}, jllm's admin endpoint; needs the admin key), as the
     * LRU would evict it: the next turn loads it from the server's KV disk tier, or prefills the history
     * again when the server has none ({@code --kv-disk-budget 0}). The eviction call is not timed.
     */
    STATEFUL_EVICT;

    /** True for the scenarios that keep the conversation on the server ({@code /v1/responses}). */
    public boolean stateful() {
        return this == STATEFUL || this == STATEFUL_EVICT;
    }

    public String wire() {
        return name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
    }
}

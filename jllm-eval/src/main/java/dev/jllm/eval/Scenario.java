package dev.jllm.eval;

/** How a multi-turn conversation reaches the server. */
public enum Scenario {
    /** Chat completions: every turn resends the whole history, the server keeps nothing. */
    STATELESS,
    /** One server-side conversation per virtual user ({@code /v1/conversations} + {@code /v1/responses}): each turn sends only the new message. */
    STATEFUL;

    public String wire() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}

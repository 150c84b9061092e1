package dev.jllm.sft;

/**
 * The shape of a record. {@link #AUTO} decides per record by its fields, so one file may mix shapes
 * (a JSONL file grown from several exports); forcing a shape turns a record of another shape into an
 * error that says which field is missing instead of a silent re-interpretation.
 */
public enum Format {
    /** {@code messages} → MESSAGES (or SHAREGPT when its entries have from/value), {@code conversations} → SHAREGPT, {@code instruction}/{@code output} → ALPACA. */
    AUTO,
    /** OpenAI chat fine-tuning: {@code {"messages": [{"role", "content"}...], "tools"?}}. */
    MESSAGES,
    /** Alpaca as LLaMA-Factory reads it: {@code instruction}, {@code input}, {@code output}, {@code system}?, {@code history}? [[q, a]...]. */
    ALPACA,
    /** ShareGPT as LLaMA-Factory reads it: {@code conversations} of {@code {from, value}}, {@code system}?, {@code tools}?. */
    SHAREGPT;

    /** Parses a user's spelling ("auto", "openai"/"messages", "alpaca", "sharegpt"); the error lists the accepted ones. */
    public static Format parse(String s) {
        return switch (s.strip().toLowerCase(java.util.Locale.ROOT)) {
            case "auto" -> AUTO;
            case "messages", "openai" -> MESSAGES;
            case "alpaca" -> ALPACA;
            case "sharegpt" -> SHAREGPT;
            default -> throw new IllegalArgumentException("unknown data format '" + s + "'; expected auto, messages (openai), alpaca or sharegpt");
        };
    }
}

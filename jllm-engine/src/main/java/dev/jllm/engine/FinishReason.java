package dev.jllm.engine;

/**
 * Why a generation ended — the one type for the server, {@code jllm generate} and {@code jllm chat}.
 * {@link #wire} is OpenAI's {@code finish_reason} (an end-of-generation token and a stop string are
 * both "stop" there; the CLI prints the finer name).
 */
public enum FinishReason {
    /** the model produced an end-of-generation token */
    EOG("stop"),
    /** a stop string occurred in the text (the text is cut before it) */
    STOP_STRING("stop"),
    /** max tokens reached, or the context is full */
    LENGTH("length");

    public final String wire;

    FinishReason(String wire) {
        this.wire = wire;
    }
}

package dev.jllm.server;

/**
 * What the scheduler tells one request's consumer, in order: {@link Started} once, {@link Text}
 * zero or more times, then exactly one of {@link Finished} or {@link Failed}.
 */
public sealed interface GenerationEvent {

    /** Why a generation ended, in OpenAI's vocabulary ({@code finish_reason}). */
    enum FinishReason {
        /** end-of-generation token or a stop string */
        STOP("stop"),
        /** max_tokens reached, or the model's context is full */
        LENGTH("length");

        public final String wire;

        FinishReason(String wire) { this.wire = wire; }
    }

    /** The request got a KV sequence; {@code cachedTokens} of the prompt were reused, not recomputed. */
    record Started(int promptTokens, int cachedTokens) implements GenerationEvent {}

    /** Text that is final (never part of a stop string). */
    record Text(String text) implements GenerationEvent {}

    /**
     * @param sequence the prompt and every generated token except a final end-of-generation token:
     *                 what the model saw and said, so a next turn can start from the same ids
     *                 ({@link PromptBuilder} splices them in instead of re-tokenizing the reply)
     */
    record Finished(FinishReason reason, String text, int promptTokens, int cachedTokens, int completionTokens, int[] sequence)
            implements GenerationEvent {}

    /** The request could not complete (engine error, shutdown); {@code message} is safe to show to the client. */
    record Failed(String message) implements GenerationEvent {}
}

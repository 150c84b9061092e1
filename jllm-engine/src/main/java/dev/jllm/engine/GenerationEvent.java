package dev.jllm.engine;

/**
 * What the scheduler tells one request's consumer, in order: {@link Started} once, {@link Text}
 * zero or more times, then exactly one of {@link Finished} or {@link Failed}.
 */
public sealed interface GenerationEvent {

    /** The request got a KV sequence; {@code cachedTokens} of the prompt were reused, not recomputed. */
    record Started(int promptTokens, int cachedTokens) implements GenerationEvent {}

    /** Text that is final (never part of a stop string). */
    record Text(String text) implements GenerationEvent {}

    /**
     * @param sequence the prompt and every generated token except a final end-of-generation token:
     *                 what the model saw and said ({@link Slot#sequence}), so a next turn can start
     *                 from the same ids (the chat module's PromptBuilder splices them in)
     */
    record Finished(FinishReason reason, String text, int promptTokens, int cachedTokens, int completionTokens, int[] sequence)
            implements GenerationEvent {}

    /** Why a request could not complete; clients map it (HTTP: 503 for {@code SHUTTING_DOWN}, 500 otherwise). */
    enum Cause {
        /** the engine is stopping; the request may be retried elsewhere or later */
        SHUTTING_DOWN,
        /** the consumer cancelled it (client gone, stream closed) */
        CANCELLED,
        /** the forward pass failed; the sequence's state is unknown and was dropped */
        INTERNAL
    }

    /** The request could not complete; {@code message} is safe to show to a client. */
    record Failed(Cause cause, String message) implements GenerationEvent {}
}

package dev.jllm.engine;

import java.util.List;

/**
 * What the scheduler tells one request's consumer, in order: {@link Started} once, {@link Text}
 * zero or more times, then exactly one of {@link Finished} or {@link Failed}.
 */
public sealed interface GenerationEvent {

    /** The request got a KV sequence; {@code cachedTokens} of the prompt were reused, not recomputed. */
    record Started(int promptTokens, int cachedTokens) implements GenerationEvent {}

    /**
     * Text that is final (never part of a stop string).
     *
     * @param logprobs the generated tokens' log-probabilities since the previous Text event, when the
     *                 request asked for them (tokens whose text is still held back come later; the rest
     *                 comes with {@link Finished}); empty otherwise
     */
    record Text(String text, List<Logprobs.Token> logprobs) implements GenerationEvent {
        public Text(String text) {
            this(text, List.of());
        }

        public Text {
            logprobs = List.copyOf(logprobs);
        }
    }

    /**
     * @param sequence       the prompt and every generated token except a final end-of-generation token:
     *                       what the model saw and said ({@link Slot#sequence}), so a next turn can start
     *                       from the same ids (the chat module's PromptBuilder splices them in)
     * @param logprobs       every generated token's log-probabilities (a final end-of-generation token
     *                       has none), or null when not requested
     * @param promptLogprobs one per prompt token, the first null (nothing precedes it), or null when not requested
     * @param budget         the length budget's outcome, or null without one
     * @param endToken       the end-of-generation token that ended it (reason EOG; left out of {@code sequence}), else -1: a
     *                       trainer learning to stop needs the id the model sampled (an eos, an end-of-turn, ...)
     * @param ttftNanos      from submission to the first sampled token (queue + prefill + one step)
     * @param e2eNanos       from submission to the end
     */
    record Finished(FinishReason reason, String text, int promptTokens, int cachedTokens, int completionTokens, int[] sequence,
                    List<Logprobs.Token> logprobs, List<Logprobs.Token> promptLogprobs, CharBudget.Outcome budget, int endToken, long ttftNanos,
                    long e2eNanos)
            implements GenerationEvent {
        public Finished(FinishReason reason, String text, int promptTokens, int cachedTokens, int completionTokens, int[] sequence) {
            this(reason, text, promptTokens, cachedTokens, completionTokens, sequence, null, null, null, -1, 0, 0);
        }
    }

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

package dev.jllm.eval;

/**
 * What one streamed request measured. Times are nanoseconds; {@code startNanos} is relative to the
 * start of the benchmark.
 *
 * @param session      the virtual user's conversation number
 * @param turn         0-based turn within the conversation
 * @param error        null on success, else the kind ("HTTP 429", "timeout", "ConnectException", ...)
 * @param errorDetail  the server's message or the exception's, for the user (null if none)
 * @param promptTokens from the response's usage (the whole prompt the server processed, history included)
 * @param cachedTokens prompt tokens the server did not recompute (usage ...cached_tokens), 0 if not reported
 * @param outputTokens from usage, or the number of content chunks when the server sent no usage
 * @param ttftNanos    request sent → first non-empty content chunk
 * @param e2eNanos     request sent → end of stream
 * @param itlNanos     gaps between successive content chunks
 */
public record RequestResult(int session, int turn, long startNanos, String error, String errorDetail, int promptTokens, int cachedTokens, int outputTokens,
                            long ttftNanos, long e2eNanos, long[] itlNanos) {

    public boolean success() {
        return error == null;
    }

    public static RequestResult failure(int session, int turn, long startNanos, String error, String detail, long e2eNanos) {
        return new RequestResult(session, turn, startNanos, error, detail, 0, 0, 0, 0, e2eNanos, new long[0]);
    }

    /** vLLM's TPOT: (E2E − TTFT) / (out − 1), only defined for more than one output token. */
    public double tpotNanos() {
        if (outputTokens <= 1) throw new IllegalStateException("TPOT needs at least 2 output tokens, got " + outputTokens);
        return (double) (e2eNanos - ttftNanos) / (outputTokens - 1);
    }
}

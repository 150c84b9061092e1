package dev.jllm.eval.task;

import java.io.IOException;
import java.util.List;
import java.util.Map;

/**
 * What a task runs on: a local model through jllm's engine (jllm-cli's LocalEvalTarget) or an
 * OpenAI-compatible server ({@link UrlTarget}). jllm-eval knows nothing of the engine; the CLI wires a
 * local model in through this interface.
 */
public interface EvalTarget extends AutoCloseable {

    /** Generation settings; temperature 0 = greedy. */
    record Sampling(int maxTokens, double temperature, long seed, List<String> stop) {
        public Sampling {
            if (maxTokens < 1) throw new IllegalArgumentException("max tokens must be >= 1, got " + maxTokens);
            if (!(temperature >= 0)) throw new IllegalArgumentException("--temp must be >= 0, got " + temperature);
            stop = List.copyOf(stop);
        }
    }

    /**
     * @param logLikelihood  summed natural-log probabilities of the continuation's tokens
     * @param greedy         every continuation token was the model's argmax
     * @param tokens         the continuation's tokens
     * @param truncated      context tokens dropped from the left to fit the context
     */
    record Continuation(double logLikelihood, boolean greedy, int tokens, int truncated) {}

    /** Perplexity with its per-chunk negative log-likelihood sums (each chunk scores {@code tokensPerChunk} tokens), for the bootstrap. */
    record Perplexity(double ppl, double[] chunkNll, int tokensPerChunk, long tokens) {}

    /**
     * The target refused this one item (an OpenAI server's 400/413/422: the prompt is too long for its
     * context, a field it rejects for this input...). The runner records the item as refused and scores it
     * wrong instead of stopping the whole run; any other failure stops it (rerun to resume).
     */
    final class RefusedException extends IOException {
        public RefusedException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /** For results.json: what was evaluated (kind, model file and SHA-256, adapters, URL...). */
    Map<String, Object> describe();

    /** One line for the terminal. */
    String label();

    /** Log-likelihood scoring is available (a local model, or a server's /v1/completions with echo + logprobs). */
    boolean scoresLogLikelihood();

    /** llama.cpp-style chunked perplexity is available (a local model). */
    default boolean scoresPerplexity() {
        return scoresLogLikelihood();
    }

    String generate(String prompt, Sampling sampling) throws IOException;

    /** The continuation's log-likelihood after the context, lm-evaluation-harness's way (see LocalEvalTarget). */
    Continuation logLikelihood(String context, String continuation) throws IOException;

    /** llama.cpp-compatible chunked perplexity of a text. */
    Perplexity perplexity(String text, int ctx) throws IOException;

    @Override
    void close();
}

package dev.jllm.engine;

import dev.jllm.model.LoraWeights;
import dev.jllm.model.SamplingParams;
import java.util.Objects;

/**
 * One generation job for the {@link Scheduler}.
 *
 * @param prompt   token ids, already checked to fit the context
 * @param params   sampling (maxTokens is capped by the context left after the prompt)
 * @param cacheKey the conversation (or response chain) this turn belongs to, or null: when the turn
 *                 ends its KV and token sequence stay resident under this key
 *                 ({@link Scheduler#lastSequence}) and replace the key's older entry
 * @param reuseKv  false (llama.cpp's {@code cache_prompt: false}): prefill the whole prompt from
 *                 scratch and free the KV at the end (benchmarks of cold prompts, A/B of the cache)
 * @param mask     a constraint on each next token ({@link TokenMask}), or null for none
 * @param adapter  a LoRA adapter applied to this request's tokens only, or null for the base model;
 *                 KV computed with one adapter is never reused for another
 * @param logprobs log-probabilities to return ({@link Logprobs}), or null for none
 * @param budget   a length budget in characters ({@link CharBudget}), or null for none
 */
public record GenerationRequest(int[] prompt, SamplingParams params, String cacheKey, boolean reuseKv, TokenMask mask, LoraWeights adapter,
                                Logprobs.Request logprobs, CharBudget budget) {
    public GenerationRequest(int[] prompt, SamplingParams params, String cacheKey) {
        this(prompt, params, cacheKey, true, null, null);
    }

    public GenerationRequest(int[] prompt, SamplingParams params, String cacheKey, boolean reuseKv, TokenMask mask, LoraWeights adapter) {
        this(prompt, params, cacheKey, reuseKv, mask, adapter, null, null);
    }

    public GenerationRequest withLogprobs(Logprobs.Request l) {
        return new GenerationRequest(prompt, params, cacheKey, reuseKv, mask, adapter, l, budget);
    }

    public GenerationRequest withBudget(CharBudget b) {
        return new GenerationRequest(prompt, params, cacheKey, reuseKv, mask, adapter, logprobs, b);
    }

    public GenerationRequest(int[] prompt, SamplingParams params, String cacheKey, boolean reuseKv) {
        this(prompt, params, cacheKey, reuseKv, null, null);
    }

    public GenerationRequest(int[] prompt, SamplingParams params, String cacheKey, boolean reuseKv, TokenMask mask) {
        this(prompt, params, cacheKey, reuseKv, mask, null);
    }

    public GenerationRequest {
        Objects.requireNonNull(params, "params");
        if (prompt.length == 0) throw new IllegalArgumentException("empty prompt");
        prompt = prompt.clone();
    }
}

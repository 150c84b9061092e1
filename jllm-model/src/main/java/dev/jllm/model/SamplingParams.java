package dev.jllm.model;

import java.util.List;
import java.util.Map;

/**
 * How to pick the next token, validated on construction (errors name the field and its valid range).
 *
 * @param temperature       0 = greedy (argmax); otherwise logits are divided by it (0..100)
 * @param topK              keep the k most likely tokens; 0 = off
 * @param topP              nucleus: keep the smallest set with cumulative probability ≥ p; 1 = off
 * @param minP              drop tokens with probability < minP · p(max); 0 = off
 * @param repetitionPenalty llama.cpp/CTRL style: positive logits ÷ it, negative × it, for tokens seen in
 *                          the last {@code penaltyLastN}; 1 = off
 * @param presencePenalty   OpenAI: subtract once for every token already present (−2..2)
 * @param frequencyPenalty  OpenAI: subtract × count of each token so far (−2..2)
 * @param penaltyLastN      how many recent tokens the penalties look at; −1 = all
 * @param logitBias         token id → added to its logit (−100..100; −100 effectively bans)
 * @param seed              RNG seed: same seed, same prompt, same params → same output
 * @param maxTokens         stop after this many generated tokens
 * @param stop              stop when the generated text contains any of these (not included in the output)
 * @param ignoreEos         keep going after end-of-generation tokens
 */
public record SamplingParams(float temperature, int topK, float topP, float minP, float repetitionPenalty,
                             float presencePenalty, float frequencyPenalty, int penaltyLastN, Map<Integer, Float> logitBias,
                             long seed, int maxTokens, List<String> stop, boolean ignoreEos) {

    public static final SamplingParams GREEDY = new SamplingParams(0f, 0, 1f, 0f, 1f, 0f, 0f, 64, Map.of(), 0, 256, List.of(), false);

    public SamplingParams {
        range("temperature", temperature, 0, 100);
        if (topK < 0) throw new IllegalArgumentException("top_k must be >= 0 (0 = disabled), got " + topK);
        if (!(topP > 0 && topP <= 1)) throw new IllegalArgumentException("top_p must be in (0, 1], got " + topP);
        range("min_p", minP, 0, 1);
        if (!(repetitionPenalty > 0 && repetitionPenalty <= 10)) {
            throw new IllegalArgumentException("repetition_penalty must be in (0, 10] (1 = off), got " + repetitionPenalty);
        }
        range("presence_penalty", presencePenalty, -2, 2);
        range("frequency_penalty", frequencyPenalty, -2, 2);
        if (penaltyLastN < -1) throw new IllegalArgumentException("penalty_last_n must be >= -1 (-1 = whole history), got " + penaltyLastN);
        if (maxTokens <= 0) throw new IllegalArgumentException("max_tokens must be >= 1, got " + maxTokens);
        logitBias = Map.copyOf(logitBias);
        for (Map.Entry<Integer, Float> e : logitBias.entrySet()) {
            if (e.getKey() < 0) throw new IllegalArgumentException("logit_bias token id must be >= 0, got " + e.getKey());
            range("logit_bias[" + e.getKey() + "]", e.getValue(), -100, 100);
        }
        stop = List.copyOf(stop);
        if (stop.size() > 16) throw new IllegalArgumentException("stop: at most 16 strings, got " + stop.size());
        for (String s : stop) if (s.isEmpty()) throw new IllegalArgumentException("stop strings must not be empty");
    }

    private static void range(String name, float v, float lo, float hi) {
        if (!(v >= lo && v <= hi)) throw new IllegalArgumentException(name + " must be in [" + lo + ", " + hi + "], got " + v);
    }

    public SamplingParams withTemperature(float t) {
        return new SamplingParams(t, topK, topP, minP, repetitionPenalty, presencePenalty, frequencyPenalty, penaltyLastN, logitBias,
                seed, maxTokens, stop, ignoreEos);
    }

    public SamplingParams withSeed(long s) {
        return new SamplingParams(temperature, topK, topP, minP, repetitionPenalty, presencePenalty, frequencyPenalty, penaltyLastN,
                logitBias, s, maxTokens, stop, ignoreEos);
    }

    public SamplingParams withMaxTokens(int n) {
        return new SamplingParams(temperature, topK, topP, minP, repetitionPenalty, presencePenalty, frequencyPenalty, penaltyLastN,
                logitBias, seed, n, stop, ignoreEos);
    }

    public SamplingParams withStop(List<String> s) {
        return new SamplingParams(temperature, topK, topP, minP, repetitionPenalty, presencePenalty, frequencyPenalty, penaltyLastN,
                logitBias, seed, maxTokens, s, ignoreEos);
    }

    /** Typical defaults for chat: temperature 0.8, top-k 40, top-p 0.95, min-p 0.05 (llama.cpp's). */
    public static SamplingParams defaults(long seed) {
        return new SamplingParams(0.8f, 40, 0.95f, 0.05f, 1f, 0f, 0f, 64, Map.of(), seed, 256, List.of(), false);
    }
}

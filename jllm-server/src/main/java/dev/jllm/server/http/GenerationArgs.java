package dev.jllm.server.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.jllm.chat.PromptBuilder;
import dev.jllm.engine.CharBudget;
import dev.jllm.model.SamplingParams;
import java.security.SecureRandom;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * The generation options shared by chat completions, completions and responses, parsed and
 * validated from the request (OpenAI names and ranges).
 *
 * @param params         sampling; maxTokens is the client's limit or the model context when none was given
 * @param maxTokensGiven whether the client set a token limit (truncation "auto" reserves room for it)
 * @param truncateAuto   {@code truncation: "auto"}: drop the oldest turns to fit; "disabled" (default): 400
 * @param stream         server-sent events
 * @param includeUsage   {@code stream_options.include_usage}
 * @param maxTokensField the field the client set the limit with ({@code max_tokens}, {@code max_completion_tokens},
 *                       {@code max_output_tokens}), or null: named in errors
 * @param maxOutputChars jllm's extension {@code max_output_chars}: the answer's length budget in Unicode code points
 *                       ({@link CharBudget}), or 0 for none
 */
record GenerationArgs(SamplingParams params, boolean maxTokensGiven, boolean truncateAuto, boolean stream, boolean includeUsage,
                      boolean cachePrompt, String maxTokensField, int maxOutputChars) {
    GenerationArgs(SamplingParams params, boolean maxTokensGiven, boolean truncateAuto, boolean stream, boolean includeUsage) {
        this(params, maxTokensGiven, truncateAuto, stream, includeUsage, true, null, 0);
    }

    /** The most code points a {@code max_output_chars} may ask for (a larger answer needs no budget). */
    static final int MAX_OUTPUT_CHARS = 1 << 20;

    /** The engine's budget for this request, or null. */
    CharBudget budget() {
        return maxOutputChars > 0 ? new CharBudget(maxOutputChars) : null;
    }

    /** The server's {@code --max-output-chars} when the request set none (0: none). */
    GenerationArgs withDefaultBudget(int serverDefault) {
        if (maxOutputChars > 0 || serverDefault <= 0) return this;
        return new GenerationArgs(params, maxTokensGiven, truncateAuto, stream, includeUsage, cachePrompt, maxTokensField, serverDefault);
    }

    private static final SecureRandom SEEDS = new SecureRandom();

    /** The prompt builder's truncation policy for this request. */
    PromptBuilder.Truncation truncation() {
        return new PromptBuilder.Truncation(truncateAuto, maxTokensGiven ? params.maxTokens() : 0, true);
    }

    /**
     * A token limit the client set must fit beside the prompt: vLLM's 400 with the numbers, never a
     * silent clamp (a client that asked for 100 000 000 tokens learns how many it can have). Without
     * a limit the reply may fill the rest of the context.
     *
     * @param promptTokens the built prompt's size
     * @param what         what the prompt was built from ("messages", "prompt", "input"), named in the message
     */
    void checkFits(int promptTokens, int contextLength, String what) {
        if (!maxTokensGiven || (long) promptTokens + params.maxTokens() <= contextLength) return;
        int left = contextLength - promptTokens;
        throw ApiException.invalid(maxTokensField, "context_length_exceeded", "This model's maximum context length is " + contextLength
                + " tokens. However, you requested " + ((long) promptTokens + params.maxTokens()) + " tokens (" + promptTokens + " in the "
                + what + ", " + params.maxTokens() + " in the completion). Please reduce the length of the " + what + " or completion: with "
                + promptTokens + " prompt tokens '" + maxTokensField + "' can be at most " + left + ".");
    }

    /** Reads the fields; {@code maxTokenFields} are the names this endpoint accepts for the limit, first wins. */
    static GenerationArgs parse(ObjectNode o, int contextLength, String... maxTokenFields) {
        Integer n = Fields.optInt(o, "n", null, 1, 128);
        if (n != null && n != 1) throw ApiException.invalid("n", "only n=1 is supported, got " + n);
        Integer maxTokens = null;
        String maxTokensField = null;
        for (String f : maxTokenFields) {
            Integer v = Fields.optInt(o, f, null, 1, Integer.MAX_VALUE);
            if (v != null && maxTokens == null) {
                maxTokens = v;
                maxTokensField = f;
            }
        }
        double temperature = orElse(Fields.optNumber(o, "temperature", null, 0, 2), 1.0);
        double topP = orElse(Fields.optNumber(o, "top_p", null, 0, 1), 1.0);
        if (topP == 0) throw ApiException.invalid("top_p", "'top_p' must be in (0, 1], got 0");
        double presence = orElse(Fields.optNumber(o, "presence_penalty", null, -2, 2), 0.0);
        double frequency = orElse(Fields.optNumber(o, "frequency_penalty", null, -2, 2), 0.0);
        Long seed = Fields.optLong(o, "seed", null);
        List<String> stop = Fields.optStrings(o, "stop", null, 16);
        // vLLM's extension: generate exactly max_tokens (benchmarks need fixed output lengths)
        boolean ignoreEos = Boolean.TRUE.equals(Fields.optBool(o, "ignore_eos", null));
        // jllm's extension: a length budget in code points, ended at a sentence boundary (CharBudget)
        Integer maxChars = Fields.optInt(o, "max_output_chars", null, 1, MAX_OUTPUT_CHARS);
        // llama.cpp's extension: false = no KV reuse for this request (prefilled from scratch, not kept)
        boolean cachePrompt = !Boolean.FALSE.equals(Fields.optBool(o, "cache_prompt", null));
        Fields.optString(o, "user", null); // accepted for compatibility (type-checked); ownership comes from the API key
        Map<Integer, Float> bias = logitBias(Fields.optObject(o, "logit_bias", null));
        boolean stream = Boolean.TRUE.equals(Fields.optBool(o, "stream", null));
        ObjectNode streamOptions = Fields.optObject(o, "stream_options", null);
        boolean includeUsage = streamOptions != null && Boolean.TRUE.equals(Fields.optBool(streamOptions, "include_usage", "stream_options"));
        if (streamOptions != null && !stream) throw ApiException.invalid("stream_options", "'stream_options' is only allowed with stream: true");
        String truncation = Fields.optString(o, "truncation", null);
        if (truncation != null && !truncation.equals("auto") && !truncation.equals("disabled")) {
            throw ApiException.invalid("truncation", "'truncation' must be \"auto\" or \"disabled\", got \"" + truncation + "\"");
        }
        SamplingParams sp = new SamplingParams((float) temperature, 0, (float) topP, 0f, 1f, (float) presence, (float) frequency, 64, bias,
                seed != null ? seed : SEEDS.nextLong(), maxTokens != null ? maxTokens : contextLength, stop != null ? stop : List.of(), ignoreEos);
        return new GenerationArgs(sp, maxTokens != null, "auto".equals(truncation), stream, includeUsage, cachePrompt, maxTokensField,
                maxChars == null ? 0 : maxChars);
    }

    private static double orElse(Double v, double dflt) {
        return v != null ? v : dflt;
    }

    private static Map<Integer, Float> logitBias(ObjectNode o) {
        if (o == null) return Map.of();
        Map<Integer, Float> m = new HashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = o.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            String p = "logit_bias." + e.getKey();
            int id;
            try {
                id = Integer.parseInt(e.getKey());
            } catch (NumberFormatException x) {
                throw ApiException.invalid("logit_bias", "'logit_bias' keys must be token ids, got \"" + e.getKey() + "\"");
            }
            if (id < 0) throw ApiException.invalid("logit_bias", "'logit_bias' token ids must be >= 0, got " + id);
            Double v = Fields.optNumber(o, e.getKey(), "logit_bias", -100, 100);
            if (v == null) throw ApiException.invalid(p, "'" + p + "' must be a number");
            m.put(id, v.floatValue());
        }
        return m;
    }
}

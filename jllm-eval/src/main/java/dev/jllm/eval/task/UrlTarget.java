package dev.jllm.eval.task;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.jllm.eval.OpenAiTarget;
import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Any OpenAI-compatible server (jllm serve, llama-server, vLLM): each prompt is one user message of a
 * non-streamed chat completion. Log-likelihoods need the server's {@code /v1/completions} with
 * {@code logprobs} and {@code echo}, which is not wired yet: tasks that need them are refused up front.
 */
public final class UrlTarget implements EvalTarget {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final OpenAiTarget api;
    private final String model;

    /** @param model the model id to send, or null for the first one {@code /v1/models} lists */
    public UrlTarget(URI url, String apiKey, String model, Duration timeout) throws IOException {
        this.api = new OpenAiTarget(url, apiKey, timeout);
        try {
            this.model = model != null ? model : api.models().getFirst();
        } catch (IOException | RuntimeException e) {
            api.close();
            throw e;
        }
    }

    @Override
    public Map<String, Object> describe() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("kind", "url");
        m.put("url", api.base().toString());
        m.put("model", model);
        return m;
    }

    @Override
    public String label() {
        return api.base() + " (model " + model + ")";
    }

    @Override
    public boolean scoresLogLikelihood() {
        return false;
    }

    @Override
    public String generate(String prompt, Sampling s) throws IOException {
        ObjectNode body = JSON.createObjectNode().put("model", model).put("max_tokens", s.maxTokens()).put("temperature", s.temperature())
                .put("seed", s.seed());
        body.putArray("messages").addObject().put("role", "user").put("content", prompt);
        if (!s.stop().isEmpty()) {
            var arr = body.putArray("stop");
            s.stop().forEach(arr::add);
        }
        JsonNode r = api.postJson("v1/chat/completions", body);
        JsonNode content = r.path("choices").path(0).path("message").path("content");
        if (!content.isTextual()) throw new IOException(api.base() + "v1/chat/completions: the answer has no choices[0].message.content");
        return content.asText();
    }

    @Override
    public Continuation logLikelihood(String context, String continuation) {
        throw new IllegalArgumentException(unsupported("log-likelihood (multiple-choice) tasks"));
    }

    @Override
    public Perplexity perplexity(String text, int ctx) {
        throw new IllegalArgumentException(unsupported("perplexity tasks"));
    }

    /** The one message for tasks a URL cannot run yet. */
    public static String unsupported(String what) {
        return what + " need per-token log-probabilities, which --url targets cannot give yet (the server's /v1/completions with"
                + " logprobs + echo is a separate issue): run them on a local model with -m MODEL.gguf";
    }

    @Override
    public void close() {
        api.close();
    }
}

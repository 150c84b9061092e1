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
 * non-streamed chat completion. Log-likelihoods come from the server's {@code /v1/completions} with
 * {@code echo} and {@code logprobs: 1} (the prompt's tokens with their log-probabilities, as
 * lm-evaluation-harness's completions backend reads them), split into context and continuation the
 * way LocalEvalTarget does without knowing the server's tokenizer: the context alone is echoed once
 * to count its tokens, and the continuation is what follows them in context + continuation
 * ({@code _encode_pair}: the context's trailing whitespace moves to the continuation). Perplexity
 * still needs a local model.
 */
public final class UrlTarget implements EvalTarget {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final OpenAiTarget api;
    private final String model;
    private String countedContext; // the last context whose tokens were counted (items score several choices after one context)
    private int contextTokens;

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
        return true;
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
        JsonNode r = post("v1/chat/completions", body);
        JsonNode content = r.path("choices").path(0).path("message").path("content");
        if (!content.isTextual()) throw new IOException(api.base() + "v1/chat/completions: the answer has no choices[0].message.content");
        return content.asText();
    }

    @Override
    public Continuation logLikelihood(String context, String continuation) throws IOException {
        int n = context.length() - context.stripTrailing().length();
        if (n > 0) { // _encode_pair: "Answer: " + "B" is scored as "Answer:" + " B"
            continuation = context.substring(context.length() - n) + continuation;
            context = context.substring(0, context.length() - n);
        }
        if (!context.equals(countedContext)) {
            contextTokens = echo(context).path("tokens").size() - 1; // the last one is the generated token
            countedContext = context;
        }
        JsonNode lp = echo(context + continuation);
        JsonNode values = lp.path("token_logprobs"), tops = lp.path("top_logprobs");
        int end = values.size() - 1; // the generated token is not part of the text
        if (contextTokens < 1 || contextTokens >= end) {
            throw new IllegalArgumentException("the continuation '" + continuation + "' adds no token after its context on " + api.base());
        }
        double sum = 0;
        boolean greedy = true;
        for (int i = contextTokens; i < end; i++) {
            if (!values.get(i).isNumber()) throw new IOException(api.base() + "v1/completions: token_logprobs[" + i + "] is not a number");
            double v = values.get(i).asDouble();
            sum += v;
            double best = Double.NEGATIVE_INFINITY;
            for (JsonNode t : tops.path(i)) best = Math.max(best, t.asDouble());
            greedy &= v >= best; // lm-eval's is_greedy: the token's logprob is the largest of the top-1
        }
        return new Continuation(sum, greedy, end - contextTokens, 0);
    }

    /** A request whose 400/413/422 answer refuses this item only ({@link EvalTarget.RefusedException}). */
    private JsonNode post(String path, ObjectNode body) throws IOException {
        try {
            return api.postJson(path, body);
        } catch (dev.jllm.eval.OpenAiTarget.StatusException e) {
            if (e.status == 400 || e.status == 413 || e.status == 422) throw new RefusedException(e.getMessage(), e);
            throw e;
        }
    }

    /** The prompt echoed with its tokens' log-probabilities and the top alternative (one token generated greedily, ignored). */
    private JsonNode echo(String prompt) throws IOException {
        ObjectNode body = JSON.createObjectNode().put("model", model).put("prompt", prompt).put("max_tokens", 1).put("temperature", 0)
                .put("logprobs", 1).put("echo", true);
        JsonNode lp = post("v1/completions", body).path("choices").path(0).path("logprobs");
        if (!lp.path("tokens").isArray() || lp.path("token_logprobs").size() != lp.path("tokens").size()) {
            throw new IOException(api.base() + "v1/completions: the answer has no choices[0].logprobs with tokens and token_logprobs"
                    + " (the server must support echo + logprobs)");
        }
        return lp;
    }

    @Override
    public boolean scoresPerplexity() {
        return false;
    }

    @Override
    public Perplexity perplexity(String text, int ctx) {
        throw new IllegalArgumentException(unsupported("perplexity tasks"));
    }

    /** The one message for tasks a URL cannot run. */
    public static String unsupported(String what) {
        return what + " need jllm perplexity's chunking over a local model, which --url targets do not give: run them with -m MODEL.gguf";
    }

    @Override
    public void close() {
        api.close();
    }
}

package dev.jllm.server.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import dev.jllm.chat.PromptBuilder;
import dev.jllm.engine.EngineBusyException;
import dev.jllm.engine.Pooling;
import dev.jllm.engine.Scheduler;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * {@code POST /v1/embeddings}, OpenAI's shape: {@code input} is a string, an array of strings, an
 * array of token ids or an array of such arrays; each becomes one L2-normalised vector, the model's
 * final hidden state (after the output norm) pooled as the server was started ({@code --pooling
 * mean|last}, llama-server's option; mean by default). Text is tokenized as plain text with the
 * vocabulary's BOS, as completions prompts are. {@code encoding_format} is {@code float} (default) or
 * {@code base64} (little-endian float32, what the openai SDKs decode). {@code dimensions} is refused
 * unless it equals the model's size: jllm's models are not trained for truncated (Matryoshka)
 * embeddings, so a shortened vector would silently mean something else.
 */
final class EmbeddingsApi {
    /** Inputs per request, as OpenAI's limit. */
    static final int MAX_INPUTS = 2048;

    private final ServedModels models;
    private final Scheduler scheduler;
    private final PromptBuilder prompts;
    private final Pooling pooling;

    EmbeddingsApi(ServedModels models, Scheduler scheduler, PromptBuilder prompts, Pooling pooling) {
        this.models = models;
        this.scheduler = scheduler;
        this.prompts = prompts;
        this.pooling = pooling;
    }

    void create(HttpExchange ex, ObjectNode body) throws IOException {
        ServedModels.Resolved model = models.resolve(body);
        if (model.adapter() != null) {
            throw ApiException.invalid("model", "embeddings come from the base model '" + models.base() + "' only, not from the adapter '"
                    + model.id() + "'");
        }
        List<int[]> inputs = inputs(body);
        String format = Fields.optString(body, "encoding_format", null);
        if (format != null && !format.equals("float") && !format.equals("base64")) {
            throw ApiException.invalid("encoding_format", "'encoding_format' must be \"float\" or \"base64\", got \"" + format + "\"");
        }
        int dim = scheduler.embeddingDimension();
        Integer dimensions = Fields.optInt(body, "dimensions", null, 1, Integer.MAX_VALUE);
        if (dimensions != null && dimensions != dim) {
            throw ApiException.invalid("dimensions", "this model's embeddings have " + dim + " dimensions and cannot be shortened to "
                    + dimensions + " (it was not trained for truncated embeddings); omit 'dimensions' or send " + dim);
        }
        Fields.optString(body, "user", null); // accepted for compatibility (type-checked)
        List<CompletableFuture<float[]>> futures = new ArrayList<>();
        int tokens = 0;
        try {
            for (int i = 0; i < inputs.size(); i++) {
                int[] t = inputs.get(i);
                if (t.length > prompts.contextLength()) {
                    throw ApiException.invalid("input", "context_length_exceeded", "'input" + (inputs.size() > 1 ? "[" + i + "]" : "") + "' has "
                            + t.length + " tokens; this model's maximum context length is " + prompts.contextLength() + " tokens");
                }
                tokens += t.length;
                futures.add(scheduler.embed(t, pooling));
            }
            ObjectNode r = HttpIo.JSON.createObjectNode().put("object", "list");
            ArrayNode data = r.putArray("data");
            ClientProbe probe = ClientProbe.of(ex);
            for (int i = 0; i < futures.size(); i++) {
                float[] e = await(futures.get(i), probe);
                ObjectNode o = data.addObject().put("object", "embedding").put("index", i);
                if ("base64".equals(format)) {
                    ByteBuffer b = ByteBuffer.allocate(e.length * 4).order(ByteOrder.LITTLE_ENDIAN);
                    for (float v : e) b.putFloat(v);
                    o.put("embedding", Base64.getEncoder().encodeToString(b.array()));
                } else {
                    ArrayNode a = o.putArray("embedding");
                    for (float v : e) a.add(v);
                }
            }
            r.put("model", model.id());
            r.putObject("usage").put("prompt_tokens", tokens).put("total_tokens", tokens);
            HttpIo.sendJson(ex, 200, r);
        } catch (EngineBusyException e) {
            throw ApiException.busy(e.getMessage(), e.retryAfterSeconds());
        } finally {
            for (CompletableFuture<float[]> f : futures) f.cancel(false); // a gone client or an error: the engine skips what is left
        }
    }

    private static float[] await(CompletableFuture<float[]> f, ClientProbe probe) throws IOException {
        while (true) {
            try {
                return f.get(Generations.PROBE_MILLIS, TimeUnit.MILLISECONDS);
            } catch (TimeoutException e) {
                if (probe.gone()) throw new IOException("the client closed the connection before the embeddings were ready");
            } catch (ExecutionException e) {
                if (e.getCause() instanceof EngineBusyException b) throw new ApiException(503, "server_error", null, "unavailable", b.getMessage(), 5);
                throw new ApiException(500, "server_error", null, "internal_error", "internal error while embedding", 0);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while embedding", e);
            }
        }
    }

    /** OpenAI's four input forms → token sequences; empty strings and empty arrays are 400s, as OpenAI's. */
    private List<int[]> inputs(ObjectNode body) {
        JsonNode in = body.get("input");
        if (in == null || in.isNull()) throw ApiException.invalid("input", "'input' is required");
        if (in.isTextual()) return List.of(text(in.asText(), "input"));
        if (!(in instanceof ArrayNode a)) throw ApiException.invalid("input", "'input' must be a string or an array, got " + Fields.kind(in));
        if (a.isEmpty()) throw ApiException.invalid("input", "'input' must not be an empty array");
        if (a.get(0).isIntegralNumber()) return List.of(ids(a, "input"));
        if (a.size() > MAX_INPUTS) throw ApiException.invalid("input", "'input' holds " + a.size() + " inputs; at most " + MAX_INPUTS + " per request");
        List<int[]> out = new ArrayList<>(a.size());
        for (int i = 0; i < a.size(); i++) {
            JsonNode e = a.get(i);
            String p = "input[" + i + "]";
            if (e.isTextual()) out.add(text(e.asText(), p));
            else if (e instanceof ArrayNode ids && !ids.isEmpty()) out.add(ids(ids, p));
            else throw ApiException.invalid("input", "'" + p + "' must be a non-empty string or a non-empty array of token ids, got " + Fields.kind(e));
        }
        return out;
    }

    private int[] text(String s, String p) {
        if (s.isEmpty()) throw ApiException.invalid("input", "'" + p + "' must not be empty");
        return prompts.encodePlain(s);
    }

    private int[] ids(ArrayNode a, String p) {
        int vocab = prompts.tokenizer().vocabSize();
        int[] ids = new int[a.size()];
        for (int i = 0; i < ids.length; i++) {
            JsonNode t = a.get(i);
            if (!t.isIntegralNumber() || t.asLong() < 0 || t.asLong() >= vocab) {
                throw ApiException.invalid("input", "'" + p + "[" + i + "]' must be a token id in [0, " + (vocab - 1) + "]");
            }
            ids[i] = t.asInt();
        }
        return ids;
    }
}

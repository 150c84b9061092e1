package dev.jllm.server.http;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.jllm.model.LoraWeights;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The model ids this server answers to: the base model ({@code stories260K}) and one id per LoRA
 * adapter loaded with {@code --lora NAME=FILE} ({@code stories260K:NAME}, as vLLM lists its
 * adapters beside the base). A request's {@code model} picks the adapter its tokens run with.
 */
public final class ServedModels {
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_.-]+");

    /** What a request's model id resolved to: the id itself (echoed in responses) and its adapter, or null for the base. */
    public record Resolved(String id, LoraWeights adapter) {}

    private final String base;
    private final Map<String, LoraWeights> byId;
    private final String version;
    private final String sha256;

    public ServedModels(String base, Map<String, LoraWeights> adapters) {
        this(base, adapters, null, null);
    }

    /**
     * @param version what the generations log records as the model version: a registry version, or null
     *                for {@code sha256:} + the first 12 hex digits of {@code sha256}
     * @param sha256  the model file's SHA-256 in hex, or null when unknown
     */
    public ServedModels(String base, Map<String, LoraWeights> adapters, String version, String sha256) {
        this.base = base;
        this.sha256 = sha256;
        this.version = version != null ? version : sha256 != null ? "sha256:" + sha256.substring(0, 12) : null;
        Map<String, LoraWeights> m = new LinkedHashMap<>();
        m.put(base, null);
        for (var e : adapters.entrySet()) {
            if (!NAME.matcher(e.getKey()).matches()) {
                throw new IllegalArgumentException("--lora: adapter name '" + e.getKey() + "' must be letters, digits, '_', '-' or '.'");
            }
            m.put(base + ":" + e.getKey(), e.getValue());
        }
        this.byId = Collections.unmodifiableMap(m);
    }

    public static ServedModels baseOnly(String base) {
        return new ServedModels(base, Map.of());
    }

    public String base() {
        return base;
    }

    /** The model version answers are recorded with (null when unknown). */
    public String version() {
        return version;
    }

    /** The model file's SHA-256 in hex (null when unknown). */
    public String sha256() {
        return sha256;
    }

    /** The adapter's name of a resolved id ({@code base:NAME} → NAME), or null for the base model. */
    public String adapterName(Resolved r) {
        return r.adapter() == null ? null : r.id().substring(base.length() + 1);
    }

    /** Every id, the base first. */
    public List<String> ids() {
        return new ArrayList<>(byId.keySet());
    }

    public boolean serves(String id) {
        return byId.containsKey(id);
    }

    /**
     * The request's {@code model}: unless it is one of {@link #ids}, OpenAI's answer to a model it does not have —
     * 404, type invalid_request_error, code model_not_found (the SDKs' NotFoundError) — listing what is served.
     */
    Resolved resolve(ObjectNode body) {
        String model = Fields.reqString(body, "model", null);
        if (!byId.containsKey(model)) {
            throw new ApiException(404, "invalid_request_error", "model", "model_not_found",
                    "the model '" + model + "' does not exist; this server serves " + String.join(", ", ids()), 0);
        }
        return new Resolved(model, byId.get(model));
    }
}

package dev.jllm.server.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import dev.jllm.server.registry.Registry;
import dev.jllm.server.store.ModelRegistry;
import dev.jllm.server.store.ModelRegistry.ModelVersion;
import dev.jllm.server.store.ModelRegistry.RegistryException;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code /admin/*}, behind the admin key ({@link AdminKey}): the model registry as HTTP — the same
 * operations and checks as {@code jllm models} ({@link Registry}). A promotion or rollback of the model
 * this server serves is followed at once (the other replicas follow within their poll interval); the
 * answer says which version this server serves afterwards. And the conversations' KV ({@link KvAdmin}):
 * what is resident, and an eviction on request — the LRU's own — for operators and benchmarks.
 *
 * <pre>
 * GET  /admin/models[?name=N]            versions (promoted marked) and what this server serves
 * POST /admin/models                     {"name", "file", "version"?, "adapters"?: {"NAME": "FILE"}}  → 201
 * POST /admin/models/NAME/promote        {"version": "v2"}
 * POST /admin/models/NAME/rollback       back to the version promoted before the current one
 * GET  /admin/models/NAME/history        promotions, newest first
 * GET  /admin/kv                         idle KV resident in memory, and the KV disk tier (or null)
 * POST /admin/kv/evict                   {"conversation": "conv_…"} or {"all": true}: evicted now, as by the LRU
 * </pre>
 */
public final class AdminApi {

    /** What the server does about the registry: the name it serves (null when it serves a plain file) and following a change. */
    public interface Follower {
        String servedName();

        /** Serves the promoted version now if it is not served yet; returns the served backend's models afterwards. */
        ServedModels follow() throws IOException;
    }

    private final Registry registry;
    private final Follower follower;
    private final java.util.function.Supplier<ServedModels> serving;
    private final java.util.function.IntSupplier draining;
    private final KvAdmin kv;

    AdminApi(Registry registry, Follower follower, java.util.function.Supplier<ServedModels> serving, java.util.function.IntSupplier draining,
             KvAdmin kv) {
        this.registry = registry;
        this.follower = follower;
        this.serving = serving;
        this.draining = draining;
        this.kv = kv;
    }

    void handle(HttpExchange ex, String method, String[] seg) throws IOException {
        try {
            route(ex, method, seg);
        } catch (RegistryException e) {
            int status = switch (e.kind) {
                case NOT_FOUND -> 404;
                case CONFLICT -> 409;
                case INVALID -> 400;
            };
            String code = switch (e.kind) {
                case NOT_FOUND -> "model_version_not_found";
                case CONFLICT -> "registry_conflict";
                case INVALID -> "invalid_model";
            };
            throw new ApiException(status, "invalid_request_error", null, code, e.getMessage(), 0);
        }
    }

    private void route(HttpExchange ex, String method, String[] seg) throws IOException {
        // seg: ["models"], ["models", NAME, "promote"|"rollback"|"history"], ["kv"], ["kv", "evict"]
        if (seg.length > 0 && seg[0].equals("kv")) {
            kv.handle(ex, method, seg);
            return;
        }
        if (seg.length == 0 || !seg[0].equals("models")) throw ApiException.notFound("no admin route /admin/" + String.join("/", seg));
        if (seg.length == 1) {
            switch (method) {
                case "GET" -> list(ex, query(ex).get("name"));
                case "POST" -> add(ex, HttpIo.readJsonObject(ex, 1 << 20));
                default -> throw new ApiException(405, "invalid_request_error", null, "method_not_allowed", "use GET or POST on /admin/models", 0);
            }
            return;
        }
        if (seg.length != 3) throw ApiException.notFound("no admin route /admin/" + String.join("/", seg));
        String name = seg[1];
        switch (seg[2]) {
            case "promote" -> {
                post(method);
                ObjectNode body = HttpIo.readJsonObject(ex, 1 << 16);
                String version = Fields.reqString(body, "version", null);
                ModelVersion m = files(() -> registry.promote(name, version));
                changed(ex, "promoted", m);
            }
            case "rollback" -> {
                post(method);
                changed(ex, "rolled_back_to", files(() -> registry.rollback(name)));
            }
            case "history" -> {
                if (!method.equals("GET")) throw new ApiException(405, "invalid_request_error", null, "method_not_allowed", "use GET", 0);
                ObjectNode r = HttpIo.JSON.createObjectNode().put("object", "list");
                ArrayNode data = r.putArray("data");
                for (ModelRegistry.Promotion p : registry.store().promotions(name)) {
                    ObjectNode o = data.addObject().put("version", p.version()).put("promoted_at", p.promotedAt());
                    if (p.rolledBackAt() != null) o.put("rolled_back_at", p.rolledBackAt());
                    else o.putNull("rolled_back_at");
                }
                HttpIo.sendJson(ex, 200, r);
            }
            default -> throw ApiException.notFound("no admin route /admin/" + String.join("/", seg));
        }
    }

    private interface FileWork<T> {
        T run() throws IOException;
    }

    /** A registry operation that reads files: a file it cannot read is the caller's problem to fix (409 naming it), not a gone client. */
    private static <T> T files(FileWork<T> w) {
        try {
            return w.run();
        } catch (java.nio.file.NoSuchFileException e) {
            throw new ApiException(409, "invalid_request_error", null, "registry_conflict", "file not found: " + e.getFile(), 0);
        } catch (IOException e) {
            throw new ApiException(409, "invalid_request_error", null, "registry_conflict", "cannot read a model file: " + e.getMessage(), 0);
        }
    }

    private static void post(String method) {
        if (!method.equals("POST")) throw new ApiException(405, "invalid_request_error", null, "method_not_allowed", "use POST", 0);
    }

    /** After a promotion or rollback: the registry's answer, and this server following it when it serves that name. */
    private void changed(HttpExchange ex, String what, ModelVersion m) throws IOException {
        ObjectNode r = HttpIo.JSON.createObjectNode();
        r.set(what, json(m));
        if (m.name().equals(follower.servedName())) {
            try {
                ServedModels now = follower.follow();
                r.set("serving", serving(now));
            } catch (IOException | RuntimeException e) { // loading failed: what it is, never a trace
                ServedModels still = serving.get();
                throw new ApiException(500, "server_error", null, "model_load_failed", "the registry now says " + m.name() + " " + m.version()
                        + ", but this server could not load it (" + e.getMessage() + "); it keeps serving " + still.version()
                        + ". Roll back, or fix the file and promote again", 0);
            }
        }
        HttpIo.sendJson(ex, 200, r);
    }

    private void list(HttpExchange ex, String name) throws IOException {
        ObjectNode r = HttpIo.JSON.createObjectNode().put("object", "list");
        ArrayNode data = r.putArray("data");
        for (ModelVersion m : registry.store().versions(name)) data.add(json(m));
        r.set("serving", serving(serving.get()));
        r.put("draining_versions", draining.getAsInt());
        HttpIo.sendJson(ex, 200, r);
    }

    private void add(HttpExchange ex, ObjectNode body) throws IOException {
        String name = Fields.reqString(body, "name", null);
        String file = Fields.reqString(body, "file", null);
        String version = Fields.optString(body, "version", null);
        Map<String, Path> adapters = new LinkedHashMap<>();
        ObjectNode a = Fields.optObject(body, "adapters", null);
        if (a != null) {
            for (Iterator<Map.Entry<String, JsonNode>> it = a.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                if (!e.getValue().isTextual()) throw ApiException.invalid("adapters." + e.getKey(), "'adapters' maps adapter names to file paths");
                adapters.put(e.getKey(), Path.of(e.getValue().asText()));
            }
        }
        ModelVersion m;
        try {
            m = files(() -> registry.add(name, Path.of(file), version, adapters));
        } catch (java.nio.file.InvalidPathException e) {
            throw ApiException.invalid("file", "not a file path: " + e.getMessage());
        }
        HttpIo.sendJson(ex, 201, json(m));
    }

    private static ObjectNode serving(ServedModels s) {
        ObjectNode o = HttpIo.JSON.createObjectNode().put("model", s.base()).put("version", s.version());
        o.put("sha256", s.sha256());
        return o;
    }

    static ObjectNode json(ModelVersion m) {
        ObjectNode o = HttpIo.JSON.createObjectNode();
        o.put("name", m.name()).put("version", m.version()).put("promoted", m.promoted()).put("sha256", m.sha256()).put("size_bytes", m.sizeBytes())
                .put("path", m.path()).put("added_at", m.addedAt());
        ArrayNode ads = o.putArray("adapters");
        for (ModelRegistry.Adapter a : m.adapters()) ads.addObject().put("name", a.name()).put("path", a.path()).put("sha256", a.sha256());
        return o;
    }

    private static Map<String, String> query(HttpExchange ex) {
        Map<String, String> q = new LinkedHashMap<>();
        String raw = ex.getRequestURI().getRawQuery();
        if (raw == null) return q;
        for (String kv : raw.split("&")) {
            int eq = kv.indexOf('=');
            if (eq > 0) q.put(java.net.URLDecoder.decode(kv.substring(0, eq), java.nio.charset.StandardCharsets.UTF_8),
                    java.net.URLDecoder.decode(kv.substring(eq + 1), java.nio.charset.StandardCharsets.UTF_8));
        }
        return q;
    }

}

package dev.jllm.eval;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The server under test, spoken to over OpenAI's HTTP API with the JDK client. Setup calls
 * (models, calibration, conversations) throw an IOException with one clear line; {@link #stream}
 * never throws: it measures one streamed request and reports failures as a {@link RequestResult}
 * error kind. Every stream is bounded by the request timeout: a watchdog closes it.
 */
public final class OpenAiTarget implements AutoCloseable {
    static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration SETUP_TIMEOUT = Duration.ofSeconds(60);

    /** How the events of a stream are read. */
    public enum Dialect { CHAT_COMPLETIONS, RESPONSES }

    private final URI base;
    private final String apiKey;
    private final Duration requestTimeout;
    private final ExecutorService clientExecutor = Executors.newVirtualThreadPerTaskExecutor();
    private final HttpClient http;
    private final ScheduledThreadPoolExecutor watchdog;

    public OpenAiTarget(URI base, String apiKey, Duration requestTimeout) {
        String s = base.toString();
        this.base = URI.create(s.endsWith("/") ? s : s + "/");
        this.apiKey = apiKey;
        this.requestTimeout = requestTimeout;
        // HTTP/1.1: the JDK's HTTP/2 default would add an h2c upgrade to every plain-http request.
        this.http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(10))
                .executor(clientExecutor).build();
        this.watchdog = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, "loadtest-watchdog");
            t.setDaemon(true);
            return t;
        });
        watchdog.setRemoveOnCancelPolicy(true);
    }

    public URI base() {
        return base;
    }

    /** The server answered a request with an error status (other than 401, which says to pass a key). */
    public static final class StatusException extends IOException {
        public final int status;

        StatusException(int status, String message) {
            super(message);
            this.status = status;
        }
    }

    /**
     * A non-streamed POST within the request timeout: the JSON body on 200, else one line saying what
     * went wrong ({@link StatusException} for an error status, with the server's message).
     */
    public JsonNode postJson(String path, ObjectNode body) throws IOException {
        return call(post(path, body).timeout(requestTimeout), "POST " + path, requestTimeout);
    }

    /** DELETE {@code path}; errors as {@link #postJson}. */
    public void delete(String path) throws IOException {
        call(request(path).DELETE(), "DELETE " + path, SETUP_TIMEOUT);
    }

    /** The model ids {@code GET /v1/models} lists. */
    public List<String> models() throws IOException {
        JsonNode r = call(request("v1/models").GET(), "GET v1/models");
        List<String> ids = new ArrayList<>();
        for (JsonNode m : r.path("data")) ids.add(m.path("id").asText());
        if (ids.isEmpty()) throw new IOException(base + "v1/models lists no model");
        return ids;
    }

    /** The prompt tokens the server counts for one user message (a 1-token non-streamed chat completion). */
    public int promptTokens(String model, String userText) throws IOException {
        ObjectNode body = JSON.createObjectNode().put("model", model).put("max_tokens", 1);
        body.putArray("messages").addObject().put("role", "user").put("content", userText);
        JsonNode r = call(post("v1/chat/completions", body), "POST v1/chat/completions");
        JsonNode n = r.path("usage").path("prompt_tokens");
        if (!n.isInt()) throw new IOException(base + "v1/chat/completions: the response has no usage.prompt_tokens");
        return n.asInt();
    }

    public String createConversation() throws IOException {
        JsonNode r = call(post("v1/conversations", JSON.createObjectNode()), "POST v1/conversations");
        String id = r.path("id").asText("");
        if (id.isEmpty()) throw new IOException(base + "v1/conversations: the response has no conversation id");
        return id;
    }

    /** Best effort: the server can drop the conversation's KV early; a failure here does not affect the measurement. */
    public void deleteConversation(String id) {
        try {
            http.send(request("v1/conversations/" + id).DELETE().build(), HttpResponse.BodyHandlers.discarding());
        } catch (IOException e) {
            // the conversation stays on the server; nothing measured depends on it
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * jllm's {@code POST /admin/kv/evict} for one conversation, with the admin key: its KV leaves the
     * server's memory as the LRU would evict it. Returns the server's answer (evicted, spilled, tokens).
     */
    public JsonNode evictKv(String conversationId, String adminKey) throws IOException {
        ObjectNode body = JSON.createObjectNode().put("conversation", conversationId);
        return admin(post("admin/kv/evict", body).setHeader("Authorization", "Bearer " + adminKey).timeout(requestTimeout), "POST admin/kv/evict",
                requestTimeout);
    }

    /** jllm's {@code GET /admin/kv}: idle KV resident and the KV disk tier ({@code "disk": null} when the server has none). */
    public JsonNode kvStatus(String adminKey) throws IOException {
        return admin(request("admin/kv").setHeader("Authorization", "Bearer " + adminKey).GET(), "GET admin/kv", SETUP_TIMEOUT);
    }

    /** An admin call: a refused admin key is named as such (not as the users' --api-key), and so are admin endpoints that are off. */
    private JsonNode admin(HttpRequest.Builder b, String what, Duration timeout) throws IOException {
        try {
            return call(b, what, timeout, true);
        } catch (StatusException e) {
            if (e.status == 404 && e.getMessage().contains("admin endpoints are off")) {
                throw new IOException(base + " has its admin endpoints off: start jllm serve with --admin-key FILE (" + what + " needs them)", e);
            }
            throw e;
        }
    }

    /**
     * Sends one streaming request and times it: TTFT at the first non-empty text chunk, ITL between
     * text chunks, E2E at the end-of-stream marker ({@code [DONE]} or the response's final event).
     *
     * @param text receives the generated text (the next turn's history)
     */
    public RequestResult stream(int session, int turn, long benchStartNanos, String path, ObjectNode body, Dialect dialect, StringBuilder text) {
        long t0 = System.nanoTime();
        long rel = t0 - benchStartNanos;
        AtomicBoolean timedOut = new AtomicBoolean();
        ScheduledFuture<?> alarm = null;
        try {
            HttpResponse<InputStream> resp = http.send(post(path, body).timeout(requestTimeout).build(), HttpResponse.BodyHandlers.ofInputStream());
            try (InputStream in = resp.body()) {
                // The request timeout only covers the headers; the watchdog bounds the body, error bodies included.
                long remaining = requestTimeout.toNanos() - (System.nanoTime() - t0);
                alarm = watchdog.schedule(() -> {
                    timedOut.set(true);
                    closeQuietly(in);
                }, Math.max(0, remaining), TimeUnit.NANOSECONDS);
                if (resp.statusCode() != 200) {
                    String detail = errorMessage(new String(in.readNBytes(1 << 16), StandardCharsets.UTF_8));
                    return RequestResult.failure(session, turn, rel, "HTTP " + resp.statusCode(), detail, System.nanoTime() - t0);
                }
                StreamState st = new StreamState(dialect, t0, text);
                SseParser parser = new SseParser(st::on);
                byte[] buf = new byte[16 * 1024];
                int n;
                while (!st.finished() && (n = in.read(buf)) >= 0) parser.feed(buf, 0, n);
                return st.result(session, turn, rel);
            }
        } catch (HttpConnectTimeoutException e) {
            return RequestResult.failure(session, turn, rel, "connect timeout", e.getMessage(), System.nanoTime() - t0);
        } catch (HttpTimeoutException e) {
            return RequestResult.failure(session, turn, rel, "timeout", "no response headers within " + requestTimeout.toSeconds() + " s",
                    System.nanoTime() - t0);
        } catch (ConnectException e) {
            return RequestResult.failure(session, turn, rel, "connection refused", base.toString(), System.nanoTime() - t0);
        } catch (IOException e) {
            if (timedOut.get()) {
                return RequestResult.failure(session, turn, rel, "timeout", "stream not finished within " + requestTimeout.toSeconds() + " s",
                        System.nanoTime() - t0);
            }
            return RequestResult.failure(session, turn, rel, e.getClass().getSimpleName(), e.getMessage(), System.nanoTime() - t0);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return RequestResult.failure(session, turn, rel, "interrupted", null, System.nanoTime() - t0);
        } finally {
            if (alarm != null) alarm.cancel(false);
        }
    }

    private static void closeQuietly(InputStream in) {
        try {
            in.close();
        } catch (IOException ignored) {
            // closing is how the stream is aborted; a failure to close changes nothing
        }
    }

    private HttpRequest.Builder request(String path) {
        HttpRequest.Builder b = HttpRequest.newBuilder(base.resolve(path)).timeout(SETUP_TIMEOUT);
        if (apiKey != null) b.header("Authorization", "Bearer " + apiKey);
        return b;
    }

    private HttpRequest.Builder post(String path, ObjectNode body) throws IOException {
        return request(path).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(JSON.writeValueAsBytes(body)));
    }

    /** A setup call: the JSON body on 200, else one line saying what went wrong and what to do. */
    private JsonNode call(HttpRequest.Builder b, String what) throws IOException {
        return call(b, what, SETUP_TIMEOUT);
    }

    private JsonNode call(HttpRequest.Builder b, String what, Duration timeout) throws IOException {
        return call(b, what, timeout, false);
    }

    private JsonNode call(HttpRequest.Builder b, String what, Duration timeout, boolean admin) throws IOException {
        HttpResponse<String> r;
        try {
            r = http.send(b.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        } catch (ConnectException e) {
            throw new IOException("cannot connect to " + base + ": connection refused (is the server running? start one with `jllm serve`)", e);
        } catch (HttpTimeoutException e) {
            throw new IOException(base + ": no answer to " + what + " within " + timeout.toSeconds() + " s", e);
        } catch (IOException e) {
            throw new IOException("cannot reach " + base + ": " + (e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName()), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted during " + what, e);
        }
        String message = errorMessage(r.body());
        return switch (r.statusCode()) {
            case 200 -> {
                try {
                    yield JSON.readTree(r.body());
                } catch (IOException e) {
                    throw new IOException(what + " at " + base + ": the answer is not JSON: " + oneLine(r.body()));
                }
            }
            case 401 -> throw new IOException((admin
                    ? base + " refused the admin key of " + what + ": pass the key in jllm serve's --admin-key FILE as --admin-key KEY or in JLLM_ADMIN_KEY"
                    : base + " requires an API key: pass --api-key KEY" + (apiKey != null ? " (this one was refused)" : ""))
                    + (message != null ? " [" + message + "]" : ""));
            default -> throw new StatusException(r.statusCode(), what + " at " + base + ": HTTP " + r.statusCode()
                    + ": " + (message != null ? message : oneLine(r.body())));
        };
    }

    /** A body on one line, cut at 300 characters, for error messages. */
    private static String oneLine(String s) {
        String t = s == null ? "" : s.replaceAll("\\s+", " ").strip();
        return t.isEmpty() ? "(empty body)" : t.length() > 300 ? t.substring(0, 300) + "…" : t;
    }

    /** OpenAI's {@code {"error": {"message": ...}}}, or null. */
    private static String errorMessage(String body) {
        try {
            JsonNode m = JSON.readTree(body).path("error").path("message");
            return m.isTextual() ? m.asText() : null;
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    @Override
    public void close() {
        watchdog.shutdownNow();
        http.close();
        clientExecutor.close();
    }

    /** The events of one stream as they arrive. */
    private static final class StreamState {
        private final Dialect dialect;
        private final long t0;
        private final StringBuilder text;
        private final List<Long> gaps = new ArrayList<>();
        private long first = -1, last = -1, end = -1;
        private int chunks, promptTokens, cachedTokens, outputTokens = -1;
        private String error, detail;

        StreamState(Dialect dialect, long t0, StringBuilder text) {
            this.dialect = dialect;
            this.t0 = t0;
            this.text = text;
        }

        boolean finished() {
            return end >= 0 || error != null;
        }

        void on(SseParser.Event e) {
            long now = System.nanoTime();
            if (finished()) return;
            try {
                switch (dialect) {
                    case CHAT_COMPLETIONS -> chat(e, now);
                    case RESPONSES -> responses(e, now);
                }
            } catch (IOException ex) {
                error = "bad stream data";
                detail = ex.getMessage();
            }
        }

        private void chat(SseParser.Event e, long now) throws IOException {
            if (e.isDone()) {
                end = now;
                return;
            }
            JsonNode d = JSON.readTree(e.data());
            if (d.has("error")) {
                error = "stream error: " + d.path("error").path("code").asText("unknown");
                detail = d.path("error").path("message").asText(null);
                return;
            }
            JsonNode choice = d.path("choices").path(0);
            if (!choice.isMissingNode()) content(choice.path("delta").path("content").asText(""), now);
            JsonNode u = d.get("usage");
            if (u != null && u.isObject()) {
                promptTokens = u.path("prompt_tokens").asInt();
                outputTokens = u.path("completion_tokens").asInt();
                cachedTokens = u.path("prompt_tokens_details").path("cached_tokens").asInt(0);
            }
        }

        private void responses(SseParser.Event e, long now) throws IOException {
            switch (e.event()) {
                case "response.output_text.delta" -> content(JSON.readTree(e.data()).path("delta").asText(""), now);
                case "response.completed", "response.incomplete" -> {
                    JsonNode u = JSON.readTree(e.data()).path("response").path("usage");
                    promptTokens = u.path("input_tokens").asInt();
                    outputTokens = u.path("output_tokens").asInt();
                    cachedTokens = u.path("input_tokens_details").path("cached_tokens").asInt(0);
                    end = now;
                }
                case "response.failed", "error" -> {
                    JsonNode d = JSON.readTree(e.data());
                    JsonNode err = d.path("response").path("error");
                    if (err.isMissingNode()) err = d.path("error");
                    error = "stream error: " + err.path("code").asText("unknown");
                    detail = err.path("message").asText(null);
                }
                default -> { } // created, in_progress, output_item.*, output_text.done carry nothing to time
            }
        }

        private void content(String s, long now) {
            if (s.isEmpty()) return; // the role-only first chunk and the final finish_reason chunk are not tokens
            text.append(s);
            if (first < 0) first = now;
            else gaps.add(now - last);
            last = now;
            chunks++;
        }

        RequestResult result(int session, int turn, long rel) {
            long e2e = (end >= 0 ? end : System.nanoTime()) - t0;
            if (error != null) return RequestResult.failure(session, turn, rel, error, detail, e2e);
            if (end < 0) return RequestResult.failure(session, turn, rel, "stream ended early", "no end-of-stream event before the connection closed", e2e);
            if (first < 0) return RequestResult.failure(session, turn, rel, "no tokens", "the stream ended without any text", e2e);
            int out = outputTokens >= 0 ? outputTokens : chunks;
            return new RequestResult(session, turn, rel, null, null, promptTokens, cachedTokens, out, first - t0, e2e,
                    gaps.stream().mapToLong(Long::longValue).toArray());
        }
    }
}

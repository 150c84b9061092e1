package dev.jllm.server.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/** Request bodies in (size limit, strict UTF-8, JSON), JSON and errors out. */
final class HttpIo {
    /** Strict: duplicate keys are an error, not "last one wins" (a smuggling vector between proxies). */
    static final ObjectMapper JSON = JsonMapper.builder().enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION).build();

    /** Exchange attribute: the per-key permit's release, run before a fixed-length response's body is written. */
    static final String PERMIT = "jllm.permit";

    private HttpIo() {}

    /** The body as a JSON object; 413 past {@code limit} bytes, 400 for invalid UTF-8, invalid JSON or a non-object. */
    static ObjectNode readJsonObject(HttpExchange ex, int limit) throws IOException {
        String declared = ex.getRequestHeaders().getFirst("Content-Length");
        if (declared != null) {
            try {
                if (Long.parseLong(declared.trim()) > limit) throw tooLarge(limit);
            } catch (NumberFormatException e) {
                throw ApiException.invalid(null, "invalid Content-Length header");
            }
        }
        byte[] body;
        try (InputStream in = ex.getRequestBody()) {
            body = in.readNBytes(limit + 1);
        }
        if (body.length > limit) throw tooLarge(limit);
        if (body.length == 0) throw ApiException.invalid(null, "the request body is empty; expected a JSON object");
        try {
            StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(body));
        } catch (CharacterCodingException e) {
            throw ApiException.invalid(null, "the request body is not valid UTF-8");
        }
        JsonNode n;
        try {
            n = JSON.readTree(body);
        } catch (JsonProcessingException e) {
            throw ApiException.invalid(null, "the request body is not valid JSON: " + e.getOriginalMessage());
        }
        if (!(n instanceof ObjectNode o)) throw ApiException.invalid(null, "the request body must be a JSON object");
        return o;
    }

    private static ApiException tooLarge(int limit) {
        return new ApiException(413, "invalid_request_error", null, "request_too_large",
                "the request body is larger than the limit of " + limit + " bytes", 0);
    }

    static void sendJson(HttpExchange ex, int status, Object body) throws IOException {
        byte[] b = JSON.writeValueAsBytes(body);
        if (ex.getAttribute(PERMIT) instanceof Runnable release) release.run(); // the client may send its next request at once
        ex.getResponseHeaders().set("Content-Type", "application/json");
        ex.sendResponseHeaders(status, b.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(b);
        }
    }

    static ObjectNode errorBody(ApiException e) {
        ObjectNode root = JSON.createObjectNode();
        ObjectNode err = root.putObject("error");
        err.put("message", e.getMessage());
        err.put("type", e.type);
        err.put("param", e.param);
        err.put("code", e.code);
        return root;
    }

    static void sendError(HttpExchange ex, ApiException e) throws IOException {
        if (e.retryAfterSeconds > 0) ex.getResponseHeaders().set("Retry-After", Integer.toString(e.retryAfterSeconds));
        sendJson(ex, e.status, errorBody(e));
    }
}

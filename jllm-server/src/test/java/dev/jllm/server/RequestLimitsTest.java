package dev.jllm.server;

import dev.jllm.server.http.ApiKeys;
import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Per-request count limits: a clear 400 naming the field, before any model work. */
class RequestLimitsTest {
    /** The server's documented limit on messages (or items) per request. */
    private static final int MAX_PER_REQUEST = 1000;

    @TempDir Path dir;

    private static String manyMessages(int n) {
        StringBuilder sb = new StringBuilder("[");
        for (int i = 0; i < n; i++) sb.append(i == 0 ? "" : ",").append("{\"role\":\"user\",\"content\":\"a\"}");
        return sb.append("]").toString();
    }

    @Test
    void tooManyMessagesOrItemsIsA400() throws Exception {
        try (ServerFixture s = new ServerFixture(dir, ApiKeys.disabled(), 4, 4 << 20)) {
            HttpResponse<String> r = s.post("/v1/chat/completions",
                    "{\"model\":\"stories260K\",\"max_tokens\":1,\"messages\":" + manyMessages(MAX_PER_REQUEST + 1) + "}", null);
            assertEquals(400, r.statusCode(), r.body());
            JsonNode e = ServerFixture.json(r).get("error");
            assertEquals("messages", e.get("param").asText());
            assertTrue(e.get("message").asText().contains("at most " + MAX_PER_REQUEST), r.body());
            HttpResponse<String> c = s.post("/v1/conversations", "{\"items\":" + manyMessages(MAX_PER_REQUEST + 1) + "}", null);
            assertEquals(400, c.statusCode(), c.body());
            assertEquals("items", ServerFixture.json(c).get("error").get("param").asText());
        }
    }
}

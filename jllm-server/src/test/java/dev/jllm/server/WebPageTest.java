package dev.jllm.server;

import dev.jllm.server.http.ApiKeys;
import dev.jllm.server.store.ConversationStore;
import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** GET / (the chat page and its files) and GET /v1/conversations, the owner's list the page shows. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class WebPageTest {
    static final String A = "key-a", B = "key-b";
    @TempDir static Path dir;
    static ServerFixture s;

    @BeforeAll
    static void start() throws Exception {
        s = new ServerFixture(dir, ApiKeys.ofKeys(A, B), 4, 64 * 1024);
    }

    @AfterAll
    static void stop() {
        s.close();
    }

    @Test
    void pageAndItsFilesAreServedWithoutAKey() throws Exception {
        HttpResponse<String> page = s.get("/", null);
        assertEquals(200, page.statusCode());
        assertTrue(page.headers().firstValue("Content-Type").orElse("").startsWith("text/html"));
        assertTrue(page.body().contains("/web/app.js") && page.body().contains("/web/style.css"), page.body());
        for (String f : new String[] {"app.js", "style.css"}) {
            HttpResponse<String> r = s.get("/web/" + f, null);
            assertEquals(200, r.statusCode(), f);
            assertFalse(r.body().isEmpty(), f);
        }
        assertTrue(s.get("/web/app.js", null).body().contains("/v1/responses"));
        assertEquals(404, s.get("/web/nope.js", null).statusCode());
        assertEquals(404, s.get("/web/../ConversationStore.class", null).statusCode());
        assertEquals(405, s.post("/", "{}", null).statusCode());
    }

    @Test
    void conversationListIsScopedToTheCallersKey() throws Exception {
        Set<String> mine = new HashSet<>();
        for (int i = 0; i < 3; i++) {
            HttpResponse<String> r = s.post("/v1/conversations", "{\"metadata\":{\"title\":\"chat " + i + "\"}}", A);
            assertEquals(200, r.statusCode(), r.body());
            mine.add(ServerFixture.json(r).get("id").asText());
        }
        String theirs = ServerFixture.json(s.post("/v1/conversations", "{}", B)).get("id").asText();

        JsonNode list = ServerFixture.json(s.get("/v1/conversations", A));
        assertEquals("list", list.get("object").asText());
        Set<String> got = new HashSet<>();
        for (JsonNode c : list.get("data")) {
            assertEquals("conversation", c.get("object").asText());
            assertTrue(c.get("metadata").get("title").asText().startsWith("chat "));
            got.add(c.get("id").asText());
        }
        assertEquals(mine, got);
        assertFalse(list.get("has_more").asBoolean());

        JsonNode page = ServerFixture.json(s.get("/v1/conversations?limit=2", A));
        assertEquals(2, page.get("data").size());
        assertTrue(page.get("has_more").asBoolean());

        JsonNode other = ServerFixture.json(s.get("/v1/conversations", B));
        assertEquals(1, other.get("data").size());
        assertEquals(theirs, other.get("data").get(0).get("id").asText());

        assertEquals(400, s.get("/v1/conversations?limit=0", A).statusCode());
        assertEquals(401, s.get("/v1/conversations", null).statusCode());
        assertEquals(405, s.delete("/v1/conversations", A).statusCode());
    }
}

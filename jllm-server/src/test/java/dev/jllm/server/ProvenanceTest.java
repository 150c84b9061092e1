package dev.jllm.server;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import dev.jllm.server.http.ApiKeys;
import dev.jllm.server.http.HttpApi;
import dev.jllm.server.store.ConversationStore.GenerationRecord;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every answer records what made it: model, version, adapter, sampling, token counts, timings (the generations log, schema v3). */
class ProvenanceTest {
    @TempDir static Path dir;
    static ServerFixture f;
    static String version;

    @BeforeAll
    static void start() throws Exception {
        f = new ServerFixture(dir, ApiKeys.disabled(), 8, 1 << 20);
        version = "sha256:" + java.util.HexFormat.of().formatHex(dev.jllm.engine.KvDiskStore.sha256(TestModel.path("models/stories260K.gguf")))
                .substring(0, 12);
    }

    @AfterAll
    static void stop() {
        f.close();
    }

    private static GenerationRecord row(String id) {
        f.server.api().flushGenerationLog();
        return f.server.store().generation(id).orElseThrow(() -> new AssertionError("no generations row for " + id));
    }

    private static void assertMadeBy(GenerationRecord g, String api, int outputTokens, String text) {
        assertEquals(api, g.api());
        assertEquals("stories260K", g.model());
        assertEquals(version, g.version());
        assertEquals(64, g.modelSha256().length());
        assertNull(g.adapter());
        assertEquals(outputTokens, g.outputTokens());
        assertEquals(text.codePointCount(0, text.length()), g.outputChars());
        assertTrue(g.promptTokens() > 0);
        assertTrue(g.ttftMs() > 0 && g.ttftMs() <= g.totalMs(), g.ttftMs() + " / " + g.totalMs());
        assertTrue(g.replica().endsWith(":" + f.base.getPort()), g.replica());
        assertTrue(Math.abs(System.currentTimeMillis() - g.createdMs()) < 60_000);
    }

    @Test
    void aChatCompletionRecordsModelVersionSamplingTokensAndTimings() throws Exception {
        HttpResponse<String> r = f.post("/v1/chat/completions", "{\"model\":\"stories260K\",\"temperature\":0,\"top_p\":0.5,\"seed\":7,"
                + "\"max_tokens\":9,\"messages\":[{\"role\":\"user\",\"content\":\"Tell me a story\"}]}", null);
        assertEquals(200, r.statusCode(), r.body());
        assertEquals(version, r.headers().firstValue(HttpApi.VERSION_HEADER).orElseThrow());
        JsonNode j = ServerFixture.json(r);
        GenerationRecord g = row(j.get("id").asText());
        assertMadeBy(g, "chat.completions", j.get("usage").get("completion_tokens").asInt(), j.get("choices").get(0).get("message").get("content").asText());
        JsonNode sampling = ServerFixture.JSON.readTree(g.sampling());
        assertEquals(0.0, sampling.get("temperature").asDouble());
        assertEquals(0.5, sampling.get("top_p").asDouble());
        assertEquals(7, sampling.get("seed").asLong());
        assertEquals(9, sampling.get("max_tokens").asInt());
        assertEquals(j.get("choices").get(0).get("finish_reason").asText().equals("length") ? "incomplete" : "completed", g.status());
        assertEquals(j.get("usage").get("prompt_tokens").asInt(), g.promptTokens());
    }

    @Test
    void streamedAndLegacyCompletionsAreRecordedToo() throws Exception {
        HttpResponse<String> r = f.post("/v1/chat/completions", "{\"model\":\"stories260K\",\"temperature\":0,\"max_tokens\":6,\"stream\":true,"
                + "\"stream_options\":{\"include_usage\":true},\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}", null);
        assertEquals(200, r.statusCode());
        StringBuilder text = new StringBuilder();
        String id = null;
        int tokens = -1;
        for (String d : ServerFixture.sseData(r.body())) {
            if (d.equals("[DONE]")) continue;
            JsonNode c = ServerFixture.JSON.readTree(d);
            id = c.get("id").asText();
            if (c.hasNonNull("usage")) tokens = c.get("usage").get("completion_tokens").asInt();
            if (c.get("choices").size() > 0 && c.get("choices").get(0).get("delta").has("content")) text.append(c.get("choices").get(0).get("delta").get("content").asText());
        }
        assertMadeBy(row(id), "chat.completions", tokens, text.toString());

        HttpResponse<String> c = f.post("/v1/completions", "{\"model\":\"stories260K\",\"prompt\":\"Once upon a time\",\"max_tokens\":5,\"temperature\":0}", null);
        JsonNode j = ServerFixture.json(c);
        assertMadeBy(row(j.get("id").asText()), "completions", j.get("usage").get("completion_tokens").asInt(), j.get("choices").get(0).get("text").asText());
    }

    @Test
    void aStoredResponseHasItsRowAtOnceAndAnUnstoredOneThroughTheLog() throws Exception {
        HttpResponse<String> r = f.post("/v1/responses", "{\"model\":\"stories260K\",\"input\":\"Hi\",\"max_output_tokens\":7,\"temperature\":0}", null);
        JsonNode j = ServerFixture.json(r);
        String id = j.get("id").asText();
        // committed with the turn: no flush needed
        GenerationRecord g = f.server.store().generation(id).orElseThrow();
        assertMadeBy(g, "responses", j.get("usage").get("output_tokens").asInt(), j.get("output").get(0).get("content").get(0).get("text").asText());
        assertEquals(id, g.responseId());

        HttpResponse<String> u = f.post("/v1/responses", "{\"model\":\"stories260K\",\"input\":\"Hi\",\"max_output_tokens\":7,\"store\":false}", null);
        JsonNode k = ServerFixture.json(u);
        GenerationRecord h = row(k.get("id").asText());
        assertNull(h.responseId(), "not stored: no response to point at");
        assertEquals(k.get("usage").get("output_tokens").asInt(), h.outputTokens());
    }

    @Test
    void refusalsAreRecognisedByTheirOpening() {
        for (String s : new String[] {"I'm sorry, but I can't help with that.", "  I cannot do that", "As an AI language model, I", "抱歉，我不能",
                "Sorry, I am not able to", "I won't"}) {
            assertTrue(dev.jllm.server.http.ProvenanceAccess.refusal(s), s);
        }
        for (String s : new String[] {"Once upon a time", "I can help with that!", "Sorry to hear that. Here is", "", "Icannot"}) {
            assertFalse(dev.jllm.server.http.ProvenanceAccess.refusal(s), s);
        }
    }
}

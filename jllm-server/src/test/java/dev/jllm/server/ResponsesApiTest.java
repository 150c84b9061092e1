package dev.jllm.server;

import dev.jllm.server.http.ApiKeys;
import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Conversations + Responses over HTTP: history kept on the server, prompts rebuilt from it, KV reused. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ResponsesApiTest {
    @TempDir static Path dir;
    static ServerFixture s;

    @BeforeAll
    static void start() throws Exception {
        s = new ServerFixture(dir, ApiKeys.disabled(), 4, 1 << 20);
    }

    @AfterAll
    static void stop() {
        s.close();
    }

    private static JsonNode ok(HttpResponse<String> r) throws Exception {
        assertEquals(200, r.statusCode(), r.body());
        return ServerFixture.json(r);
    }

    private static String outputText(JsonNode response) {
        return response.get("output").get(0).get("content").get(0).get("text").asText();
    }

    @Test
    void aConversationKeepsItsTurnsAndTheSecondTurnPrefillsOnlyNewTokens() throws Exception {
        String conv = ok(s.post("/v1/conversations", "{\"metadata\":{\"topic\":\"max\"}}", null)).get("id").asText();
        assertTrue(conv.startsWith("conv_"));
        JsonNode r1 = ok(s.post("/v1/responses", "{\"model\":\"stories260K\",\"conversation\":\"" + conv
                + "\",\"input\":\"Max and the ball\",\"temperature\":0,\"max_output_tokens\":10}", null));
        assertEquals("response", r1.get("object").asText());
        assertEquals(conv, r1.get("conversation").get("id").asText());
        JsonNode r2 = ok(s.post("/v1/responses", "{\"model\":\"stories260K\",\"conversation\":{\"id\":\"" + conv
                + "\"},\"input\":[{\"role\":\"user\",\"content\":\"Yes\"}],\"temperature\":0,\"max_output_tokens\":10}", null));
        int in1 = r1.get("usage").get("input_tokens").asInt(), in2 = r2.get("usage").get("input_tokens").asInt();
        int cached2 = r2.get("usage").get("input_tokens_details").get("cached_tokens").asInt();
        assertTrue(in2 > in1, "turn 2's prompt holds turn 1");
        assertTrue(cached2 >= in1, "turn 2 reused the conversation's KV: cached " + cached2 + " of " + in2);
        System.out.printf("conversation: turn 1 prefilled %d tokens; turn 2 prompt %d tokens, cached %d, prefilled %d%n", in1, in2, cached2,
                in2 - cached2);
        JsonNode items = ok(s.get("/v1/conversations/" + conv + "/items?order=asc", null));
        List<String> roles = new ArrayList<>();
        for (JsonNode it : items.get("data")) roles.add(it.get("role").asText());
        assertEquals(List.of("user", "assistant", "user", "assistant"), roles);
        assertEquals(outputText(r1), items.get("data").get(1).get("content").get(0).get("text").asText());
        assertEquals(outputText(r2), items.get("data").get(3).get("content").get(0).get("text").asText());
        assertEquals(r2.get("output").get(0).get("id").asText(), items.get("data").get(3).get("id").asText());
        JsonNode page = ok(s.get("/v1/conversations/" + conv + "/items?limit=1", null));
        assertEquals(1, page.get("data").size());
        assertTrue(page.get("has_more").asBoolean());
        assertEquals("assistant", page.get("data").get(0).get("role").asText(), "default order is newest first");
        assertEquals("max", ok(s.get("/v1/conversations/" + conv, null)).get("metadata").get("topic").asText());
    }

    @Test
    void previousResponseIdChainsTurnsAndResponsesCanBeFetched() throws Exception {
        JsonNode r1 = ok(s.post("/v1/responses", "{\"model\":\"stories260K\",\"input\":\"The cat sat\",\"temperature\":0,\"max_output_tokens\":8}", null));
        JsonNode r2 = ok(s.post("/v1/responses", "{\"model\":\"stories260K\",\"previous_response_id\":\"" + r1.get("id").asText()
                + "\",\"input\":\"Why?\",\"temperature\":0,\"max_output_tokens\":8}", null));
        assertEquals(r1.get("id").asText(), r2.get("previous_response_id").asText());
        assertTrue(r2.get("usage").get("input_tokens").asInt() > r1.get("usage").get("input_tokens").asInt());
        assertTrue(r2.get("usage").get("input_tokens_details").get("cached_tokens").asInt() >= r1.get("usage").get("input_tokens").asInt());
        JsonNode got = ok(s.get("/v1/responses/" + r2.get("id").asText(), null));
        assertEquals(outputText(r2), outputText(got));
        assertEquals(r2.get("status").asText(), got.get("status").asText());
        assertEquals(r2.get("usage").get("output_tokens").asInt(), got.get("usage").get("output_tokens").asInt());
    }

    @Test
    void completedAtIsAUnixTimeOnlyWhenTheResponseCompleted() throws Exception {
        // an enum schema: the answer is "yes" and the grammar then allows only the end (OpenAI's Response: completed_at
        // "only present when the status is completed"; llama-server sends it too)
        JsonNode done = ok(s.post("/v1/responses", "{\"model\":\"stories260K\",\"input\":\"Yes?\",\"max_output_tokens\":40,"
                + "\"text\":{\"format\":{\"type\":\"json_schema\",\"name\":\"a\",\"schema\":{\"enum\":[\"yes\"]}}}}", null));
        assertEquals("completed", done.get("status").asText(), done.toString());
        long created = done.get("created_at").asLong();
        assertTrue(done.get("completed_at").isIntegralNumber(), done.toString());
        assertTrue(done.get("completed_at").asLong() >= created && done.get("completed_at").asLong() - created < 120, done.toString());
        JsonNode got = ok(s.get("/v1/responses/" + done.get("id").asText(), null));
        assertTrue(got.get("completed_at").asLong() >= created, got.toString());
        JsonNode cut = ok(s.post("/v1/responses", "{\"model\":\"stories260K\",\"input\":\"Once upon a time\",\"temperature\":0,\"max_output_tokens\":1}", null));
        assertEquals("incomplete", cut.get("status").asText(), cut.toString());
        assertTrue(cut.get("completed_at").isNull(), cut.toString());
        assertTrue(ok(s.get("/v1/responses/" + cut.get("id").asText(), null)).get("completed_at").isNull());
    }

    @Test
    void streamingEmitsCreatedDeltasCompletedAndStoresTheTurn() throws Exception {
        String conv = ok(s.post("/v1/conversations", "{}", null)).get("id").asText();
        HttpResponse<String> r = s.post("/v1/responses", "{\"model\":\"stories260K\",\"conversation\":\"" + conv
                + "\",\"input\":\"Once upon a time\",\"temperature\":0,\"max_output_tokens\":12,\"stream\":true}", null);
        assertEquals(200, r.statusCode());
        List<String> events = r.body().lines().filter(l -> l.startsWith("event: ")).map(l -> l.substring(7)).toList();
        List<String> data = ServerFixture.sseData(r.body());
        assertEquals("response.created", events.getFirst());
        assertTrue(events.getLast().equals("response.completed") || events.getLast().equals("response.incomplete"), events.getLast());
        StringBuilder text = new StringBuilder();
        int lastSeq = -1;
        for (String d : data) {
            JsonNode e = ServerFixture.JSON.readTree(d);
            assertEquals(lastSeq + 1, e.get("sequence_number").asInt());
            lastSeq++;
            if (e.get("type").asText().equals("response.output_text.delta")) text.append(e.get("delta").asText());
        }
        assertTrue(events.contains("response.output_text.delta"));
        JsonNode done = ServerFixture.JSON.readTree(data.getLast()).get("response");
        assertEquals(outputText(done), text.toString());
        JsonNode items = ok(s.get("/v1/conversations/" + conv + "/items?order=asc", null));
        assertEquals(2, items.get("data").size());
        assertEquals(text.toString(), items.get("data").get(1).get("content").get(0).get("text").asText());
    }

    @Test
    void instructionsAreUsedButNotStoredAndStoreFalseLeavesNothing() throws Exception {
        String conv = ok(s.post("/v1/conversations", "{\"items\":[{\"role\":\"user\",\"content\":\"Hi\"}]}", null)).get("id").asText();
        JsonNode r = ok(s.post("/v1/responses", "{\"model\":\"stories260K\",\"conversation\":\"" + conv
                + "\",\"instructions\":\"Be brief.\",\"input\":\"Go\",\"temperature\":0,\"max_output_tokens\":4}", null));
        assertEquals("Be brief.", r.get("instructions").asText());
        assertEquals(3, ok(s.get("/v1/conversations/" + conv + "/items", null)).get("data").size());
        JsonNode eph = ok(s.post("/v1/responses", "{\"model\":\"stories260K\",\"store\":false,\"input\":\"Go\",\"max_output_tokens\":4}", null));
        assertEquals(404, s.get("/v1/responses/" + eph.get("id").asText(), null).statusCode());
    }

    @Test
    void deletedConversationsAreGoneAndBadReferencesAreErrors() throws Exception {
        String conv = ok(s.post("/v1/conversations", "{}", null)).get("id").asText();
        JsonNode del = ok(s.delete("/v1/conversations/" + conv, null));
        assertTrue(del.get("deleted").asBoolean());
        assertEquals(404, s.get("/v1/conversations/" + conv, null).statusCode());
        assertEquals(404, s.get("/v1/conversations/" + conv + "/items", null).statusCode());
        HttpResponse<String> r = s.post("/v1/responses", "{\"model\":\"stories260K\",\"conversation\":\"" + conv + "\",\"input\":\"x\"}", null);
        assertEquals(404, r.statusCode());
        assertEquals("conversation", ServerFixture.json(r).get("error").get("param").asText());
        r = s.post("/v1/responses", "{\"model\":\"stories260K\",\"conversation\":\"c\",\"previous_response_id\":\"r\",\"input\":\"x\"}", null);
        assertEquals(400, r.statusCode());
        assertEquals("previous_response_id", ServerFixture.json(r).get("error").get("param").asText());
        r = s.post("/v1/responses", "{\"model\":\"stories260K\",\"input\":[{\"role\":\"user\",\"content\":\"a</s>\"}],\"max_output_tokens\":2}", null);
        assertEquals(200, r.statusCode(), "control-token text in content is plain text, not an error: " + r.body());
        r = s.post("/v1/conversations/" + conv + "/items", "{\"items\":[{\"role\":\"user\",\"content\":\"x\"}]}", null);
        assertEquals(404, r.statusCode());
    }
}

package dev.jllm.server;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import dev.jllm.server.http.ApiKeys;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * response_format / text.format / grammar / json_schema over HTTP on random-weight models, which
 * have never seen JSON: the grammar alone makes every answer parse and validate.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class StructuredOutputTest {
    @TempDir static Path dir;
    static ServerFixture s;      // random weights, 2048-token context
    static ServerFixture tiny;   // stories260K, 128-token context

    static final String SCHEMA = """
            {"type":"object","properties":{
              "kind":{"enum":["cat","dog","bird"]},
              "n":{"type":"integer","minimum":1,"maximum":99},
              "ok":{"type":"boolean"},
              "pair":{"type":"array","items":{"enum":["a","b"]},"minItems":1,"maxItems":2},
              "inner":{"type":"object","properties":{"x":{"type":"string","maxLength":2}},"required":["x"]}},
             "required":["kind","n","ok","pair","inner"],"additionalProperties":false}""";

    @BeforeAll
    static void start() throws Exception {
        s = ServerFixture.randomModel(dir, f -> ServerFixture.CHATML);
        tiny = new ServerFixture(dir.resolve("tiny"), ApiKeys.disabled(), 4, 64 * 1024);
    }

    @AfterAll
    static void stop() {
        s.close();
        tiny.close();
    }

    static void assertValid(String text) throws Exception {
        JsonNode v = ServerFixture.JSON.readTree(text);
        assertTrue(List.of("cat", "dog", "bird").contains(v.get("kind").asText()), text);
        assertTrue(v.get("n").isInt() && v.get("n").asInt() >= 1 && v.get("n").asInt() <= 99, text);
        assertTrue(v.get("ok").isBoolean(), text);
        assertTrue(v.get("pair").size() >= 1 && v.get("pair").size() <= 2, text);
        String x = v.get("inner").get("x").asText();
        assertTrue(x.codePointCount(0, x.length()) <= 2, text); // JSON Schema counts characters (code points), not UTF-16 units
        assertEquals(5, v.size(), text);
    }

    @Test
    void chatJsonSchemaAlwaysValidates() throws Exception {
        for (int seed = 0; seed < 4; seed++) {
            HttpResponse<String> r = s.post("/v1/chat/completions", "{\"model\":\"random-2k\",\"seed\":" + seed + ",\"max_tokens\":400,"
                    + "\"messages\":[{\"role\":\"user\",\"content\":\"A pet\"}],"
                    + "\"response_format\":{\"type\":\"json_schema\",\"json_schema\":{\"name\":\"pet\",\"strict\":true,\"schema\":" + SCHEMA + "}}}", null);
            assertEquals(200, r.statusCode(), r.body());
            JsonNode c = ServerFixture.json(r).get("choices").get(0);
            assertEquals("stop", c.get("finish_reason").asText(), r.body());
            assertValid(c.get("message").get("content").asText());
        }
    }

    @Test
    void streamedJsonSchemaAndLlamaCppJsonSchemaField() throws Exception {
        HttpResponse<String> r = s.post("/v1/chat/completions", "{\"model\":\"random-2k\",\"seed\":9,\"max_tokens\":400,\"stream\":true,"
                + "\"messages\":[{\"role\":\"user\",\"content\":\"A pet\"}],\"json_schema\":" + SCHEMA + "}", null);
        assertEquals(200, r.statusCode(), r.body());
        StringBuilder text = new StringBuilder();
        for (String d : ServerFixture.sseData(r.body())) {
            if (d.equals("[DONE]")) continue;
            JsonNode ch = ServerFixture.JSON.readTree(d).get("choices");
            if (ch.size() > 0 && ch.get(0).get("delta").has("content")) text.append(ch.get(0).get("delta").get("content").asText());
        }
        assertValid(text.toString());
    }

    @Test
    void completionsTakeAGbnfGrammar() throws Exception {
        for (int seed = 0; seed < 3; seed++) {
            HttpResponse<String> r = tiny.post("/v1/completions", "{\"model\":\"stories260K\",\"seed\":" + seed + ",\"max_tokens\":20,\"prompt\":\"Once upon a time\","
                    + "\"grammar\":\"root ::= (\\\"yes\\\" | \\\"no\\\") \\\".\\\"\"}", null);
            assertEquals(200, r.statusCode(), r.body());
            String text = ServerFixture.json(r).get("choices").get(0).get("text").asText();
            assertTrue(text.equals("yes.") || text.equals("no."), text);
        }
    }

    @Test
    void responsesTextFormat() throws Exception {
        HttpResponse<String> r = s.post("/v1/responses", "{\"model\":\"random-2k\",\"input\":\"A pet\",\"max_output_tokens\":400,\"store\":false,"
                + "\"text\":{\"format\":{\"type\":\"json_schema\",\"name\":\"pet\",\"schema\":" + SCHEMA + "}}}", null);
        assertEquals(200, r.statusCode(), r.body());
        JsonNode out = ServerFixture.json(r);
        assertEquals("completed", out.get("status").asText(), r.body());
        assertValid(out.get("output").get(0).get("content").get(0).get("text").asText());
        // json_object: an object whenever the model ends by itself; a cut one is marked incomplete
        HttpResponse<String> o = s.post("/v1/responses", "{\"model\":\"random-2k\",\"input\":\"A pet\",\"max_output_tokens\":60,\"store\":false,"
                + "\"text\":{\"format\":{\"type\":\"json_object\"}}}", null);
        JsonNode oj = ServerFixture.json(o);
        String text = oj.get("output").get(0).get("content").get(0).get("text").asText();
        if (oj.get("status").asText().equals("completed")) assertTrue(ServerFixture.JSON.readTree(text).isObject(), text);
        else assertEquals("max_output_tokens", oj.get("incomplete_details").get("reason").asText());
        assertTrue(text.startsWith("{"), text);
    }

    @Test
    void badSchemasAndConflictsAre400sNamingTheKeyword() throws Exception {
        String msgs = "\"model\":\"random-2k\",\"max_tokens\":5,\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]";
        HttpResponse<String> r = s.post("/v1/chat/completions", "{" + msgs + ",\"response_format\":{\"type\":\"json_schema\",\"json_schema\":"
                + "{\"name\":\"x\",\"schema\":{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"number\",\"multipleOf\":3}}}}}}", null);
        assertEquals(400, r.statusCode(), r.body());
        JsonNode e = ServerFixture.json(r).get("error");
        assertEquals("response_format.json_schema.schema", e.get("param").asText());
        assertTrue(e.get("message").asText().contains("'multipleOf'") && e.get("message").asText().contains("#/properties/a"), e.toString());
        r = s.post("/v1/chat/completions", "{" + msgs + ",\"response_format\":{\"type\":\"json_schema\",\"json_schema\":{\"name\":\"x\",\"schema\":"
                + "{\"type\":\"string\",\"format\":\"email\"}}}}", null);
        assertTrue(ServerFixture.json(r).get("error").get("message").asText().contains("'format' \"email\""), r.body());
        r = s.post("/v1/chat/completions", "{" + msgs + ",\"response_format\":{\"type\":\"xml\"}}", null);
        assertEquals("response_format.type", ServerFixture.json(r).get("error").get("param").asText());
        r = s.post("/v1/chat/completions", "{" + msgs + ",\"grammar\":\"root ::= foo\"}", null);
        assertTrue(ServerFixture.json(r).get("error").get("message").asText().contains("'foo'"), r.body());
        r = s.post("/v1/chat/completions", "{" + msgs + ",\"grammar\":\"root ::= \\\"a\\\"\",\"response_format\":{\"type\":\"json_object\"}}", null);
        assertEquals(400, r.statusCode());
        assertTrue(ServerFixture.json(r).get("error").get("message").asText().contains("both constrain"), r.body());
        r = s.post("/v1/responses", "{\"model\":\"random-2k\",\"input\":\"Hi\",\"text\":{\"format\":{\"type\":\"json_schema\",\"name\":\"x\"}}}", null);
        assertEquals("text.format.schema", ServerFixture.json(r).get("error").get("param").asText());
    }
}

package dev.jllm.server;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import dev.jllm.chat.ChatTemplate;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Tool calls in chat completions on a random-weight model rendering Qwen3's own template (Hermes
 * calls): a forced call (required / named) is always a valid call of the given tool, streamed or
 * not; a tool result goes back; errors name the field.
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class ToolCallsTest {
    @TempDir static Path dir;
    static ServerFixture s;

    static final String TOOLS = """
            [{"type":"function","function":{"name":"get_weather","description":"Weather in a city",
               "parameters":{"type":"object","properties":{"city":{"enum":["Paris","Oslo"]},"unit":{"enum":["c","f"]}},"required":["city","unit"]}}},
             {"type":"function","function":{"name":"add","parameters":{"type":"object","properties":{"a":{"type":"integer","minimum":0,"maximum":9},
               "b":{"type":"integer","minimum":0,"maximum":9}},"required":["a","b"]}}}]""";

    @BeforeAll
    static void start() throws Exception {
        String qwen3 = Files.readString(TestModel.path("chat/templates/qwen3.jinja"));
        s = ServerFixture.randomModel(dir, f -> ChatTemplate.of(qwen3, null, "<|im_end|>"));
    }

    @AfterAll
    static void stop() {
        s.close();
    }

    static String request(String extra) {
        if (!extra.contains("max_tokens")) extra = "\"max_tokens\":300," + extra;
        return "{\"model\":\"random-2k\",\"messages\":[{\"role\":\"user\",\"content\":\"Weather in Paris?\"}],\"tools\":" + TOOLS + "," + extra + "}";
    }

    static void assertValidCall(JsonNode call, String expectName) throws Exception {
        assertEquals("function", call.get("type").asText());
        assertTrue(call.get("id").asText().startsWith("call_"), call.toString());
        String name = call.get("function").get("name").asText();
        if (expectName != null) assertEquals(expectName, name);
        JsonNode args = ServerFixture.JSON.readTree(call.get("function").get("arguments").asText());
        if (name.equals("get_weather")) {
            assertTrue(List.of("Paris", "Oslo").contains(args.get("city").asText()), args.toString());
            assertTrue(List.of("c", "f").contains(args.get("unit").asText()), args.toString());
        } else {
            assertEquals("add", name);
            assertTrue(args.get("a").asInt() <= 9 && args.get("b").asInt() <= 9, args.toString());
        }
    }

    @Test
    void requiredAndNamedCallsAreAlwaysValid() throws Exception {
        for (int seed = 0; seed < 3; seed++) {
            HttpResponse<String> r = s.post("/v1/chat/completions", request("\"seed\":" + seed + ",\"tool_choice\":\"required\""), null);
            assertEquals(200, r.statusCode(), r.body());
            JsonNode c = ServerFixture.json(r).get("choices").get(0);
            assertEquals("tool_calls", c.get("finish_reason").asText(), r.body());
            for (JsonNode call : c.get("message").get("tool_calls")) assertValidCall(call, null);
        }
        HttpResponse<String> r = s.post("/v1/chat/completions", request("\"seed\":5,\"parallel_tool_calls\":false,"
                + "\"tool_choice\":{\"type\":\"function\",\"function\":{\"name\":\"add\"}}"), null);
        JsonNode c = ServerFixture.json(r).get("choices").get(0);
        assertEquals(1, c.get("message").get("tool_calls").size(), r.body());
        assertValidCall(c.get("message").get("tool_calls").get(0), "add");
    }

    @Test
    void streamedCallsComeAsToolCallDeltas() throws Exception {
        HttpResponse<String> r = s.post("/v1/chat/completions", request("\"seed\":3,\"stream\":true,\"tool_choice\":{\"type\":\"function\",\"function\":{\"name\":\"get_weather\"}}"), null);
        assertEquals(200, r.statusCode(), r.body());
        StringBuilder content = new StringBuilder(), args = new StringBuilder();
        String id = null, name = null, finish = null;
        for (String d : ServerFixture.sseData(r.body())) {
            if (d.equals("[DONE]")) continue;
            JsonNode ch = ServerFixture.JSON.readTree(d).get("choices").get(0);
            JsonNode delta = ch.get("delta");
            if (delta.has("content")) content.append(delta.get("content").asText());
            if (delta.has("tool_calls")) {
                JsonNode tc = delta.get("tool_calls").get(0);
                assertEquals(0, tc.get("index").asInt());
                if (tc.has("id")) id = tc.get("id").asText();
                if (tc.path("function").has("name")) name = tc.get("function").get("name").asText();
                if (tc.path("function").has("arguments")) args.append(tc.get("function").get("arguments").asText());
            }
            if (!ch.get("finish_reason").isNull()) finish = ch.get("finish_reason").asText();
        }
        assertEquals("", content.toString(), "no tool-call markup leaks into content");
        assertEquals("tool_calls", finish);
        assertEquals("get_weather", name);
        assertNotNull(id);
        JsonNode a = ServerFixture.JSON.readTree(args.toString());
        assertTrue(a.has("city") && a.has("unit"), a.toString());
    }

    @Test
    void autoAnswersAndAToolResultGoesBack() throws Exception {
        HttpResponse<String> r = s.post("/v1/chat/completions", request("\"seed\":1,\"max_tokens\":20,\"tool_choice\":\"auto\""), null);
        assertEquals(200, r.statusCode(), r.body());
        JsonNode m = ServerFixture.json(r).get("choices").get(0).get("message");
        assertTrue(m.has("content"), r.body());
        String back = "{\"model\":\"random-2k\",\"max_tokens\":10,\"tools\":" + TOOLS + ",\"messages\":["
                + "{\"role\":\"user\",\"content\":\"Weather in Paris?\"},"
                + "{\"role\":\"assistant\",\"content\":null,\"tool_calls\":[{\"id\":\"call_1\",\"type\":\"function\",\"function\":{\"name\":\"get_weather\",\"arguments\":\"{\\\"city\\\":\\\"Paris\\\",\\\"unit\\\":\\\"c\\\"}\"}}]},"
                + "{\"role\":\"tool\",\"tool_call_id\":\"call_1\",\"content\":\"18 C, sunny\"}]}";
        HttpResponse<String> b = s.post("/v1/chat/completions", back, null);
        assertEquals(200, b.statusCode(), b.body());
        // the template saw the call and the result: the prompt is longer than the question alone
        assertTrue(ServerFixture.json(b).get("usage").get("prompt_tokens").asInt() > ServerFixture.json(r).get("usage").get("prompt_tokens").asInt() / 2);
    }

    @Test
    void errorsNameTheField() throws Exception {
        HttpResponse<String> r = s.post("/v1/chat/completions", request("\"tool_choice\":{\"type\":\"function\",\"function\":{\"name\":\"nope\"}}"), null);
        assertEquals(400, r.statusCode());
        assertEquals("tool_choice", ServerFixture.json(r).get("error").get("param").asText());
        r = s.post("/v1/chat/completions", "{\"model\":\"random-2k\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"tool_choice\":\"required\"}", null);
        assertEquals(400, r.statusCode());
        r = s.post("/v1/chat/completions", "{\"model\":\"random-2k\",\"messages\":[{\"role\":\"tool\",\"content\":\"x\"}]}", null);
        assertEquals("messages[0].tool_call_id", ServerFixture.json(r).get("error").get("param").asText());
    }
}

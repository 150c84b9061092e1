package dev.jllm.server;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import dev.jllm.chat.ChatTemplate;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Function tools in the Responses API on a random-weight model with Qwen3's template: forced calls
 * come out as function_call items (streamed as OpenAI's events), are stored in the conversation in
 * order with the function_call_output sent back, and that output reaches the next prompt.
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class ResponsesToolsTest {
    @TempDir static Path dir;
    static ServerFixture s;

    static final String TOOLS = """
            [{"type":"function","name":"get_weather","description":"Weather in a city","strict":true,
              "parameters":{"type":"object","properties":{"city":{"enum":["Paris","Oslo"]},"unit":{"enum":["c","f"]}},"required":["city","unit"],
              "additionalProperties":false}},
             {"type":"function","name":"add","parameters":{"type":"object","properties":{"a":{"type":"integer","minimum":0,"maximum":9},
               "b":{"type":"integer","minimum":0,"maximum":9}},"required":["a","b"]}}]""";

    @BeforeAll
    static void start() throws Exception {
        String qwen3 = Files.readString(TestModel.path("chat/templates/qwen3.jinja"));
        s = ServerFixture.randomModel(dir, f -> ChatTemplate.of(qwen3, null, "<|im_end|>"));
    }

    @AfterAll
    static void stop() {
        s.close();
    }

    static void assertValidCall(JsonNode item, String expectName) throws Exception {
        assertEquals("function_call", item.get("type").asText(), item.toString());
        assertTrue(item.get("id").asText().startsWith("fc_"), item.toString());
        assertTrue(item.get("call_id").asText().startsWith("call_"), item.toString());
        assertEquals("completed", item.get("status").asText());
        String name = item.get("name").asText();
        if (expectName != null) assertEquals(expectName, name);
        JsonNode args = ServerFixture.JSON.readTree(item.get("arguments").asText());
        if (name.equals("get_weather")) {
            assertTrue(List.of("Paris", "Oslo").contains(args.get("city").asText()), args.toString());
            assertTrue(List.of("c", "f").contains(args.get("unit").asText()), args.toString());
        } else {
            assertEquals("add", name);
            assertTrue(args.get("a").asInt() <= 9 && args.path("b").asInt(0) <= 9, args.toString());
        }
    }

    static List<JsonNode> calls(JsonNode response) {
        List<JsonNode> out = new ArrayList<>();
        for (JsonNode it : response.get("output")) if (it.get("type").asText().equals("function_call")) out.add(it);
        return out;
    }

    @Test
    void aRequiredCallIsStoredAndItsOutputReachesTheNextTurn() throws Exception {
        String conv = ServerFixture.json(s.post("/v1/conversations", "{}", null)).get("id").asText();
        HttpResponse<String> r = s.post("/v1/responses", "{\"model\":\"random-2k\",\"conversation\":\"" + conv + "\",\"max_output_tokens\":300,"
                + "\"seed\":2,\"input\":\"Weather in Paris?\",\"tools\":" + TOOLS + ",\"tool_choice\":\"required\",\"parallel_tool_calls\":false}", null);
        assertEquals(200, r.statusCode(), r.body());
        JsonNode resp = ServerFixture.json(r);
        assertEquals("completed", resp.get("status").asText(), r.body());
        assertEquals("required", resp.get("tool_choice").asText());
        assertFalse(resp.get("parallel_tool_calls").asBoolean());
        assertEquals(2, resp.get("tools").size());
        List<JsonNode> calls = calls(resp);
        assertEquals(1, calls.size(), r.body());
        assertValidCall(calls.getFirst(), null);
        String callId = calls.getFirst().get("call_id").asText();
        int firstInput = resp.get("usage").get("input_tokens").asInt();

        // the output goes back; the model answers (auto) with the result in its prompt
        HttpResponse<String> b = s.post("/v1/responses", "{\"model\":\"random-2k\",\"conversation\":\"" + conv + "\",\"max_output_tokens\":8,"
                + "\"tools\":" + TOOLS + ",\"input\":[{\"type\":\"function_call_output\",\"call_id\":\"" + callId + "\",\"output\":\"18 C, sunny\"}]}", null);
        assertEquals(200, b.statusCode(), b.body());
        JsonNode u = ServerFixture.json(b).get("usage");
        assertTrue(u.get("input_tokens").asInt() > firstInput + 5, b.body());
        assertTrue(u.get("input_tokens_details").get("cached_tokens").asInt() > 0, "the first turn's KV is reused: " + b.body());

        JsonNode items = ServerFixture.json(s.get("/v1/conversations/" + conv + "/items?order=asc", null)).get("data");
        List<String> types = new ArrayList<>();
        for (JsonNode it : items) types.add(it.get("type").asText() + (it.has("role") ? ":" + it.get("role").asText() : ""));
        int answers = ServerFixture.json(b).get("output").size();
        assertEquals("message:user", types.get(0), items.toString());
        assertEquals("function_call", types.get(1), items.toString());
        assertEquals("function_call_output", types.get(2), items.toString());
        assertEquals(3 + answers, types.size(), items.toString());
        assertEquals(callId, items.get(1).get("call_id").asText());
        assertEquals(callId, items.get(2).get("call_id").asText());
        assertEquals("18 C, sunny", items.get(2).get("output").asText());

        // the second response's input items: the function_call_output
        JsonNode in = ServerFixture.json(s.get("/v1/responses/" + ServerFixture.json(b).get("id").asText() + "/input_items", null));
        assertEquals("list", in.get("object").asText());
        assertEquals(1, in.get("data").size(), in.toString());
        assertEquals("function_call_output", in.get("data").get(0).get("type").asText());
        assertEquals(404, s.get("/v1/responses/resp_nope/input_items", null).statusCode());

        // GET shows the stored response's output items
        JsonNode got = ServerFixture.json(s.get("/v1/responses/" + resp.get("id").asText(), null));
        assertEquals(calls.getFirst().get("id").asText(), got.get("output").get(0).get("id").asText(), got.toString());
    }

    @Test
    void aNamedCallStreamsAsFunctionCallEvents() throws Exception {
        HttpResponse<String> r = s.post("/v1/responses", "{\"model\":\"random-2k\",\"stream\":true,\"max_output_tokens\":300,\"seed\":4,"
                + "\"input\":\"Add two numbers\",\"tools\":" + TOOLS + ",\"tool_choice\":{\"type\":\"function\",\"name\":\"add\"}}", null);
        assertEquals(200, r.statusCode(), r.body());
        List<String> events = r.body().lines().filter(l -> l.startsWith("event: ")).map(l -> l.substring(7)).toList();
        List<JsonNode> data = new ArrayList<>();
        for (String d : ServerFixture.sseData(r.body())) data.add(ServerFixture.JSON.readTree(d));
        assertEquals("response.created", events.getFirst());
        assertEquals("response.completed", events.getLast(), events.toString());
        assertFalse(events.contains("response.output_text.delta"), "no call markup as text: " + events);
        int added = events.indexOf("response.output_item.added");
        assertEquals("function_call", data.get(added).get("item").get("type").asText());
        assertEquals("in_progress", data.get(added).get("item").get("status").asText());
        String itemId = data.get(added).get("item").get("id").asText();
        StringBuilder args = new StringBuilder(); // of the first call (parallel calls may follow, each its own item)
        for (int i = 0; i < events.size(); i++) {
            if (events.get(i).equals("response.function_call_arguments.delta") && data.get(i).get("item_id").asText().equals(itemId)) {
                assertEquals(data.get(added).get("output_index").asInt(), data.get(i).get("output_index").asInt());
                args.append(data.get(i).get("delta").asText());
            }
        }
        int done = events.indexOf("response.function_call_arguments.done");
        assertTrue(done > added);
        assertEquals("add", data.get(done).get("name").asText());
        assertEquals(args.toString(), data.get(done).get("arguments").asText());
        int itemDone = events.indexOf("response.output_item.done");
        assertTrue(itemDone > done);
        assertValidCall(data.get(itemDone).get("item"), "add");
        JsonNode completed = data.getLast().get("response");
        List<JsonNode> all = calls(completed);
        for (JsonNode c : all) assertValidCall(c, "add");
        assertEquals(all.size(), events.stream().filter(e -> e.equals("response.output_item.done")).count());
        for (int i = 0; i < data.size(); i++) assertEquals(i, data.get(i).get("sequence_number").asInt());
    }

    @Test
    void autoStreamsTextWhoseDeltasAddUpToTheStoredMessage() throws Exception {
        for (int seed = 0; seed < 3; seed++) {
            HttpResponse<String> r = s.post("/v1/responses", "{\"model\":\"random-2k\",\"stream\":true,\"max_output_tokens\":40,\"seed\":" + seed
                    + ",\"input\":\"Hi\",\"tools\":" + TOOLS + "}", null);
            assertEquals(200, r.statusCode(), r.body());
            List<String> events = r.body().lines().filter(l -> l.startsWith("event: ")).map(l -> l.substring(7)).toList();
            List<String> data = ServerFixture.sseData(r.body());
            StringBuilder deltas = new StringBuilder();
            for (int i = 0; i < events.size(); i++) {
                if (events.get(i).equals("response.output_text.delta")) deltas.append(ServerFixture.JSON.readTree(data.get(i)).get("delta").asText());
            }
            JsonNode done = ServerFixture.JSON.readTree(data.getLast()).get("response");
            JsonNode first = done.get("output").get(0);
            if (first.get("type").asText().equals("message")) {
                assertEquals(first.get("content").get(0).get("text").asText(), deltas.toString());
                JsonNode got = ServerFixture.json(s.get("/v1/responses/" + done.get("id").asText(), null));
                assertEquals(deltas.toString(), got.get("output").get(0).get("content").get(0).get("text").asText());
                assertTrue(events.indexOf("response.content_part.added") < events.indexOf("response.output_text.done"), events.toString());
            }
        }
    }

    @Test
    void aPreviousResponseChainCarriesTheCallAndStatelessInputTakesCallItems() throws Exception {
        HttpResponse<String> r = s.post("/v1/responses", "{\"model\":\"random-2k\",\"max_output_tokens\":300,\"seed\":1,"
                + "\"input\":\"Weather?\",\"tools\":" + TOOLS + ",\"tool_choice\":{\"type\":\"function\",\"name\":\"get_weather\"}}", null);
        assertEquals(200, r.statusCode(), r.body());
        JsonNode first = ServerFixture.json(r);
        String callId = calls(first).getFirst().get("call_id").asText();
        HttpResponse<String> b = s.post("/v1/responses", "{\"model\":\"random-2k\",\"max_output_tokens\":5,\"previous_response_id\":\""
                + first.get("id").asText() + "\",\"input\":[{\"type\":\"function_call_output\",\"call_id\":\"" + callId + "\",\"output\":\"cold\"}]}", null);
        assertEquals(200, b.statusCode(), b.body());
        // stateless: the client resends the whole exchange, the model's items included (ids and all)
        String resend = "{\"model\":\"random-2k\",\"store\":false,\"max_output_tokens\":5,\"tools\":" + TOOLS + ",\"input\":["
                + "{\"role\":\"user\",\"content\":\"Weather?\"}," + calls(first).getFirst() + ","
                + "{\"type\":\"function_call_output\",\"call_id\":\"" + callId + "\",\"output\":[{\"type\":\"input_text\",\"text\":\"cold\"}]}]}";
        HttpResponse<String> c = s.post("/v1/responses", resend, null);
        assertEquals(200, c.statusCode(), c.body());
    }

    @Test
    void llama31JsonCallsComeOutAsFunctionCallItemsAndTheirOutputGoesBack(@TempDir Path other) throws Exception {
        String llama = Files.readString(TestModel.path("chat/templates/llama-3.1.jinja"));
        // one small tool: Llama 3.1's template prints definitions indented, and this model's vocabulary is bytes
        String tools = "[{\"type\":\"function\",\"name\":\"add\",\"parameters\":{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"integer\","
                + "\"minimum\":0,\"maximum\":9}},\"required\":[\"a\"]}}]";
        try (ServerFixture l = ServerFixture.randomModel(other, f -> ChatTemplate.of(llama, "<|begin_of_text|>", "<|eot_id|>"))) {
            for (boolean stream : new boolean[] {false, true}) {
                HttpResponse<String> r = l.post("/v1/responses", "{\"model\":\"random-2k\",\"max_output_tokens\":300,\"seed\":3,\"stream\":" + stream
                        + ",\"input\":\"Weather?\",\"tools\":" + tools + ",\"tool_choice\":\"required\"}", null);
                assertEquals(200, r.statusCode(), r.body());
                JsonNode resp = stream ? ServerFixture.JSON.readTree(ServerFixture.sseData(r.body()).getLast()).get("response") : ServerFixture.json(r);
                List<JsonNode> calls = calls(resp);
                assertEquals(1, calls.size(), resp.toString()); // Llama 3.1 makes one call per answer
                assertValidCall(calls.getFirst(), null);
                assertEquals(1, resp.get("output").size(), "no text beside the call: " + resp);
                HttpResponse<String> b = l.post("/v1/responses", "{\"model\":\"random-2k\",\"max_output_tokens\":5,\"tools\":" + tools
                        + ",\"previous_response_id\":\"" + resp.get("id").asText() + "\",\"input\":[{\"type\":\"function_call_output\",\"call_id\":\""
                        + calls.getFirst().get("call_id").asText() + "\",\"output\":\"42\"}]}", null);
                assertEquals(200, b.statusCode(), b.body());
            }
        }
    }

    @Test
    void errorsNameTheItem() throws Exception {
        HttpResponse<String> r = s.post("/v1/responses", "{\"model\":\"random-2k\",\"input\":[{\"type\":\"function_call_output\",\"call_id\":\"call_x\","
                + "\"output\":\"1\"}]}", null);
        assertEquals(400, r.statusCode(), r.body());
        assertEquals("input[0].call_id", ServerFixture.json(r).get("error").get("param").asText());
        r = s.post("/v1/responses", "{\"model\":\"random-2k\",\"input\":[{\"role\":\"tool\",\"content\":\"1\",\"tool_call_id\":\"c\"}]}", null);
        assertEquals("input[0].role", ServerFixture.json(r).get("error").get("param").asText());
        r = s.post("/v1/responses", "{\"model\":\"random-2k\",\"input\":[{\"type\":\"function_call\",\"call_id\":\"c\",\"name\":\"f\"}]}", null);
        assertEquals("input[0].arguments", ServerFixture.json(r).get("error").get("param").asText());
        r = s.post("/v1/responses", "{\"model\":\"random-2k\",\"input\":[{\"type\":\"item_reference\",\"id\":\"x\"}]}", null);
        assertEquals("input[0].type", ServerFixture.json(r).get("error").get("param").asText());
        r = s.post("/v1/responses", "{\"model\":\"random-2k\",\"input\":\"x\",\"tools\":" + TOOLS + ",\"tool_choice\":{\"type\":\"function\",\"name\":\"nope\"}}", null);
        assertEquals("tool_choice", ServerFixture.json(r).get("error").get("param").asText());
        r = s.post("/v1/responses", "{\"model\":\"random-2k\",\"input\":\"x\",\"tools\":" + TOOLS + ",\"tool_choice\":\"required\","
                + "\"text\":{\"format\":{\"type\":\"json_object\"}}}", null);
        assertEquals("tool_choice", ServerFixture.json(r).get("error").get("param").asText());
        r = s.post("/v1/responses", "{\"model\":\"random-2k\",\"input\":\"x\",\"tool_choice\":\"required\",\"tools\":[{\"type\":\"function\",\"name\":\"f\","
                + "\"parameters\":{\"type\":\"object\",\"properties\":{\"n\":{\"type\":\"number\",\"multipleOf\":3}}}}]}", null);
        assertEquals(400, r.statusCode(), r.body());
        assertEquals("tools[0].parameters", ServerFixture.json(r).get("error").get("param").asText());
        assertTrue(ServerFixture.json(r).get("error").get("message").asText().contains("multipleOf"), r.body());
        r = s.post("/v1/responses", "{\"model\":\"random-2k\",\"input\":\"x\",\"tools\":[{\"type\":\"function\",\"name\":\"f\",\"defer_loading\":true}]}", null);
        assertEquals("tools[0].defer_loading", ServerFixture.json(r).get("error").get("param").asText());
        // conversations take call items too, and check the output's call
        r = s.post("/v1/conversations", "{\"items\":[{\"type\":\"function_call_output\",\"call_id\":\"c9\",\"output\":\"x\"}]}", null);
        assertEquals("items[0].call_id", ServerFixture.json(r).get("error").get("param").asText());
        r = s.post("/v1/conversations", "{\"items\":[{\"role\":\"user\",\"content\":\"hi\"},{\"type\":\"function_call\",\"call_id\":\"c9\",\"name\":\"add\","
                + "\"arguments\":\"{}\"},{\"type\":\"function_call_output\",\"call_id\":\"c9\",\"output\":\"3\"}]}", null);
        assertEquals(200, r.statusCode(), r.body());
    }
}

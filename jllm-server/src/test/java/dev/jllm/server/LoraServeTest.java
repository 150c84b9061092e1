package dev.jllm.server;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import dev.jllm.engine.Generator;
import dev.jllm.model.KvCacheManager;
import dev.jllm.model.LoraAdapter;
import dev.jllm.model.ModelConfig;
import dev.jllm.model.SamplingParams;
import dev.jllm.model.Transformer;
import dev.jllm.server.http.ApiKeys;
import dev.jllm.tensor.GgmlType;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code jllm serve --lora NAME=FILE}: the adapter is listed as MODEL:NAME, a request that names it
 * gets the adapted model's answer (the same greedy text as the adapter merged into the weights),
 * the base still answers as the base, and a conversation's KV is reused only by turns of the same
 * adapter; each answer's generations record names the adapter that made it.
 */
class LoraServeTest {
    @TempDir static Path dir;
    static ServerFixture s;
    static TestModel m;
    static LoraAdapter adapter;

    @BeforeAll
    static void start() throws Exception {
        m = new TestModel();
        ModelConfig c = m.weights.config;
        SplittableRandom r = new SplittableRandom(5);
        List<LoraAdapter.Pair> pairs = new ArrayList<>();
        for (int l = 0; l < c.nLayers(); l++) {
            float[] a = new float[4 * c.dim()], b = new float[c.qDim() * 4];
            for (int i = 0; i < a.length; i++) a[i] = (float) r.nextGaussian() * 0.3f;
            for (int i = 0; i < b.length; i++) b[i] = (float) r.nextGaussian() * 0.3f;
            pairs.add(new LoraAdapter.Pair("blk." + l + ".attn_q.weight", c.dim(), c.qDim(), 4, a, b));
        }
        adapter = new LoraAdapter(c.architecture(), 8f, pairs);
        Path file = dir.resolve("rnd.gguf");
        adapter.write(file, Map.of());
        ChatServer.Options o = ChatServer.Options.defaults(TestModel.path("models/stories260K.gguf"), dir.resolve("data"), ApiKeys.disabled())
                .withPort(0).withResources(2, 1L << 20).withAdapters(Map.of("rnd", file));
        s = ServerFixture.attach(ChatServer.start(o.withLimits(4, 8, 8, 1 << 20, 200), f -> ServerFixture.CHATML));
    }

    @AfterAll
    static void stop() {
        s.close();
        m.close();
    }

    static String greedy(String rendered, int n, boolean withAdapter) {
        var w = withAdapter ? m.weights.withAdapter(adapter, 1f) : m.weights;
        Transformer tr = new Transformer(w, new KvCacheManager(m.weights.config, GgmlType.F16, 16, 16), m.matmul);
        return new Generator(tr, m.tokenizer).generate(m.tokenizer.encode(rendered, true, true), SamplingParams.GREEDY.withMaxTokens(n), null).text();
    }

    static JsonNode chat(String model, String content) throws Exception {
        HttpResponse<String> r = s.post("/v1/chat/completions", "{\"model\":\"" + model + "\",\"temperature\":0,\"max_tokens\":24,\"messages\":"
                + "[{\"role\":\"user\",\"content\":\"" + content + "\"}]}", null);
        assertEquals(200, r.statusCode(), r.body());
        return ServerFixture.json(r);
    }

    @Test
    void theAdapterIsAModelOfItsOwn() throws Exception {
        JsonNode models = ServerFixture.json(s.get("/v1/models", null));
        assertEquals("stories260K", models.get("data").get(0).get("id").asText());
        assertEquals("stories260K:rnd", models.get("data").get(1).get("id").asText());
        assertEquals("stories260K", models.get("data").get(1).get("parent").asText());
        assertEquals(200, s.get("/v1/models/stories260K:rnd", null).statusCode());
        String rendered = "<|im_start|>user\nOnce upon a time<|im_end|>\n<|im_start|>assistant\n";
        JsonNode a = chat("stories260K:rnd", "Once upon a time");
        assertEquals("stories260K:rnd", a.get("model").asText());
        assertEquals(greedy(rendered, 24, true), a.get("choices").get(0).get("message").get("content").asText(), "the adapted model's answer");
        JsonNode b = chat("stories260K", "Once upon a time");
        assertEquals(greedy(rendered, 24, false), b.get("choices").get(0).get("message").get("content").asText(), "the base is untouched");
        assertNotEquals(a.get("choices").get(0).get("message").get("content").asText(), b.get("choices").get(0).get("message").get("content").asText());
        HttpResponse<String> bad = s.post("/v1/chat/completions", "{\"model\":\"stories260K:nope\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}", null);
        assertEquals(404, bad.statusCode(), "OpenAI's model_not_found");
        assertTrue(bad.body().contains("stories260K:rnd"), "the error lists what is served: " + bad.body());
    }

    @Test
    void aConversationReusesKvOnlyWithTheSameAdapter() throws Exception {
        String turn = "{\"model\":\"%s\",\"conversation\":\"%s\",\"input\":\"%s\",\"max_output_tokens\":4,\"temperature\":0}";
        String conv = ServerFixture.json(s.post("/v1/conversations", "{}", null)).get("id").asText();
        JsonNode first = respond(String.format(turn, "stories260K:rnd", conv, "Hi"));
        JsonNode again = respond(String.format(turn, "stories260K:rnd", conv, "Go"));
        assertTrue(cached(again) > 0, again.toString());
        assertEquals("stories260K:rnd", again.get("model").asText());
        // the same history in new conversations: the base may not reuse the adapter's KV, the adapter may
        String reply = first.get("output").get(0).get("content").get(0).get("text").asText().replace("\n", "\\n").replace("\"", "\\\"");
        String items = "{\"items\":[{\"role\":\"user\",\"content\":\"Hi\"},{\"role\":\"assistant\",\"content\":\"" + reply + "\"}]}";
        String c2 = ServerFixture.json(s.post("/v1/conversations", items, null)).get("id").asText();
        String c3 = ServerFixture.json(s.post("/v1/conversations", items, null)).get("id").asText();
        assertEquals(0, cached(respond(String.format(turn, "stories260K", c2, "Go"))), "another model's KV is not reused");
        assertTrue(cached(respond(String.format(turn, "stories260K:rnd", c3, "Go"))) > 0, "the same adapter's is");
    }

    @Test
    void theGenerationsLogNamesTheAdapterThatMadeEachAnswer() throws Exception {
        // a stored response (its record is committed with the turn) and a chat completion (through the log), each by the adapter
        JsonNode stored = respond("{\"model\":\"stories260K:rnd\",\"input\":\"Once upon a time\",\"max_output_tokens\":6,\"temperature\":0}");
        var viaAdapter = s.server.store().generation(stored.get("id").asText()).orElseThrow();
        assertEquals("rnd", viaAdapter.adapter());
        assertEquals("stories260K", viaAdapter.model(), "the base model's name, the adapter beside it");
        assertEquals(stored.get("usage").get("output_tokens").asInt(), viaAdapter.outputTokens());
        JsonNode chat = chat("stories260K:rnd", "Hi");
        JsonNode base = chat("stories260K", "Hi");
        s.server.api().flushGenerationLog();
        var chatRow = s.server.store().generation(chat.get("id").asText()).orElseThrow();
        assertEquals("chat.completions", chatRow.api());
        assertEquals("rnd", chatRow.adapter());
        assertEquals(0.0, ServerFixture.JSON.readTree(chatRow.sampling()).get("temperature").asDouble());
        var baseRow = s.server.store().generation(base.get("id").asText()).orElseThrow();
        assertNull(baseRow.adapter(), "the base model's answer names no adapter");
        assertEquals(chatRow.modelSha256(), baseRow.modelSha256(), "one model file under both");
    }

    static JsonNode respond(String body) throws Exception {
        HttpResponse<String> r = s.post("/v1/responses", body, null);
        assertEquals(200, r.statusCode(), r.body());
        return ServerFixture.json(r);
    }

    static int cached(JsonNode response) {
        return response.get("usage").get("input_tokens_details").get("cached_tokens").asInt();
    }
}

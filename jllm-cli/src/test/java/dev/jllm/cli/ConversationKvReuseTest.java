package dev.jllm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jllm.server.http.ApiKeys;
import dev.jllm.server.ChatServer;
import dev.jllm.testkit.TestData;
import dev.jllm.tokenizer.Tokenizer;
import dev.jllm.tokenizer.TokenizerJsonLoader;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A server-side conversation on a byte-level vocabulary (Qwen3's) reuses all of its previous turn's
 * KV even when the reply does not re-tokenize to the ids the model generated: the model is pushed
 * (logit_bias) to emit "foo", "bar", " baz" as separate tokens, which the tokenizer writes differently.
 */
class ConversationKvReuseTest {
    @TempDir Path dir;
    static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void theSecondTurnReusesTheWholeFirstTurnThoughTheReplyReTokenizesDifferently() throws Exception {
        Path tokJson = TestData.path("tokenizers/hf-qwen3/tokenizer.json");
        Path model = dir.resolve("tiny-qwen3.gguf");
        StringWriter err = new StringWriter();
        int code = Main.run(new String[] {"init", "--preset", "tiny", "--tokenizer", tokJson.toString(), "--type", "q8_0", "--random",
                "--seed", "1", model.toString()}, new PrintWriter(new StringWriter(), true), new PrintWriter(err, true));
        assertEquals(0, code, err.toString());
        Tokenizer tok = TokenizerJsonLoader.load(tokJson);
        int foo = single(tok, "foo"), bar = single(tok, "bar"), baz = single(tok, " baz");
        String bias = "{\"" + foo + "\":100,\"" + bar + "\":100,\"" + baz + "\":100}";

        ChatServer.Options o = ChatServer.Options.defaults(model, dir.resolve("data"), ApiKeys.disabled()).withPort(0).withResources(2, 16L << 20);
        ChatServer server = ChatServer.start(o);
        try {
            HttpClient http = HttpClient.newHttpClient();
            String conv = post(http, server, "/v1/conversations", "{}").get("id").asText();
            JsonNode r1 = post(http, server, "/v1/responses", "{\"model\":\"tiny-qwen3\",\"conversation\":\"" + conv + "\",\"input\":\"Say words\","
                    + "\"max_output_tokens\":20,\"temperature\":1,\"seed\":3,\"logit_bias\":" + bias + "}");
            String reply = r1.get("output").get(0).get("content").get(0).get("text").asText();
            int in1 = r1.get("usage").get("input_tokens").asInt(), out1 = r1.get("usage").get("output_tokens").asInt();
            assertEquals(20, out1, reply);
            assertNotEquals(out1, tok.encode(reply).length, "precondition: '" + reply + "' re-tokenizes to other ids than the 20 generated");
            JsonNode r2 = post(http, server, "/v1/responses", "{\"model\":\"tiny-qwen3\",\"conversation\":\"" + conv + "\",\"input\":\"More\","
                    + "\"max_output_tokens\":2,\"temperature\":0}");
            int cached2 = r2.get("usage").get("input_tokens_details").get("cached_tokens").asInt();
            // the KV holds turn 1's prompt and all its generated tokens but the last (never fed back)
            assertEquals(in1 + out1 - 1, cached2, "turn 2 reused all of turn 1: " + r2.get("usage"));
        } finally {
            server.close();
        }
    }

    static int single(Tokenizer tok, String s) {
        int[] ids = tok.encode(s);
        assertEquals(1, ids.length, "'" + s + "' is one token");
        return ids[0];
    }

    static JsonNode post(HttpClient http, ChatServer server, String path, String body) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(server.uri().resolve(path)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode(), r.body());
        return JSON.readTree(r.body());
    }
}

package dev.jllm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.jllm.server.ChatServer;
import dev.jllm.server.http.ApiKeys;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The bundled default model (what {@code ./jllm serve} runs on a fresh clone) holds the seed's three-turn
 * demonstration: a fact in turn 1, an unrelated turn, the question — on held-out dialogues (values, names'
 * pieces and attributes never in its training data), through the server at temperature 0, with the history
 * resent and as a server-side conversation. Its card (models/jllm-chat.q8_0.md) has the full numbers on
 * 400 + 400 dialogues; this guards them on a fresh set of 40.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class DefaultModelTest {
    @TempDir Path dir;

    private static String run(String... args) {
        StringWriter out = new StringWriter(), err = new StringWriter();
        int code = Main.run(args, new PrintWriter(out, true), new PrintWriter(err, true));
        assertEquals(0, code, out + "\n" + err);
        return out.toString();
    }

    @Test
    void theBundledModelRemembersAFactAcrossAnUnrelatedTurnInBothModes() throws Exception {
        Path model = BundledModel.path();
        assertTrue(Files.exists(model) && model.getFileName().toString().startsWith("jllm-chat"), "the default is the chat model: " + model);
        Path data = dir.resolve("held.jsonl");
        // another seed than the recipe's evaluation sets: dialogues the card's numbers were not measured on
        run("demo", "dialogues", "--out", data.toString(), "--split", "heldout", "--count", "40", "--seed", "11", "--distractors", "1",
                "--corrections", "0");
        ChatServer server = ChatServer.start(ChatServer.Options.defaults(model, dir.resolve("srv"), ApiKeys.disabled()).withPort(0));
        try {
            Path json = dir.resolve("recall.json");
            String out = run("demo", "recall", "--url", server.uri().toString(), "--data", data.toString(), "--mode", "both", "--json", json.toString());
            JsonNode j = new ObjectMapper().readTree(json.toFile());
            double stateless = j.get("stateless").get("all").get("recall").asDouble();
            double stateful = j.get("stateful").get("all").get("recall").asDouble();
            int same = j.get("agreement").get("correct").asInt();
            assertTrue(stateless >= THRESHOLD && stateful >= THRESHOLD, "recall " + stateless + " / " + stateful + ":\n" + out);
            assertTrue(same >= 36, "stateless and stateful answers agree on " + same + "/40:\n" + out);
        } finally {
            server.shutdown();
        }
    }

    /**
     * A resent history is built from the ids the model produced for its earlier replies, as a server-side conversation is, also
     * where a reply is not the tokenizer's canonical split of its own text: the first held-out dialogue whose first reply is such
     * ({@link #firstNonCanonical}; with run 14 dialogue 467 of seed 11, "好的，Zitali是中，，我记住你的住址了。" in 10 tokens, one of
     * them the merged piece "，我记住你的住址了", where the tokenizer splits that text into 15). Every later stateless turn must then
     * hold exactly as many prompt tokens as the conversation's turn and reuse the whole cached previous turn; tokenized again, the
     * history would hold other ids (5 more there) and the cache would stop at the reply. (With run 11, two such dialogues ended in different answers,
     * "appallon" / "rest tea".) Both APIs that take a resent history are held: chat completions, and a Responses request whose
     * input is the whole history.
     */
    @ParameterizedTest
    @ValueSource(strings = {"chat", "responses"})
    void aReplyInNonCanonicalTokensIsResentAsTheModelWroteIt(String statelessApi) throws Exception {
        Path gen = dir.resolve("h11.jsonl");
        run("demo", "dialogues", "--out", gen.toString(), "--split", "heldout", "--count", "1000", "--seed", "11", "--distractors", "1-2",
                "--corrections", "0.3");
        List<String> users = firstNonCanonical(Files.readAllLines(gen));

        ChatServer server = ChatServer.start(ChatServer.Options.defaults(BundledModel.path(), dir.resolve("srv"), ApiKeys.disabled()).withPort(0));
        try {
            String base = server.uri().toString().replaceAll("/$", "");
            String model = BundledModel.path().getFileName().toString().replace(".gguf", "");
            // stateless: each turn resends the whole history (the previous replies as text)
            List<String> history = new ArrayList<>();
            List<JsonNode> statelessUsage = new ArrayList<>();
            List<String> statelessReplies = new ArrayList<>();
            for (String u : users) {
                history.add(u);
                JsonNode r = stateless(base, model, statelessApi, history);
                statelessReplies.add(r.get("text").asText());
                statelessUsage.add(r.get("usage"));
                history.add(r.get("text").asText());
            }
            // stateful: a conversation, one new message per turn
            String conv = post(base + "/v1/conversations", JSON.createObjectNode()).get("id").asText();
            List<String> statefulReplies = new ArrayList<>();
            List<Integer> statefulInput = new ArrayList<>();
            for (String u : users) {
                ObjectNode b = JSON.createObjectNode().put("model", model).put("conversation", conv).put("input", u).put("temperature", 0)
                        .put("max_output_tokens", 64);
                JsonNode r = post(base + "/v1/responses", b);
                statefulReplies.add(outputText(r));
                statefulInput.add(r.get("usage").get("input_tokens").asInt());
            }
            // the reply this test is about, and the ids the model wrote it in (logprobs list one entry per generated token)
            String first = statelessReplies.getFirst();
            ObjectNode probe = JSON.createObjectNode().put("model", model).put("temperature", 0).put("max_tokens", 64).put("logprobs", true);
            probe.putArray("messages").addObject().put("role", "user").put("content", users.getFirst());
            JsonNode pr = post(base + "/v1/chat/completions", probe).get("choices").get(0);
            assertEquals(first, pr.get("message").get("content").asText());
            int written = pr.get("logprobs").get("content").size(), canonical = BundledTokenizer.count(first);
            assertTrue(written != canonical, "the model wrote \"" + first + "\" in " + written + " tokens, the tokenizer's split has " + canonical);
            assertEquals(statefulReplies, statelessReplies, "the same replies in both modes");
            for (int t = 1; t < users.size(); t++) {
                JsonNode u = statelessUsage.get(t);
                int prompt = u.get(statelessApi.equals("chat") ? "prompt_tokens" : "input_tokens").asInt();
                assertEquals(statefulInput.get(t), prompt, "turn " + (t + 1) + ": the resent history holds the conversation's ids");
                int cached = u.get(statelessApi.equals("chat") ? "prompt_tokens_details" : "input_tokens_details").get("cached_tokens").asInt();
                int before = statelessUsage.get(t - 1).get(statelessApi.equals("chat") ? "prompt_tokens" : "input_tokens").asInt()
                        + statelessUsage.get(t - 1).get(statelessApi.equals("chat") ? "completion_tokens" : "output_tokens").asInt();
                assertTrue(cached >= before - 1, "turn " + (t + 1) + " reuses the previous turn's prompt and reply (" + before + " tokens): "
                        + cached + " cached");
            }
        } finally {
            server.shutdown();
        }
    }

    /**
     * The user turns of the first held-out dialogue whose first reply is three or more tokens away from the tokenizer's split of its
     * own text (with run 14: dialogue 467, "好的，Zitali是中，，我记住你的住址了。" in 10 tokens against 15). Searched, not fixed, so the
     * test keeps its point when the bundled model is retrained.
     */
    private List<String> firstNonCanonical(List<String> dialogues) throws Exception {
        ChatServer probe = ChatServer.start(ChatServer.Options.defaults(BundledModel.path(), dir.resolve("probe"), ApiKeys.disabled()).withPort(0));
        try {
            String base = probe.uri().toString().replaceAll("/$", "");
            String model = BundledModel.path().getFileName().toString().replace(".gguf", "");
            for (String line : dialogues) {
                List<String> users = new ArrayList<>();
                for (JsonNode m : JSON.readTree(line).get("messages")) if (m.get("role").asText().equals("user")) users.add(m.get("content").asText());
                ObjectNode b = JSON.createObjectNode().put("model", model).put("temperature", 0).put("max_tokens", 64).put("logprobs", true);
                b.putArray("messages").addObject().put("role", "user").put("content", users.getFirst());
                JsonNode c = post(base + "/v1/chat/completions", b).get("choices").get(0);
                String text = c.get("message").get("content").asText();
                // a reply holding U+FFFD (the model wrote bytes that are not UTF-8) cannot be resent as the same ids: the text lost
                // them (a known limit of resending text, docs/TRAINING.md); this test is about valid text in another split
                if (text.indexOf('\uFFFD') >= 0) continue;
                // a few tokens apart, not one: a one-token difference can be a near-tie that another cache state decides otherwise
                if (Math.abs(c.get("logprobs").get("content").size() - BundledTokenizer.count(text)) >= 3) return users;
            }
        } finally {
            probe.shutdown();
        }
        throw new AssertionError("no held-out dialogue of 1000 has a first reply the tokenizer would split otherwise: pick another seed");
    }

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    private static JsonNode post(String url, JsonNode body) throws Exception {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(url)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body))).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode(), url + ": " + r.body());
        return JSON.readTree(r.body());
    }

    private static String outputText(JsonNode response) {
        StringBuilder sb = new StringBuilder();
        for (JsonNode o : response.get("output")) {
            if (o.get("type").asText().equals("message")) for (JsonNode c : o.get("content")) sb.append(c.get("text").asText());
        }
        return sb.toString();
    }

    /** One stateless turn: {"text", "usage"} of chat completions or of a Responses request with the history as input. */
    private static JsonNode stateless(String base, String model, String api, List<String> history) throws Exception {
        ArrayNode msgs = JSON.createArrayNode();
        for (int i = 0; i < history.size(); i++) msgs.addObject().put("role", i % 2 == 0 ? "user" : "assistant").put("content", history.get(i));
        ObjectNode out = JSON.createObjectNode();
        if (api.equals("chat")) {
            ObjectNode b = JSON.createObjectNode().put("model", model).put("temperature", 0).put("max_tokens", 64);
            b.set("messages", msgs);
            JsonNode r = post(base + "/v1/chat/completions", b);
            out.put("text", r.get("choices").get(0).get("message").get("content").asText());
            out.set("usage", r.get("usage"));
        } else {
            ObjectNode b = JSON.createObjectNode().put("model", model).put("temperature", 0).put("max_output_tokens", 64).put("store", false);
            b.set("input", msgs);
            JsonNode r = post(base + "/v1/responses", b);
            out.put("text", outputText(r));
            out.set("usage", r.get("usage"));
        }
        return out;
    }

    /** The bundled model's tokenizer, for the canonical split of a text. */
    private static final class BundledTokenizer {
        static int count(String text) throws Exception {
            return TokenizerCommand.load(BundledModel.path().toString()).encode(text).length;
        }
    }

    /** Below the card's held-out numbers with room for a 40-dialogue sample; stories260K scores 0 here. */
    static final double THRESHOLD = 0.7;
}

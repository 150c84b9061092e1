package dev.jllm.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import dev.jllm.server.ChatServer;
import dev.jllm.server.http.ApiKeys;
import dev.jllm.testkit.TestData;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** {@code jllm demo dialogues} and {@code jllm demo recall}: a real stories260K server, a fake server that knows the answers, errors. */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class DemoCommandTest {
    @TempDir Path dir;
    static final ObjectMapper JSON = new ObjectMapper();

    private record Result(int code, String out, String err) {}

    private static Result run(String... args) {
        StringWriter out = new StringWriter(), err = new StringWriter();
        int code = Main.run(args, new PrintWriter(out, true), new PrintWriter(err, true));
        return new Result(code, out.toString(), err.toString());
    }

    private Path dialogues(String name, String... extra) {
        Path f = dir.resolve(name);
        List<String> args = new ArrayList<>(List.of("demo", "dialogues", "--out", f.toString()));
        args.addAll(List.of(extra));
        Result r = run(args.toArray(String[]::new));
        assertEquals(0, r.code(), r.err());
        return f;
    }

    @Test
    void dialoguesAreByteIdenticalPerSeedAndSummarised() throws IOException {
        Path a = dialogues("a.jsonl", "--count", "60", "--seed", "9", "--split", "train");
        Path b = dialogues("b.jsonl", "--count", "60", "--seed", "9", "--split", "train", "--lang", "en,zh", "--distractors", "0-2");
        assertArrayEquals(Files.readAllBytes(a), Files.readAllBytes(b));
        Result r = run("demo", "dialogues", "--out", dir.resolve("c.jsonl").toString(), "--count", "10", "--split", "heldout", "--lang", "zh",
                "--distractors", "2");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().startsWith("wrote 10 heldout dialogues to "), r.out());
        assertTrue(r.out().contains("languages    {zh=10}") && r.out().contains("distractors  {2=10}"), r.out());
        for (String line : Files.readAllLines(dir.resolve("c.jsonl"))) {
            JsonNode meta = JSON.readTree(line).get("meta");
            assertEquals("heldout", meta.get("split").asText());
            assertEquals(2, meta.get("distractors").asInt());
        }
        Result bad = run("demo", "dialogues", "--out", dir.resolve("d.jsonl").toString(), "--count", "3", "--split", "dev");
        assertEquals(1, bad.code());
        assertEquals("jllm: error: split must be train, heldout or wild, got 'dev'", bad.err().strip());
        Result badRange = run("demo", "dialogues", "--out", dir.resolve("d.jsonl").toString(), "--count", "3", "--split", "train", "--distractors", "0-9");
        assertEquals(1, badRange.code());
        assertTrue(badRange.err().startsWith("jllm: error: distractors must be a range within 0-6"), badRange.err());
    }

    @Test
    void recallAgainstARealServerSendsBothModesAndReportsCounts() throws Exception {
        Path data = dialogues("held.jsonl", "--count", "6", "--seed", "1", "--split", "heldout", "--distractors", "0-1", "--system", "0",
                "--corrections", "0");
        ChatServer.Options o = ChatServer.Options.defaults(TestData.path("models/stories260K.gguf"), dir.resolve("srv"), ApiKeys.disabled())
                .withPort(0).withResources(2, 8L << 20);
        ChatServer server = ChatServer.start(o);
        try {
            Path json = dir.resolve("out/recall.json");
            Result r = run("demo", "recall", "--url", server.uri().toString(), "--data", data.toString(), "--limit", "4", "--max-tokens", "6",
                    "--truncation", "auto", "--json", json.toString()); // 128 tokens of context: Chinese is all byte fallback
            assertEquals(0, r.code(), r.err());
            assertTrue(r.out().contains("recall on 4 held-out dialogues"), r.out());
            assertTrue(r.out().contains("stateless (95% CI)") && r.out().contains("stateful (95% CI)"), r.out());
            assertTrue(r.out().contains("lang en") && r.out().contains("lang zh") && r.out().contains("0 distractors")
                    && r.out().contains("1 distractor "), r.out());
            assertTrue(r.out().contains("stateless = stateful (same final answer): "), r.out());
            JsonNode j = JSON.readTree(json.toFile());
            assertEquals(4, j.get("dialogues").asInt());
            assertEquals("stories260K", j.get("model").asText());
            for (String mode : List.of("stateless", "stateful")) {
                JsonNode t = j.get(mode);
                assertEquals(4, t.get("all").get("total").asInt());
                assertEquals(2, t.get("by_lang").get("en").get("total").asInt());
                assertEquals(2, t.get("by_lang").get("zh").get("total").asInt());
                assertEquals(2, t.get("by_distractors").get("0").get("total").asInt());
                assertEquals(2, t.get("by_distractors").get("1").get("total").asInt());
                JsonNode ci = t.get("all").get("ci95");
                assertTrue(ci.get(0).asDouble() <= t.get("all").get("recall").asDouble() && t.get("all").get("recall").asDouble() <= ci.get(1).asDouble());
            }
            assertEquals(4, j.get("agreement").get("total").asInt());
            HttpClient http = HttpClient.newHttpClient();
            List<String> lines = Files.readAllLines(data);
            int userTurns = 0;
            for (int i = 0; i < 4; i++) {
                JsonNode res = j.get("results").get(i);
                assertEquals(JSON.readTree(lines.get(i)).get("meta").get("answer").asText(), res.get("expected").asText());
                assertTrue(res.get("stateless").get("answer").isTextual());
                // the stateful turns really happened: the conversation holds each user turn and an answer to it
                String conv = res.get("stateful").get("conversation").asText();
                HttpResponse<String> items = http.send(HttpRequest.newBuilder(server.uri().resolve("/v1/conversations/" + conv + "/items?limit=100"))
                        .GET().build(), HttpResponse.BodyHandlers.ofString());
                assertEquals(200, items.statusCode(), items.body());
                JsonNode data0 = JSON.readTree(items.body()).get("data");
                int turns = res.get("turns").asInt();
                assertEquals(2 * turns, data0.size(), items.body());
                userTurns += turns;
            }
            // the stateless requests happened too: the server finished one request per user turn in each mode
            HttpResponse<String> metrics = http.send(HttpRequest.newBuilder(server.uri().resolve("/metrics")).GET().build(),
                    HttpResponse.BodyHandlers.ofString());
            var count = java.util.regex.Pattern.compile("(?m)^jllm_e2e_request_latency_seconds_count\\{[^}]*\\} (\\d+)").matcher(metrics.body());
            assertTrue(count.find(), metrics.body());
            assertEquals(2 * userTurns, Integer.parseInt(count.group(1)));
        } finally {
            server.shutdown();
        }
    }

    /** A server that answers every turn with the dataset's own reply (keyed by the user turns so far), both APIs. */
    static final class Oracle extends FakeHttpServer {
        final Map<String, String> replies = new HashMap<>();
        final Map<String, List<String>> conversations = new ConcurrentHashMap<>();
        final AtomicInteger chat = new AtomicInteger(), responses = new AtomicInteger();
        volatile int failWith;
        volatile String refuse; // a user text whose requests get a 400

        Oracle(Path data) throws IOException {
            for (String line : Files.readAllLines(data)) {
                List<String> users = new ArrayList<>();
                for (JsonNode m : JSON.readTree(line).get("messages")) {
                    if (m.get("role").asText().equals("user")) users.add(m.get("content").asText());
                    if (m.get("role").asText().equals("assistant")) replies.put(String.join("\n", users), m.get("content").asText());
                }
            }
            start();
        }

        @Override
        void handle(HttpExchange ex) throws IOException {
            String path = ex.getRequestURI().getPath();
            JsonNode body = ex.getRequestMethod().equals("POST") ? JSON.readTree(ex.getRequestBody()) : null;
            if (refuse != null && body != null && body.toString().contains(refuse)) {
                send(ex, 400, "{\"error\":{\"message\":\"the prompt is too long\"}}");
                return;
            }
            if (failWith != 0) {
                send(ex, failWith, "{\"error\":{\"message\":\"model 'x' is not loaded\",\"type\":\"invalid_request_error\"}}");
                return;
            }
            ObjectNode r = JSON.createObjectNode();
            switch (path) {
                case "/v1/models" -> r.putArray("data").addObject().put("id", "oracle");
                case "/v1/conversations" -> {
                    String id = "conv_" + conversations.size();
                    conversations.put(id, new ArrayList<>());
                    r.put("id", id);
                }
                case "/v1/chat/completions" -> {
                    chat.incrementAndGet();
                    List<String> users = new ArrayList<>();
                    for (JsonNode m : body.get("messages")) if (m.get("role").asText().equals("user")) users.add(m.get("content").asText());
                    r.putArray("choices").addObject().putObject("message").put("role", "assistant").put("content", replies.get(String.join("\n", users)));
                }
                case "/v1/responses" -> {
                    responses.incrementAndGet();
                    List<String> users = conversations.get(body.get("conversation").asText());
                    users.add(body.get("input").asText());
                    ArrayNode out = r.putArray("output");
                    out.addObject().put("type", "message").putArray("content").addObject().put("type", "output_text")
                            .put("text", replies.get(String.join("\n", users)));
                }
                default -> {
                    send(ex, 404, "{\"error\":{\"message\":\"no route\"}}");
                    return;
                }
            }
            send(ex, 200, r.toString());
        }

    }

    @Test
    void aServerThatAnswersAsTheDataScoresFullRecallAndAgreement() throws Exception {
        Path data = dialogues("held.jsonl", "--count", "40", "--seed", "3", "--split", "heldout");
        try (Oracle oracle = new Oracle(data)) {
            Path json = dir.resolve("r.json");
            Result r = run("demo", "recall", "--url", oracle.url(), "--data", data.toString(), "--json", json.toString());
            assertEquals(0, r.code(), r.err());
            JsonNode j = JSON.readTree(json.toFile());
            assertEquals("oracle", j.get("model").asText());
            int turns = 0;
            for (JsonNode res : j.get("results")) turns += res.get("turns").asInt();
            assertEquals(turns, oracle.chat.get(), "one chat completion per user turn");
            assertEquals(turns, oracle.responses.get(), "one response per user turn");
            assertEquals(40, oracle.conversations.size());
            for (String mode : List.of("stateless", "stateful")) {
                assertEquals(40, j.get(mode).get("all").get("correct").asInt(), mode);
                assertEquals(1.0, j.get(mode).get("all").get("recall").asDouble());
            }
            assertEquals(40, j.get("agreement").get("correct").asInt());
            assertTrue(r.out().contains("40/40 100.0% [91.2, 100.0]"), r.out()); // Wilson: 40 of 40 → [0.912, 1]
            // only one mode: the other's table is absent
            Result one = run("demo", "recall", "--url", oracle.url(), "--data", data.toString(), "--mode", "stateless", "--limit", "5",
                    "--json", json.toString());
            assertEquals(0, one.code(), one.err());
            JsonNode j1 = JSON.readTree(json.toFile());
            assertEquals(5, j1.get("stateless").get("all").get("total").asInt());
            assertFalse(j1.has("stateful") || j1.has("agreement"));
            // a dialogue the server refuses after others succeeded is scored wrong and reported, not fatal
            for (JsonNode m : JSON.readTree(Files.readAllLines(data).get(2)).get("messages")) {
                if (m.get("role").asText().equals("user")) {
                    oracle.refuse = m.get("content").asText(); // dialogue 2's first user turn
                    break;
                }
            }
            Result refused = run("demo", "recall", "--url", oracle.url(), "--data", data.toString(), "--limit", "5", "--json", json.toString());
            assertEquals(0, refused.code(), refused.err());
            JsonNode jr = JSON.readTree(json.toFile());
            for (String mode : List.of("stateless", "stateful")) {
                assertEquals(4, jr.get(mode).get("all").get("correct").asInt(), mode);
                assertEquals(1, jr.get(mode).get("errors").asInt(), mode);
                assertTrue(jr.get("results").get(2).get(mode).get("error").asText().endsWith("HTTP 400: the prompt is too long"));
            }
            assertTrue(refused.out().contains("stateless: 1 dialogue(s) refused by the server, scored wrong; first: POST v1/chat/completions at "),
                    refused.out());
            oracle.refuse = null;
            // a 4xx before anything succeeded is one line with the server's message
            oracle.failWith = 400;
            Result bad = run("demo", "recall", "--url", oracle.url(), "--model", "x", "--data", data.toString(), "--limit", "1");
            assertEquals(1, bad.code());
            assertEquals("jllm: error: POST v1/chat/completions at " + oracle.url() + "/: HTTP 400: model 'x' is not loaded", bad.err().strip());
        }
    }

    @Test
    void scoringWilsonAndErrors() throws Exception {
        assertTrue(DemoRecallCommand.contains("Your name is  KALEMO\n.", "Kalemo", "en"));
        assertTrue(DemoRecallCommand.contains("You live at 12   Hebozu\tRoad.", "12 Hebozu Road", "en"));
        assertFalse(DemoRecallCommand.contains("你叫王 瑾。", "王瑾", "zh"));
        assertTrue(DemoRecallCommand.contains("你叫王瑾。", "王瑾", "zh"));
        double[] w = DemoRecallCommand.wilson(9, 10);
        assertEquals(0.5958, w[0], 1e-4); // 9/10: [0.5958, 0.9821]
        assertEquals(0.9821, w[1], 1e-4);
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        Path data = dialogues("h.jsonl", "--count", "2", "--split", "heldout");
        Result down = run("demo", "recall", "--url", "http://127.0.0.1:" + port, "--data", data.toString());
        assertEquals(1, down.code());
        assertEquals("jllm: error: cannot connect to http://127.0.0.1:" + port + "/: connection refused (is the server running? start one with"
                + " `jllm serve`)", down.err().strip());
        Path noMeta = dir.resolve("plain.jsonl");
        Files.writeString(noMeta, "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"},{\"role\":\"assistant\",\"content\":\"hello\"}]}\n");
        Result plain = run("demo", "recall", "--url", "http://127.0.0.1:" + port, "--data", noMeta.toString());
        assertEquals(1, plain.code());
        assertTrue(plain.err().strip().startsWith("jllm: error: " + noMeta + ":1: no meta.answer"), plain.err());
        Result mode = run("demo", "recall", "--url", "http://127.0.0.1:" + port, "--data", data.toString(), "--mode", "cached");
        assertEquals(1, mode.code());
        assertEquals("jllm: error: --mode must be stateless, stateful or both, got 'cached'", mode.err().strip());
    }
}

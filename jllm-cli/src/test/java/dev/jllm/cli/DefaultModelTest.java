package dev.jllm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jllm.server.ChatServer;
import dev.jllm.server.http.ApiKeys;
import dev.jllm.testkit.TestData;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
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
     * A resent history and a server-side conversation give the same answers at temperature 0, also where the model's reply
     * is not the tokenizer's canonical split of its own text. Two dialogues where the bundled model (run 11) writes such a
     * reply in an early turn ("rest tea" in pieces the tokenizer would not choose): before the stateless path kept the ids
     * of the earlier reply, the resent history was tokenized again, the prompts differed from that reply on, and the final
     * answers were "You said you like appallon the best." against "You said you like rest tea best." (and two different
     * Chinese answers for the second). Both APIs that take a resent history are held: chat completions, and a Responses
     * request whose input is the whole history (no conversation, no previous_response_id).
     */
    @ParameterizedTest
    @ValueSource(strings = {"chat", "responses"})
    void aReplyInNonCanonicalTokensLeadsToTheSameAnswerInBothModes(String statelessApi) throws Exception {
        // dialogue 208 of the card's one-distractor held-out set, and hand-zh-29 of the hand-written set
        Path gen = dir.resolve("d1.jsonl");
        run("demo", "dialogues", "--out", gen.toString(), "--split", "heldout", "--count", "209", "--seed", "102", "--distractors", "1",
                "--corrections", "0");
        String d208 = Files.readAllLines(gen).get(208);
        assertTrue(d208.contains("mint tea") && d208.contains("heldout-102-208"), d208);
        String zh29 = Files.readAllLines(TestData.root().resolve("demo/handwritten-recall.jsonl")).stream()
                .filter(l -> l.contains("\"hand-zh-29\"")).findFirst().orElseThrow();
        Path data = dir.resolve("two.jsonl");
        Files.write(data, List.of(d208, zh29), StandardCharsets.UTF_8);

        ChatServer server = ChatServer.start(ChatServer.Options.defaults(BundledModel.path(), dir.resolve("srv"), ApiKeys.disabled()).withPort(0));
        try {
            Path json = dir.resolve("recall.json");
            String out = run("demo", "recall", "--url", server.uri().toString(), "--data", data.toString(), "--mode", "both",
                    "--stateless-api", statelessApi, "--json", json.toString());
            JsonNode j = new ObjectMapper().readTree(json.toFile());
            StringBuilder answers = new StringBuilder();
            for (JsonNode r : j.get("results")) {
                answers.append(r.get("id").asText()).append(": ").append(r.get("stateless").get("answer").asText()).append(" | ")
                        .append(r.get("stateful").get("answer").asText()).append('\n');
            }
            assertEquals(2, j.get("agreement").get("correct").asInt(), "the same final answer in both modes:\n" + answers + out);
        } finally {
            server.shutdown();
        }
    }

    /** Below the card's held-out numbers with room for a 40-dialogue sample; stories260K scores 0 here. */
    static final double THRESHOLD = 0.7;
}

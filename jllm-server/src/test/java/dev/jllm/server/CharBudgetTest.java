package dev.jllm.server;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * max_output_chars on a model that rambles (random weights, a byte vocabulary: any character is a
 * token, "." and "\n" included, and an end-of-generation token it almost never picks by itself):
 * every answer is within the budget; steering makes the model end by itself after a sentence
 * boundary in most answers, more often than it ends by itself within that length without a budget.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class CharBudgetTest {
    @TempDir static Path dir;
    static ServerFixture s;

    @BeforeAll
    static void start() throws Exception {
        s = ServerFixture.randomModel(dir, f -> ServerFixture.CHATML);
    }

    @AfterAll
    static void stop() {
        s.close();
    }

    @Test
    void aRamblingModelStaysWithinTheBudgetAndMostlyEndsByItself() throws Exception {
        int n = 16, budget = 100, cut = 0, ended = 0, unbudgetedEnded = 0;
        for (int seed = 0; seed < n; seed++) {
            String body = """
                    {"model":"random-2k","seed":%d,"max_tokens":300,%s"messages":[{"role":"user","content":"Tell me about the sea"}]}""";
            HttpResponse<String> r = s.post("/v1/chat/completions", body.formatted(seed, "\"max_output_chars\":" + budget + ","), null);
            assertEquals(200, r.statusCode(), r.body());
            JsonNode j = ServerFixture.json(r);
            String text = j.get("choices").get(0).get("message").get("content").asText();
            int cps = text.codePointCount(0, text.length());
            assertTrue(cps <= budget, cps + " code points: " + text);
            JsonNode u = j.get("usage").get("jllm");
            assertEquals(cps, u.get("output_chars").asInt());
            if (u.get("cut").asBoolean()) cut++;
            if (j.get("choices").get(0).get("finish_reason").asText().equals("stop")) ended++;
            JsonNode free = ServerFixture.json(s.post("/v1/chat/completions", body.formatted(seed, ""), null));
            String freeText = free.get("choices").get(0).get("message").get("content").asText();
            if (free.get("choices").get(0).get("finish_reason").asText().equals("stop") && freeText.codePointCount(0, freeText.length()) <= budget) {
                unbudgetedEnded++;
            }
        }
        System.out.printf("max_output_chars %d on a random-weight model: %d/%d within budget, %d ended by the model, %d cut;"
                + " without a budget %d/%d ended by the model within %d code points%n", budget, n, n, ended, cut, unbudgetedEnded, n, budget);
        assertEquals(n, ended + cut, "every answer either ended by itself or was cut");
        assertTrue(ended > unbudgetedEnded, "steering makes the model end by itself within the budget more often");
    }
}

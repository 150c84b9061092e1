package dev.jllm.eval.metrics;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jllm.testkit.TestData;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** lm-evaluation-harness acc / acc_norm / acc_bytes / acc_mutual_info, and length compliance. */
class MultipleChoiceTest {

    private static double[] doubles(JsonNode a) {
        double[] d = new double[a.size()];
        for (int i = 0; i < d.length; i++) d[i] = a.get(i).asDouble();
        return d;
    }

    @Test
    void harnessOwnCases() throws Exception {
        JsonNode j = new ObjectMapper().readTree(TestData.path("eval/lm-eval-harness-cases.json").toFile());
        List<String> choices = new ArrayList<>();
        j.get("choices").forEach(x -> choices.add(x.asText()));
        int gold = j.get("gold").asInt(), n = 0;
        for (JsonNode c : j.get("cases")) {
            double[] cond = doubles(c.get("conditional"));
            assertEquals(c.get("acc").asDouble(), MultipleChoice.score(cond, choices, gold).acc(), c.get("test").asText());
            if (c.has("acc_mutual_info")) {
                assertEquals(c.get("acc_mutual_info").asDouble(), MultipleChoice.accMutualInfo(cond, doubles(c.get("unconditional")), gold));
            }
            n++;
        }
        assertEquals(3, n);
    }

    /* Worked by hand from ConfigurableTask.process_results: pred_norm = argmax(lls / len(choice)). */
    @Test
    void accNormDividesByCharactersOfTheChoice() {
        // -6/5 = -1.2 vs -9/15 = -0.6: acc picks Paris (0), acc_norm the longer choice (1)
        MultipleChoice.Result r = MultipleChoice.score(new double[] {-6.0, -9.0}, List.of("Paris", "London and more"), 1);
        assertEquals(0, r.pred());
        assertEquals(1, r.predNorm());
        assertEquals(0.0, r.acc());
        assertEquals(1.0, r.accNorm());
        // characters vs bytes: "é" is 1 character but 2 UTF-8 bytes. By characters -1.0 vs -0.95 (choice 1),
        // by bytes -0.5 vs -0.95 (choice 0).
        MultipleChoice.Result b = MultipleChoice.score(new double[] {-1.0, -1.9}, List.of("é", "ab"), 0);
        assertEquals(1, b.predNorm());
        assertEquals(0, b.predBytes());
        // Chinese choices count characters: -4/2 = -2.0 vs -5/3 = -1.67
        assertEquals(1, MultipleChoice.score(new double[] {-4.0, -5.0}, List.of("北京", "上海市"), 1).predNorm());
        // ties go to the first choice, as numpy.argmax
        assertEquals(0, MultipleChoice.score(new double[] {-1.0, -1.0}, List.of("x", "y"), 0).pred());
        assertThrows(IllegalArgumentException.class, () -> MultipleChoice.score(new double[] {-1.0}, List.of("x", "y"), 0));
    }

    @Test
    void lengthCompliance() {
        // lengths in code points: 1 (emoji), 3, 4, 10 -> within 4: 3 of 4
        List<String> answers = List.of("😀", "北京市", "abcd", "0123456789");
        LengthCompliance c = LengthCompliance.of(answers, 4);
        assertEquals(3, c.within());
        assertEquals(0.75, c.fraction());
        assertEquals(1, c.min());
        assertEquals(10, c.max());
        assertEquals(3.5, c.median(), 1e-12);  // (3 + 4) / 2
        assertEquals(4.5, c.mean(), 1e-12);    // 18 / 4
        assertEquals(8.2, c.p90(), 1e-12);     // position 0.9 * 3 = 2.7: 4 + 0.7 * (10 - 4)
        assertArrayEquals(new double[] {1, 1, 1, 0}, LengthCompliance.itemScores(answers, 4));
    }
}

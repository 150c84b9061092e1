package dev.jllm.eval.metrics;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jllm.testkit.TestData;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** SQuAD v1.1 and CMRC 2018 exact match / F1, and NLTK's word tokenizer that CMRC's script uses. */
class QaGoldenTest {

    private static JsonNode json(String path) throws Exception {
        return new ObjectMapper().readTree(TestData.path(path).toFile());
    }

    private static List<String> strings(JsonNode a) {
        List<String> out = new ArrayList<>();
        a.forEach(x -> out.add(x.asText()));
        return out;
    }

    @Test
    void squadPublishedExamples() throws Exception {
        int n = 0;
        for (JsonNode c : json("eval/squad-cases.json").get("corpus")) {
            double em = 0, f1 = 0;
            for (JsonNode it : c.get("items")) {
                em += SquadScore.exactMatch(it.get("prediction").asText(), strings(it.get("answers")));
                f1 += SquadScore.f1(it.get("prediction").asText(), strings(it.get("answers")));
            }
            int items = c.get("items").size();
            double scale = c.path("scale").asDouble(1.0); // the official script prints 100 * mean
            assertEquals(c.get("exact_match").asDouble(), 100.0 * em / items * scale, 1e-12, c.get("source").asText());
            assertEquals(c.get("f1").asDouble(), 100.0 * f1 / items * scale, 1e-12, c.get("source").asText());
            n++;
        }
        assertEquals(5, n);
    }

    @Test
    void squadNormalization() {
        // normalize_answer, worked by hand from the script: lower, drop string.punctuation, drop a/an/the as words, squeeze
        assertEquals("eiffeltower", SquadScore.normalize("The Eiffel-Tower!")); // punctuation is deleted, not made a space
        assertEquals("theory", SquadScore.normalize("a theory")); // "the" inside a word stays
        assertEquals("beyoncé", SquadScore.normalize("Beyoncé")); // non-ASCII punctuation and letters are kept
        assertEquals(1.0, SquadScore.exactMatch("  an Apple. ", List.of("apple")));
    }

    @Test
    void nltkWordTokenizerPublishedCases() throws Exception {
        int n = 0;
        for (JsonNode c : json("eval/nltk-tokenize-cases.json").get("cases")) {
            assertEquals(strings(c.get(1)), NltkWordTokenizer.tokenize(c.get(0).asText()), c.get(0).asText());
            n++;
        }
        assertEquals(5, n);
    }

    /*
     * CMRC 2018's script publishes no test cases; each expected value below is worked by hand from
     * cmrc2018_evaluate.py (squad-style-data, commit c0eb1b6b), with the steps in the comment.
     */
    @Test
    void cmrc2018WorkedByHandFromTheScript() {
        // 北 京 vs 北 京 市: common run 2, P = 2/2, R = 2/3, F1 = 0.8; strings differ: EM 0
        assertEquals(0.8, Cmrc2018Score.f1("北京", List.of("北京市")), 1e-12);
        assertEquals(0.0, Cmrc2018Score.exactMatch("北京", List.of("北京市")));
        // 《 》 are special characters: removed for EM and F1
        assertEquals(1.0, Cmrc2018Score.exactMatch("《红楼梦》", List.of("红楼梦")));
        assertEquals(1.0, Cmrc2018Score.f1("《红楼梦》", List.of("红楼梦")), 1e-12);
        // "1990" is one NLTK token, then 年: [1990, 年] vs [1990, 年, 5, 月]: P = 1, R = 1/2, F1 = 2/3
        assertEquals(2.0 / 3, Cmrc2018Score.f1("1990年", List.of("1990年5月")), 1e-12);
        // find_lcs is a longest common SUBSTRING: 甲乙丙丁 vs 甲丙乙丁 share runs of 1 only: P = R = 1/4
        assertEquals(0.25, Cmrc2018Score.f1("甲乙丙丁", List.of("甲丙乙丁")), 1e-12);
        // lower() and strip() before comparing
        assertEquals(1.0, Cmrc2018Score.exactMatch(" Apple ", List.of("apple")));
        // "……" is one two-character list entry, so a lone "…" is not removed
        assertEquals(0.0, Cmrc2018Score.exactMatch("好…", List.of("好")));
        // English run through word_tokenize: [the, eiffel, tower, .] vs [eiffel, tower]: P = 2/4, R = 1, F1 = 2/3
        assertEquals(2.0 / 3, Cmrc2018Score.f1("the Eiffel tower.", List.of("Eiffel Tower")), 1e-12);
        // the best answer counts
        assertEquals(1.0, Cmrc2018Score.f1("上海", List.of("北京", "上海")), 1e-12);
        assertEquals(List.of("1990", "年", "5", "月"), Cmrc2018Score.mixedSegmentation("1990年5月", true));
    }
}

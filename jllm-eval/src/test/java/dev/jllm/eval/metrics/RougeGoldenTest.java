package dev.jllm.eval.metrics;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jllm.testkit.TestData;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** rouge-score's own tests (testdata/eval/rouge-score-cases.json) and NLTK's Porter doctest (nltk-porter-cases.json). */
class RougeGoldenTest {
    private static JsonNode rouge, porter;

    @BeforeAll
    static void load() throws Exception {
        ObjectMapper om = new ObjectMapper();
        rouge = om.readTree(TestData.path("eval/rouge-score-cases.json").toFile());
        porter = om.readTree(TestData.path("eval/nltk-porter-cases.json").toFile());
    }

    /** Python's assertAlmostEqual(a, b, places): round(a - b, places) == 0. */
    private static void almost(double expected, double actual, int places, String what) {
        assertEquals(expected, actual, 0.5 * Math.pow(10, -places), what);
    }

    @Test
    void scorerCases() {
        int n = 0;
        for (JsonNode c : rouge.get("pairs")) {
            boolean stem = c.path("stem").asBoolean();
            Rouge r = new Rouge(Rouge.Type.of(c.get("type").asText()), RougeTokenizer.english(stem));
            Rouge.Score s = r.score(c.get("target").asText(), c.get("prediction").asText());
            int places = c.get("places").asInt(), pr = c.path("places_pr").asInt(places);
            String what = c.get("test").asText();
            almost(c.get("precision").asDouble(), s.precision(), pr, what + " precision");
            almost(c.get("recall").asDouble(), s.recall(), pr, what + " recall");
            almost(c.get("fmeasure").asDouble(), s.fmeasure(), places, what + " fmeasure");
            n++;
        }
        assertEquals(24, n);
    }

    @Test
    void typesAndTokenizer() {
        for (JsonNode t : rouge.get("invalid_types")) assertThrows(IllegalArgumentException.class, () -> Rouge.Type.of(t.asText()));
        for (JsonNode t : rouge.get("valid_types")) assertNotNull(Rouge.Type.of(t.asText()));
        for (JsonNode c : rouge.get("tokenize")) {
            List<String> expected = new ArrayList<>();
            c.get("tokens").forEach(x -> expected.add(x.asText()));
            assertEquals(expected, RougeTokenizer.english(false).tokenize(c.get("text").asText()));
        }
    }

    private static List<String> tokens(JsonNode a) {
        List<String> out = new ArrayList<>();
        a.forEach(x -> out.add(x.asText()));
        return out;
    }

    @Test
    void lcsHelpers() {
        for (JsonNode c : rouge.get("lcs_table")) {
            List<String> ref = tokens(c.get("ref")), can = tokens(c.get("can"));
            assertEquals(c.get("length").asInt(), Rouge.lcsLength(ref, can));
            List<Integer> idx = new ArrayList<>();
            c.get("indices").forEach(x -> idx.add(x.asInt()));
            assertEquals(idx, Rouge.lcsIndices(ref, can));
        }
        for (JsonNode c : rouge.get("summary_level_lcs")) {
            List<List<String>> refs = new ArrayList<>(), cans = new ArrayList<>();
            c.get("refs").forEach(x -> refs.add(tokens(x)));
            c.get("cans").forEach(x -> cans.add(tokens(x)));
            Rouge.Score s = Rouge.summaryLevelLcs(refs, cans);
            assertEquals(c.get("recall").asDouble(), s.recall());
            if (c.has("precision")) {
                assertEquals(c.get("precision").asDouble(), s.precision());
                almost(c.get("fmeasure").asDouble(), s.fmeasure(), c.get("places").asInt(), "summary-level fmeasure");
            }
        }
    }

    @Test
    void porterStemmerNltkMode() {
        PorterStemmer st = new PorterStemmer();
        int n = 0;
        for (JsonNode c : porter.get("cases")) {
            assertEquals(c.get(1).asText(), st.stem(c.get(0).asText()), c.get(0).asText());
            n++;
        }
        assertEquals(23, n);
    }

    @Test
    void chineseCharacterLevelVariant() {
        // jllm's own definition (rouge-score has no Chinese tokenizer): one token per Han character, ASCII words kept
        RougeTokenizer zh = RougeTokenizer.chinese(false);
        assertEquals(List.of("北", "京", "是", "中", "国", "的", "首", "都"), zh.tokenize("北京是中国的首都。"));
        assertEquals(List.of("gpt", "4", "发", "布", "于", "2023", "年"), zh.tokenize("GPT-4 发布于 2023 年！"));
        // the English tokenizer drops Chinese entirely, which is why the variant exists
        assertEquals(List.of(), RougeTokenizer.english(false).tokenize("北京是中国的首都。"));
        Rouge r = new Rouge(Rouge.Type.ROUGE_1, zh);
        // target 8 characters, prediction 4, 3 shared (北 京 首): P = 3/4, R = 3/8
        Rouge.Score s = r.score("北京是中国的首都", "北京首府");
        assertEquals(0.75, s.precision(), 1e-12);
        assertEquals(0.375, s.recall(), 1e-12);
        assertEquals(0.5, s.fmeasure(), 1e-12);
    }
}

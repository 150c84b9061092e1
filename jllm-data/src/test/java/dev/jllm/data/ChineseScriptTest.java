package dev.jllm.data;

import dev.jllm.testkit.TestData;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ChineseScriptTest {

    @Test
    void traditionalOnlyFromOpenCC() {
        // TSCharacters has 4,148 single-character keys; 945 map to themselves too (乾→乾 干); 5 are also
        // simplified keys in STCharacters (藴 緼 醖 苧 輼): 3,198 remain (counted with a Python script over the same files).
        assertEquals(3198, ChineseScript.traditionalOnlyCount());
        for (String t : List.of("壯", "餘", "國", "說", "愛", "龍", "為", "爲")) assertTrue(ChineseScript.isTraditionalOnly(t.codePointAt(0)), t);
        for (String s : List.of("壮", "余", "国", "说", "爱", "龙", "为", "的", "我", "乾", "藴", "天")) assertFalse(ChineseScript.isTraditionalOnly(s.codePointAt(0)), s);
    }

    /**
     * OpenCC's own conversion test cases: every expected simplified output (t2s, tw2s, hk2s, tw2sp, hk2sp)
     * has simplified ratio 1.0, and every input that OpenCC changes has at least one traditional-only
     * character, except five phrase-level rewrites.
     */
    @Test
    void openccTestCases() throws Exception {
        JsonNode root = JsonMapper.builder().enable(JsonReadFeature.ALLOW_TRAILING_COMMA).build()
                .readTree(TestData.path("corpora/clean/opencc-testcases.json").toFile());
        int outputs = 0, inputs = 0;
        List<String> notSimplified = new ArrayList<>(), undetected = new ArrayList<>();
        for (JsonNode c : root.get("cases")) {
            String input = c.get("input").asText();
            for (Map.Entry<String, JsonNode> e : (Iterable<Map.Entry<String, JsonNode>>) c.get("expected")::fields) {
                if (!e.getKey().endsWith("2s") && !e.getKey().endsWith("2sp")) continue;
                String out = e.getValue().asText();
                outputs++;
                TextStats s = TextStats.of(out);
                if (s.traditional() != 0) notSimplified.add(c.get("id").asText() + " " + out);
                if (!out.equals(input)) {
                    inputs++;
                    if (TextStats.of(input).traditional() == 0) undetected.add(c.get("id").asText());
                }
            }
        }
        assertTrue(outputs >= 100, "expected >= 100 simplified outputs, got " + outputs);
        assertTrue(inputs >= 50, "expected >= 50 changed inputs, got " + inputs);
        assertEquals(List.of(), notSimplified);
        // The only changed inputs without a traditional-only character are phrase-level rewrites, where every
        // character is valid simplified Chinese on its own: 步步高陞→升 (陞 maps to itself character by character),
        // 演算法→算法 (Taiwan usage), 殢/𣨼 and 剋/袷 (variant choices).
        assertEquals(List.of("case_054", "ByVoid_OpenCC_Issue950_AlgorithmConversionRev", "BYVoid_OpenCC_PR_1228_existing_behaviors",
                "BYVoid_OpenCC_PR_464_ke_vs_ke", "BYVoid_OpenCC_PR_464_jia_vs_jia"), undetected);
    }

    @Test
    void ratio() {
        TextStats s = TextStats.of("秦川雄帝宅，函谷壯皇居。");
        assertEquals(10, s.han());
        assertEquals(1, s.traditional()); // 壯
        assertEquals(0.9, s.simplifiedRatio(), 1e-12);
        assertEquals(0.0, TextStats.of("no Chinese here").simplifiedRatio());
        assertEquals(1.0, TextStats.of("学而时习之，不亦说乎？").simplifiedRatio());
    }
}

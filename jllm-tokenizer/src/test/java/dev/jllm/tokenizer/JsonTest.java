package dev.jllm.tokenizer;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

class JsonTest {

    @Test
    void parsesAllValueKinds() throws Exception {
        Object v = Json.parse(" {\"a\": [1, -2.5e1, \"x\\u00e9\\n\", true, false, null], \"b\": {}} ", "t.json");
        Map<?, ?> m = (Map<?, ?>) v;
        List<?> a = (List<?>) m.get("a");
        assertEquals(1L, a.get(0));
        assertEquals(-25.0, a.get(1));
        assertEquals("xé\n", a.get(2));
        assertEquals(true, a.get(3));
        assertEquals(false, a.get(4));
        assertNull(a.get(5));
        assertEquals(Map.of(), m.get("b"));
    }

    @Test
    void surrogatePairEscapesJoin() throws Exception {
        assertEquals("😀", Json.parse("\"\\ud83d\\ude00\"", "t.json"));
    }

    @Test
    void errorsNameFileLineAndColumn() {
        var e = assertThrows(TokenizerFormatException.class, () -> Json.parse("[1,]", "t.json"));
        assertEquals("t.json: JSON syntax error at line 1, column 4: expected a value but found ']'", e.getMessage());
        e = assertThrows(TokenizerFormatException.class, () -> Json.parse("{\n\"a\": 1\n\"b\": 2}", "t.json"));
        assertEquals("t.json: JSON syntax error at line 3, column 1: expected ',' or '}' but found '\"'", e.getMessage());
    }

    @Test
    void rejectsWhatJsonForbids() {
        for (String bad : new String[] {"{\"a\":1,\"a\":2}", "01", "1.", "\"\t\"", "[1] x", "'a'", "{a:1}", "\"\\x\"", "", "[", "nul"}) {
            assertThrows(TokenizerFormatException.class, () -> Json.parse(bad, "t.json"), bad);
        }
    }

    @Test
    void deepNestingIsAnErrorNotAStackOverflow() {
        String deep = "[".repeat(100_000);
        var e = assertThrows(TokenizerFormatException.class, () -> Json.parse(deep, "t.json"));
        assertEquals(true, e.getMessage().contains("nesting deeper than 512"));
    }
}

package dev.jllm.chat;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Expected strings are Python 3's repr/json.dumps output for the same values. */
class PyJsonTest {

    @Test
    void floatsPrintLikePythonRepr() {
        // python3 -c "print([repr(x) for x in [1e-05,1e16,123456789012345.0,0.1,100.0,-2.5e-7,1/3]])"
        assertEquals(List.of("1e-05", "1e+16", "123456789012345.0", "0.1", "100.0", "-2.5e-07", "0.3333333333333333"),
                List.of(1e-05, 1e16, 123456789012345.0, 0.1, 100.0, -2.5e-7, 1.0 / 3).stream().map(PyJson::floatRepr).toList());
    }

    @Test
    void dumpsLikeJsonDumpsWithEnsureAsciiOff() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("b", List.of(1, 2.0, true));
        m.put("a", "Zü\"\n\u0001");
        m.put("n", null);
        // json.dumps({"b": [1, 2.0, True], "a": "Zü\"\n\x01", "n": None}, ensure_ascii=False)
        assertEquals("{\"b\": [1, 2.0, true], \"a\": \"Zü\\\"\\n\\u0001\", \"n\": null}", PyJson.dumps(m));
        // ... indent=2, sort_keys=True
        assertEquals("{\n  \"a\": \"Zü\\\"\\n\\u0001\",\n  \"b\": [\n    1,\n    2.0,\n    true\n  ],\n  \"n\": null\n}",
                new PyJson(2, null, null, true, false).write(m));
        // ... ensure_ascii=True
        assertEquals("\"Z\\u00fc\"", new PyJson(null, null, null, false, true).write("Zü"));
    }
}

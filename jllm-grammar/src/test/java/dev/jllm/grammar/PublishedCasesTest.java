package dev.jllm.grammar;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * llama.cpp's own published cases (testdata/grammar, see PROVENANCE.md): the JSON Schema compiler
 * produces the same GBNF text as common/json-schema-to-grammar.cpp, and grammars accept and reject
 * the same strings as llama.cpp's sampler (tests/test-grammar-integration.cpp), on both the fast
 * matcher and the reference.
 */
class PublishedCasesTest {
    static final ObjectMapper JSON = new ObjectMapper();

    /**
     * Cases where jllm deliberately differs: llama.cpp ignores these keywords (or falls back to any
     * string), which would let output fail validation; jllm refuses them with an error naming the keyword.
     */
    static final Map<String, String> REFUSED = Map.of(
            "array with empty items and prefixItems", "'prefixItems'", // llama.cpp uses items and drops prefixItems
            "object properties", "'exclusiveMinimum'",               // a number bound, which llama.cpp ignores
            "required props", "'exclusiveMinimum'");

    static JsonNode load(String name) throws Exception {
        return JSON.readTree(dev.jllm.testkit.TestData.path("grammar/" + name).toFile());
    }

    static String trim(String s) {
        return s.strip().replaceAll("(?m)^[ \t]+", "");
    }

    @Test
    void schemaCompilerMatchesLlamaCppText() throws Exception {
        List<String> failures = new ArrayList<>();
        int checked = 0;
        for (JsonNode c : load("llamacpp-json-schema-cases.json").get("cases")) {
            String name = c.get("name").asText();
            Object schema;
            try {
                schema = JSON.readValue(c.get("schema").asText(), Object.class);
            } catch (Exception e) {
                continue; // a case testing invalid JSON
            }
            boolean success = c.get("status").asText().equals("SUCCESS");
            try {
                String got = JsonSchemaGrammar.compile(schema);
                if (!success) failures.add(name + ": expected a failure, got\n" + got);
                else if (!trim(got).equals(trim(c.get("grammar").asText()))) {
                    failures.add(name + ":\nEXPECTED\n" + trim(c.get("grammar").asText()) + "\nGOT\n" + trim(got));
                } else {
                    Gbnf.parse(got);
                    checked++;
                }
            } catch (GrammarException e) {
                if (success && !REFUSED.containsKey(name)) failures.add(name + ": " + e.getMessage());
                if (REFUSED.containsKey(name)) assertTrue(e.getMessage().contains(REFUSED.get(name)), name + ": " + e.getMessage());
            }
        }
        assertTrue(failures.isEmpty(), failures.size() + " failures:\n" + String.join("\n\n", failures));
        assertTrue(checked > 55, "checked " + checked);
    }

    @Test
    void grammarsAcceptAndRejectLikeLlamaCpp() throws Exception {
        List<String> failures = new ArrayList<>();
        for (JsonNode c : load("llamacpp-grammar-integration-cases.json").get("cases")) {
            String name = c.get("kind").asText() + " '" + c.get("name").asText() + "'";
            String gbnf;
            try {
                gbnf = c.get("kind").asText().equals("grammar") ? c.get("input").asText()
                        : JsonSchemaGrammar.compile(JSON.readValue(c.get("input").asText(), Object.class));
            } catch (GrammarException e) {
                String why = REFUSED.get(c.get("name").asText());
                if (why == null || !e.getMessage().contains(why)) failures.add(name + ": " + e.getMessage());
                continue;
            }
            Grammar g = Gbnf.parse(gbnf);
            for (JsonNode s : c.get("passing")) {
                if (!GbnfTest.matches(g, s.asText())) failures.add(name + " rejects " + s);
                if (!GbnfTest.referenceMatches(g, s.asText())) failures.add(name + " (reference) rejects " + s);
            }
            for (JsonNode s : c.get("failing")) {
                if (GbnfTest.matches(g, s.asText())) failures.add(name + " accepts " + s);
                if (GbnfTest.referenceMatches(g, s.asText())) failures.add(name + " (reference) accepts " + s);
            }
        }
        assertTrue(failures.isEmpty(), failures.size() + " failures:\n" + String.join("\n", failures));
    }
}

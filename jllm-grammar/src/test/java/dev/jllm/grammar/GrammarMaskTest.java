package dev.jllm.grammar;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jllm.tokenizer.StreamingDecoder;
import dev.jllm.tokenizer.Tokenizer;
import dev.jllm.tokenizer.Tokenizers;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The token mask on a real 151k vocabulary (Qwen3): equal to the reference, end-of-generation rules, random sampling always yields valid JSON. */
class GrammarMaskTest {
    static Tokenizer qwen;
    static final ObjectMapper JSON = new ObjectMapper();
    static final String SCHEMA = """
            {"type": "object", "properties": {
               "name": {"type": "string", "maxLength": 6},
               "kind": {"enum": ["cat", "dog", "bird"]},
               "age": {"type": "integer", "minimum": 0, "maximum": 30},
               "tags": {"type": "array", "items": {"type": "string", "maxLength": 3}, "maxItems": 2},
               "owner": {"type": "object", "properties": {"ok": {"type": "boolean"}}, "required": ["ok"]}},
             "required": ["name", "kind", "age", "tags", "owner"]}""";

    @BeforeAll
    static void load() throws Exception {
        qwen = Tokenizers.open(dev.jllm.testkit.TestData.path("tokenizers/hf-qwen3/tokenizer.json"));
    }

    static Grammar schemaGrammar() throws Exception {
        return Gbnf.parse(JsonSchemaGrammar.compile(JSON.readValue(SCHEMA, Object.class)));
    }

    /** Samples uniformly among allowed tokens (a random-weight model at its worst) until end-of-generation. */
    static String sample(GrammarMask mask, Tokenizer tok, Random rnd, int maxTokens) {
        StreamingDecoder dec = new StreamingDecoder(tok);
        StringBuilder out = new StringBuilder();
        float[] logits = new float[tok.vocabSize()];
        for (int i = 0; i < maxTokens; i++) {
            for (int k = 0; k < logits.length; k++) logits[k] = (float) rnd.nextGaussian();
            mask.apply(logits);
            int best = -1;
            for (int k = 0; k < logits.length; k++) if (logits[k] != Float.NEGATIVE_INFINITY && (best < 0 || logits[k] > logits[best])) best = k;
            assertTrue(best >= 0, "some token is always allowed");
            mask.accept(best);
            if (tok.isEog(best)) return out.append(dec.flush()).toString();
            out.append(dec.accept(best));
        }
        return null;
    }

    @Test
    void randomSamplingAlwaysGivesValidJson() throws Exception {
        Grammar g = schemaGrammar();
        Random rnd = new Random(1);
        for (int run = 0; run < 5; run++) {
            GrammarMask mask = new GrammarMask(g, qwen);
            String text = sample(mask, qwen, rnd, 400);
            assertNotNull(text, "ended within 400 tokens");
            JsonNode v = JSON.readTree(text);
            assertTrue(v.get("name").asText().codePointCount(0, v.get("name").asText().length()) <= 6, text);
            assertTrue(Arrays.asList("cat", "dog", "bird").contains(v.get("kind").asText()), text);
            assertTrue(v.get("age").isInt() && v.get("age").asInt() >= 0 && v.get("age").asInt() <= 30, text);
            assertTrue(v.get("tags").isArray() && v.get("tags").size() <= 2, text);
            assertTrue(v.get("owner").get("ok").isBoolean(), text);
            assertEquals(5, v.size(), text);
        }
    }

    @Test
    void fastMaskEqualsReferenceTokenByToken() throws Exception {
        Grammar g = schemaGrammar();
        VocabTrie trie = VocabTrie.of(qwen);
        ReferenceMatcher ref = new ReferenceMatcher(g);
        Random rnd = new Random(3);
        GrammarMask mask = new GrammarMask(g, qwen);
        ReferenceMatcher.State st = ref.initial();
        for (int step = 0; step < 12; step++) {
            long[] fast = mask.allowed();
            long[] slow = ref.allowed(st, trie.bytes, trie.eog);
            assertArrayEquals(slow, fast, "allowed tokens at step " + step);
            // pick a random allowed non-EOG token, preferring longer ones so the walk gets somewhere
            int pick = -1;
            for (int tries = 0; tries < 200000 && pick < 0; tries++) {
                int id = rnd.nextInt(qwen.vocabSize());
                if ((fast[id >>> 6] & (1L << id)) != 0 && !qwen.isEog(id)) pick = id;
            }
            if (pick < 0) break;
            mask.accept(pick);
            st = ref.accept(st, trie.bytes[pick]);
            assertNotNull(st);
        }
    }

    @Test
    void endOfGenerationOnlyWhenComplete() throws Exception {
        Grammar g = Gbnf.parse("root ::= \"yes\" | \"no\"");
        GrammarMask mask = new GrammarMask(g, qwen);
        int eos = -1;
        for (int id = 0; id < qwen.vocabSize() && eos < 0; id++) if (qwen.isEog(id)) eos = id;
        assertTrue(eos >= 0, "the vocabulary has an end-of-generation token");
        long[] a = mask.allowed();
        assertEquals(0, a[eos >>> 6] & (1L << eos), "not complete: no EOS");
        for (int t : qwen.encode("yes", false, false)) mask.accept(t);
        assertTrue(mask.isComplete());
        long[] b = mask.allowed();
        int allowed = 0;
        for (long w : b) allowed += Long.bitCount(w);
        assertTrue((b[eos >>> 6] & (1L << eos)) != 0, "complete: EOS allowed");
        int eogCount = 0;
        for (int id = 0; id < qwen.vocabSize(); id++) if (qwen.isEog(id)) eogCount++;
        assertEquals(eogCount, allowed, "complete and nothing else fits: only end-of-generation tokens");
        float[] logits = new float[qwen.vocabSize()];
        mask.apply(logits);
        assertEquals(0f, logits[eos]);
        assertEquals(Float.NEGATIVE_INFINITY, logits[qwen.encode("x", false, false)[0]]);
        assertThrows(IllegalStateException.class, () -> new GrammarMask(g, qwen).accept(qwen.encode("maybe", false, false)[0]));
    }

    @Test
    void tokensEndingInsideAMultiByteCharacterAreContinued() throws Exception {
        Grammar g = Gbnf.parse("root ::= \"\\\"\" [^\"]* \"\\\"\"");
        GrammarMask mask = new GrammarMask(g, qwen);
        String s = "\"你好😀\"";
        for (int t : qwen.encode(s, false, false)) {
            long[] a = mask.allowed();
            assertTrue((a[t >>> 6] & (1L << t)) != 0, "token " + t + " allowed");
            mask.accept(t);
        }
        assertTrue(mask.isComplete());
    }

    @Test
    void masksOfTheSameGrammarTextShareTheirStates() throws Exception {
        String text = "root ::= \"{\\\"id\\\": \" [0-9]+ \", \\\"tag\\\": \\\"\" [a-z]* \"\\\"}\"";
        String doc = "{\"id\": 42, \"tag\": \"abc\"}";
        GrammarMask first = new GrammarMask(Gbnf.parse(text), qwen);
        java.util.List<long[]> seen = new java.util.ArrayList<>();
        for (int t : qwen.encode(doc, false, false)) {
            seen.add(first.allowed().clone());
            first.accept(t);
        }
        assertTrue(first.isComplete());
        long walks = first.tableWalks();
        assertTrue(walks > 0);
        GrammarMask second = new GrammarMask(Gbnf.parse(text), qwen); // another request, the grammar parsed again
        int k = 0;
        for (int t : qwen.encode(doc, false, false)) {
            assertArrayEquals(seen.get(k++), second.allowed());
            second.accept(t);
        }
        assertEquals(walks, second.tableWalks(), "every state was already walked by the first request");
        float[] logits = new float[qwen.vocabSize()];
        new GrammarMask(Gbnf.parse(text), qwen).apply(logits); // a structural state: few tokens, kept as ids
        int allowed = 0;
        for (float x : logits) if (x == 0f) allowed++;
        assertEquals(Long.bitCount(seen.getFirst()[0]) + java.util.Arrays.stream(seen.getFirst()).skip(1).mapToInt(Long::bitCount).sum(), allowed);
    }
}

package dev.jllm.server;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import dev.jllm.model.KvCacheManager;
import dev.jllm.model.LogLikelihood;
import dev.jllm.model.Transformer;
import dev.jllm.tensor.GgmlType;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Logprobs over HTTP: the completions legacy shape with echo (what lm-evaluation-harness reads to
 * score multiple choice) equals model.LogLikelihood on the same tokens; chat's shape, streamed and
 * not; Responses' include; the errors; and the jllm extension max_output_chars.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class LogprobsApiTest extends WithServerAndModel {
    private static JsonNode ok(HttpResponse<String> r) throws Exception {
        assertEquals(200, r.statusCode(), r.body());
        return ServerFixture.json(r);
    }

    private static double reference(int[] tokens, int i) {
        Transformer tr = new Transformer(m.weights, new KvCacheManager(m.weights.config, GgmlType.F16, 16, 16), m.matmul);
        return LogLikelihood.of(tr, Arrays.copyOf(tokens, i), new int[] {tokens[i]}).sum();
    }

    @Test
    void completionsEchoGivesThePromptsLogLikelihoodsInTheLegacyShape() throws Exception {
        String text = "Once upon a time, there was a little dog";
        JsonNode r = ok(s.post("/v1/completions", """
                {"model":"stories260K","prompt":"%s","max_tokens":1,"temperature":0,"logprobs":1,"echo":true}""".formatted(text), null));
        JsonNode c = r.get("choices").get(0);
        int[] prompt = m.tokenizer.encode(text, true, false);
        JsonNode lp = c.get("logprobs");
        assertEquals(prompt.length + 1, lp.get("tokens").size(), lp.toString());
        assertEquals(prompt.length + 1, lp.get("token_logprobs").size());
        assertEquals(prompt.length + 1, lp.get("text_offset").size());
        assertTrue(lp.get("token_logprobs").get(0).isNull(), "the first token has no context");
        assertTrue(lp.get("top_logprobs").get(0).isNull());
        double sum = 0;
        for (int i = 1; i < prompt.length; i++) {
            double got = lp.get("token_logprobs").get(i).asDouble();
            assertEquals(reference(prompt, i), got, 1e-5, "prompt token " + i);
            assertEquals(new String(m.tokenizer.tokenBytes(prompt[i]), StandardCharsets.UTF_8), lp.get("tokens").get(i).asText());
            assertEquals(1, lp.get("top_logprobs").get(i).size());
            sum += got;
        }
        // the whole continuation at once, as lm-eval sums it
        Transformer tr = new Transformer(m.weights, new KvCacheManager(m.weights.config, GgmlType.F16, 16, 16), m.matmul);
        assertEquals(LogLikelihood.of(tr, new int[] {prompt[0]}, Arrays.copyOfRange(prompt, 1, prompt.length)).sum(), sum, 1e-4);
        // greedy: the generated token is its own top-1 with the same value (lm-eval's is_greedy test)
        JsonNode last = lp.get("top_logprobs").get(prompt.length);
        assertEquals(lp.get("token_logprobs").get(prompt.length).asDouble(), last.elements().next().asDouble());
        assertTrue(c.get("text").asText().startsWith(text), "echo puts the prompt first: " + c.get("text"));
        // the same prompt as token ids, and two prompts at once: choices in order
        StringBuilder ids = new StringBuilder();
        for (int t : prompt) ids.append(ids.isEmpty() ? "" : ",").append(t);
        JsonNode two = ok(s.post("/v1/completions", """
                {"model":"stories260K","prompt":[[%s],"The cat"],"max_tokens":1,"temperature":0,"logprobs":0,"echo":true}""".formatted(ids), null));
        assertEquals(2, two.get("choices").size());
        assertEquals(lp.get("token_logprobs"), two.get("choices").get(0).get("logprobs").get("token_logprobs"));
        assertEquals(1, two.get("choices").get(1).get("index").asInt());
        assertEquals(0, two.get("choices").get(0).get("logprobs").get("top_logprobs").get(1).size(), "logprobs 0: no alternatives");
        // max_tokens 0 with echo (older lm-evaluation-harness): the prompt scored, nothing generated
        JsonNode none = ok(s.post("/v1/completions", """
                {"model":"stories260K","prompt":"%s","max_tokens":0,"logprobs":1,"echo":true}""".formatted(text), null));
        JsonNode nl = none.get("choices").get(0).get("logprobs");
        assertEquals(prompt.length, nl.get("tokens").size());
        for (int i = 1; i < prompt.length; i++) assertEquals(lp.get("token_logprobs").get(i).asDouble(), nl.get("token_logprobs").get(i).asDouble(), 1e-9);
        assertEquals(text, none.get("choices").get(0).get("text").asText());
        assertEquals(0, none.get("usage").get("completion_tokens").asInt());
        assertEquals(400, s.post("/v1/completions", "{\"model\":\"stories260K\",\"prompt\":\"a\",\"max_tokens\":0}", null).statusCode(),
                "max_tokens 0 without echo asks for nothing");
    }

    @Test
    void chatLogprobsComeInOpenAisShapeStreamedAndNot() throws Exception {
        String req = """
                {"model":"stories260K","messages":[{"role":"user","content":"Tell me a story"}],"temperature":0,"max_tokens":16,
                 "logprobs":true,"top_logprobs":2%s}""";
        JsonNode r = ok(s.post("/v1/chat/completions", req.formatted(""), null));
        JsonNode content = r.get("choices").get(0).get("logprobs").get("content");
        int completion = r.get("usage").get("completion_tokens").asInt();
        String finish = r.get("choices").get(0).get("finish_reason").asText();
        assertEquals(finish.equals("stop") ? completion - 1 : completion, content.size(), "one entry per token but a final end token");
        StringBuilder joined = new StringBuilder();
        for (JsonNode e : content) {
            assertTrue(e.get("logprob").asDouble() <= 0);
            assertEquals(2, e.get("top_logprobs").size());
            assertEquals(e.get("logprob").asDouble(), e.get("top_logprobs").get(0).get("logprob").asDouble(), "greedy: the top choice");
            byte[] b = new byte[e.get("bytes").size()];
            for (int i = 0; i < b.length; i++) b[i] = (byte) e.get("bytes").get(i).asInt();
            assertEquals(e.get("token").asText(), new String(b, StandardCharsets.UTF_8));
            joined.append(e.get("token").asText());
        }
        assertEquals(r.get("choices").get(0).get("message").get("content").asText(), joined.toString().strip().isEmpty() ? ""
                : r.get("choices").get(0).get("message").get("content").asText());
        // streamed: the chunks' entries add up to the same list
        String body = s.post("/v1/chat/completions", req.formatted(",\"stream\":true"), null).body();
        List<JsonNode> streamed = new ArrayList<>();
        for (String d : ServerFixture.sseData(body)) {
            if (d.equals("[DONE]")) continue;
            JsonNode ch = ServerFixture.JSON.readTree(d).get("choices").get(0);
            if (ch.get("logprobs").isObject()) ch.get("logprobs").get("content").forEach(streamed::add);
        }
        assertEquals(content.size(), streamed.size());
        for (int i = 0; i < streamed.size(); i++) {
            // the second request reuses the first one's cached prompt KV: same tokens, logprobs equal up to float rounding
            assertEquals(content.get(i).get("token"), streamed.get(i).get("token"));
            assertEquals(content.get(i).get("logprob").asDouble(), streamed.get(i).get("logprob").asDouble(), 1e-4);
            assertEquals(2, streamed.get(i).get("top_logprobs").size());
        }
    }

    @Test
    void streamedCompletionsCarryEachChunksTokens() throws Exception {
        String req = """
                {"model":"stories260K","prompt":"Once upon a time","temperature":0,"max_tokens":12,"logprobs":2%s}""";
        JsonNode whole = ok(s.post("/v1/completions", req.formatted(""), null)).get("choices").get(0).get("logprobs");
        List<String> tokens = new ArrayList<>();
        List<Integer> offsets = new ArrayList<>();
        StringBuilder text = new StringBuilder();
        for (String d : ServerFixture.sseData(s.post("/v1/completions", req.formatted(",\"stream\":true"), null).body())) {
            if (d.equals("[DONE]")) continue;
            JsonNode c = ServerFixture.JSON.readTree(d).get("choices").get(0);
            text.append(c.get("text").asText());
            if (!c.get("logprobs").isObject()) continue;
            c.get("logprobs").get("tokens").forEach(t -> tokens.add(t.asText()));
            c.get("logprobs").get("text_offset").forEach(t -> offsets.add(t.asInt()));
        }
        assertEquals(whole.get("tokens").size(), tokens.size());
        for (int i = 0; i < tokens.size(); i++) {
            assertEquals(whole.get("tokens").get(i).asText(), tokens.get(i));
            assertEquals(whole.get("text_offset").get(i).asInt(), offsets.get(i), "offsets run on across chunks");
        }
    }

    @Test
    void responsesIncludeLogprobsInTheOutputText() throws Exception {
        JsonNode r = ok(s.post("/v1/responses", """
                {"model":"stories260K","input":"Tell me a story","temperature":0,"max_output_tokens":8,"store":false,
                 "include":["message.output_text.logprobs"],"top_logprobs":3}""", null));
        JsonNode part = r.get("output").get(0).get("content").get(0);
        assertTrue(part.get("logprobs").size() >= 1, part.toString());
        assertEquals(3, part.get("logprobs").get(0).get("top_logprobs").size());
        String events = s.post("/v1/responses", """
                {"model":"stories260K","input":"Tell me a story","temperature":0,"max_output_tokens":8,"store":false,"stream":true,
                 "include":["message.output_text.logprobs"],"top_logprobs":3}""", null).body();
        int streamed = 0;
        for (String d : ServerFixture.sseData(events)) {
            JsonNode e = ServerFixture.JSON.readTree(d);
            if (e.get("type").asText().equals("response.output_text.delta")) streamed += e.get("logprobs").size();
        }
        assertTrue(streamed >= 1 && streamed <= part.get("logprobs").size(), "deltas carry their tokens' logprobs: " + streamed);
    }

    @Test
    void badLogprobFieldsAre400sThatSayWhatToDo() throws Exception {
        String msgs = "\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]";
        HttpResponse<String> r = s.post("/v1/chat/completions", "{\"model\":\"stories260K\"," + msgs + ",\"logprobs\":true,\"top_logprobs\":21}", null);
        assertEquals(400, r.statusCode());
        assertTrue(r.body().contains("top_logprobs") && r.body().contains("[0, 20]"), r.body());
        r = s.post("/v1/chat/completions", "{\"model\":\"stories260K\"," + msgs + ",\"top_logprobs\":2}", null);
        assertEquals(400, r.statusCode());
        assertTrue(r.body().contains("needs 'logprobs': true"), r.body());
        r = s.post("/v1/completions", "{\"model\":\"stories260K\",\"prompt\":\"Hi\",\"logprobs\":true}", null);
        assertEquals(400, r.statusCode());
        assertTrue(r.body().contains("not a boolean"), r.body());
        r = s.post("/v1/responses", "{\"model\":\"stories260K\",\"input\":\"Hi\",\"include\":[\"reasoning.encrypted_content\"]}", null);
        assertEquals(400, r.statusCode());
        assertTrue(r.body().contains("include[0]"), r.body());
    }

    @Test
    void maxOutputCharsKeepsAnswersWithinTheBudgetAndSaysSoInUsage() throws Exception {
        int cut = 0;
        for (int seed = 0; seed < 6; seed++) {
            JsonNode r = ok(s.post("/v1/chat/completions", """
                    {"model":"stories260K","messages":[{"role":"user","content":"Tell me a story"}],"seed":%d,"max_tokens":70,
                     "max_output_chars":60}""".formatted(seed), null));
            String text = r.get("choices").get(0).get("message").get("content").asText();
            assertTrue(text.codePointCount(0, text.length()) <= 60, text);
            JsonNode j = r.get("usage").get("jllm");
            assertEquals(60, j.get("budget_chars").asInt());
            assertEquals(text.codePointCount(0, text.length()), j.get("output_chars").asInt());
            if (j.get("cut").asBoolean()) {
                cut++;
                assertEquals("length", r.get("choices").get(0).get("finish_reason").asText());
            }
        }
        System.out.println("max_output_chars 60 on stories260K: " + cut + " of 6 answers cut");
        JsonNode resp = ok(s.post("/v1/responses", """
                {"model":"stories260K","input":"Tell me a story","max_output_tokens":70,"max_output_chars":30,"store":false}""", null));
        String text = resp.get("output").get(0).get("content").get(0).get("text").asText();
        assertTrue(text.codePointCount(0, text.length()) <= 30, text);
        assertEquals(30, resp.get("usage").get("jllm").get("budget_chars").asInt());
        HttpResponse<String> bad = s.post("/v1/chat/completions", "{\"model\":\"stories260K\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}],"
                + "\"max_output_chars\":0}", null);
        assertEquals(400, bad.statusCode());
        assertTrue(bad.body().contains("max_output_chars"), bad.body());
    }
}

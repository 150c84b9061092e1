package dev.jllm.cli;

import dev.jllm.server.ChatServer;
import dev.jllm.server.http.ApiKeys;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import dev.jllm.engine.LoadedModel;
import dev.jllm.eval.metrics.Bootstrap;
import dev.jllm.eval.metrics.Interval;
import dev.jllm.model.Batch;
import dev.jllm.model.KvCacheManager;
import dev.jllm.model.Perplexity;
import dev.jllm.model.Transformer;
import dev.jllm.tensor.GgmlType;
import dev.jllm.testkit.TestData;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * jllm eval run end to end: multiple choice on stories260K against the perplexity path's own
 * log-likelihoods, generation against a fake OpenAI-compatible server with known answers, resumption,
 * the committed MMLU slice and perplexity task, and one-line errors.
 */
class EvalRunCommandTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    @TempDir Path tmp;

    private Path file(String name, String text) throws Exception {
        Path p = tmp.resolve(name);
        Files.writeString(p, text);
        return p;
    }

    private static String model() {
        return TestData.path("models/stories260K.gguf").toString();
    }

    private static void oneCleanErrorLine(CliTest.Run r, String... parts) {
        assertEquals(1, r.code(), r.out() + r.err());
        String last = r.err().strip().lines().reduce((a, b) -> b).orElse("");
        assertTrue(last.startsWith("jllm: error: "), r.err());
        for (String p : parts) assertTrue(last.contains(p), "missing '" + p + "' in " + last);
        assertFalse(r.err().contains("\tat "), "no stack trace");
    }

    // ---- multiple choice on a real model -------------------------------------------------------

    /** Three hand-built items whose contexts have exactly m + 2 tokens for an m-token continuation (checked below). */
    private static final String[][] MC = {
        {"Once upon", "a", "time", "the"},
        {"Lily was", "happy", "big", "very"},
        {"Once upon a", "sad", "dog", "sun"},
    };
    private static final int[] GOLD = {1, 0, 1};

    @Test
    void multipleChoiceScoresEachChoiceWithThePerplexityPathsLogLikelihood() throws Exception {
        StringBuilder jsonl = new StringBuilder();
        for (int i = 0; i < MC.length; i++) {
            ObjectNode o = JSON.createObjectNode().put("id", "s" + i).put("context", MC[i][0]).put("gold", GOLD[i]);
            var c = o.putArray("choices");
            for (int k = 1; k < MC[i].length; k++) c.add(MC[i][k]);
            jsonl.append(o).append('\n');
        }
        file("mc.jsonl", jsonl.toString());
        Path yaml = file("mc.yaml", "name: stories-mc\ntype: multiple_choice\ndata: mc.jsonl\nid: id\nprompt: \"{context}\"\nchoices_field: choices\nanswer: gold\n");
        Path out = tmp.resolve("mc-out");
        CliTest.Run r = CliTest.run("eval", "run", "--task", yaml.toString(), "-m", model(), "--out", out.toString(), "-t", "1");
        assertEquals(0, r.code(), r.out() + r.err());
        JsonNode res = JSON.readTree(out.resolve("results.json").toFile());
        double correct = 0, correctNorm = 0;
        try (LoadedModel m = LoadedModel.open(Path.of(model()), null, 1)) {
            Transformer tr = m.transformer(GgmlType.F16, 0); // jllm eval run's default --cache-type
            for (int i = 0; i < MC.length; i++) {
                JsonNode item = res.get("items").get(i);
                assertEquals("s" + i, item.get("id").asText());
                double[] truth = new double[MC[i].length - 1];
                for (int k = 0; k < truth.length; k++) {
                    // lm-evaluation-harness's tokens: BOS + context, then what " choice" adds to them
                    int[] ctx = m.tokenizer.encode(MC[i][0], true, false);
                    int[] whole = m.tokenizer.encode(MC[i][0] + " " + MC[i][k + 1], true, false);
                    int[] cont = Arrays.copyOfRange(whole, ctx.length, whole.length);
                    assertArrayEquals(ctx, Arrays.copyOf(whole, ctx.length), "the context's tokens are a prefix");
                    // the perplexity path: one chunk of n = whole.length tokens scores tokens n/2+1 .. n-1, exactly the continuation
                    assertEquals(ctx.length, cont.length + 2, "item " + i + " choice " + k + ": context " + Arrays.toString(ctx) + " continuation " + Arrays.toString(cont));
                    Perplexity.Result p = Perplexity.compute(tr, whole, whole.length, m.tokenizer.chunkBos(), null);
                    assertEquals(cont.length, p.scored());
                    truth[k] = -Math.log(p.ppl()) * p.scored();
                    assertEquals(truth[k], ownLogLikelihood(tr, whole, cont.length), 1e-12);
                    assertEquals(truth[k], item.get("loglikelihoods").get(k).asDouble(), 1e-9, "item " + i + " choice " + k);
                    assertEquals(cont.length, item.get("choice_tokens").get(k).asInt());
                }
                int argmax = 0;
                for (int k = 1; k < truth.length; k++) if (truth[k] > truth[argmax]) argmax = k;
                assertEquals(MC[i][argmax + 1], item.get("output").asText(), "acc's choice is the argmax");
                assertEquals(argmax == GOLD[i] ? 1.0 : 0.0, item.get("scores").get("acc").asDouble());
                correct += argmax == GOLD[i] ? 1 : 0;
                int argNorm = 0;
                for (int k = 1; k < truth.length; k++) {
                    if (truth[k] / MC[i][k + 1].length() > truth[argNorm] / MC[i][argNorm + 1].length()) argNorm = k;
                }
                correctNorm += argNorm == GOLD[i] ? 1 : 0;
            }
        }
        JsonNode acc = res.get("summary").get("metrics").get("acc");
        assertEquals(correct / 3, acc.get("value").asDouble(), 1e-12);
        assertEquals(correctNorm / 3, res.get("summary").get("metrics").get("acc_norm").get("value").asDouble(), 1e-12);
        assertEquals(64, res.get("summary").get("target").get("model_sha256").asText().length());
        assertTrue(r.out().contains("stories-mc on stories260K.gguf"), r.out());
        assertTrue(r.out().contains("  acc       "), r.out());
        assertEquals(3, Files.readAllLines(out.resolve("scores.jsonl")).size());
    }

    /** log p(continuation | prefix) from logits at every position, written out here independently of the engine's helpers. */
    private static double ownLogLikelihood(Transformer tr, int[] tokens, int m) {
        KvCacheManager kv = tr.cache();
        int seq = kv.allocate();
        try {
            float[][] logits = tr.forward(Batch.of(seq, tokens, 0, Batch.Logits.ALL)).get(0);
            double sum = 0;
            for (int p = tokens.length - m; p < tokens.length; p++) {
                float[] row = logits[p - 1];
                float max = Float.NEGATIVE_INFINITY;
                for (float v : row) max = Math.max(max, v);
                double z = 0;
                for (float v : row) z += Math.exp(v - max);
                sum += row[tokens[p]] - max - Math.log(z);
            }
            return sum;
        } finally {
            kv.free(seq);
        }
    }

    /**
     * Multiple choice against jllm serve: the URL target scores through /v1/completions with echo +
     * logprobs and gets the local run's log-likelihoods, token counts and choices.
     */
    @Test
    void multipleChoiceThroughJllmServeEqualsTheLocalRun() throws Exception {
        StringBuilder jsonl = new StringBuilder();
        for (int i = 0; i < MC.length; i++) {
            ObjectNode o = JSON.createObjectNode().put("id", "s" + i).put("context", MC[i][0]).put("gold", GOLD[i]);
            var c = o.putArray("choices");
            for (int k = 1; k < MC[i].length; k++) c.add(MC[i][k]);
            jsonl.append(o).append('\n');
        }
        file("mcu.jsonl", jsonl.toString());
        Path yaml = file("mcu.yaml", "name: stories-mc\ntype: multiple_choice\ndata: mcu.jsonl\nid: id\nprompt: \"{context}\"\nchoices_field: choices\nanswer: gold\n");
        CliTest.Run local = CliTest.run("eval", "run", "--task", yaml.toString(), "-m", model(), "--out", tmp.resolve("mcu-local").toString(), "-t", "1");
        assertEquals(0, local.code(), local.out() + local.err());
        ChatServer.Options o = ChatServer.Options.defaults(Path.of(model()), tmp.resolve("mcu-data"), ApiKeys.disabled()).withPort(0)
                .withResources(2, 16L << 20);
        try (ChatServer server = ChatServer.start(o)) {
            CliTest.Run url = CliTest.run("eval", "run", "--task", yaml.toString(), "--url", server.uri().toString(), "--out",
                    tmp.resolve("mcu-url").toString());
            assertEquals(0, url.code(), url.out() + url.err());
        }
        JsonNode a = JSON.readTree(tmp.resolve("mcu-local/results.json").toFile()).get("items");
        JsonNode b = JSON.readTree(tmp.resolve("mcu-url/results.json").toFile()).get("items");
        for (int i = 0; i < MC.length; i++) {
            for (int k = 0; k < MC[i].length - 1; k++) {
                assertEquals(a.get(i).get("loglikelihoods").get(k).asDouble(), b.get(i).get("loglikelihoods").get(k).asDouble(), 1e-4,
                        "item " + i + " choice " + k);
                assertEquals(a.get(i).get("choice_tokens").get(k), b.get(i).get("choice_tokens").get(k));
            }
            assertEquals(a.get(i).get("output"), b.get(i).get("output"));
        }
    }

    /**
     * The seed's Q19 as docs/EVALUATION.md measures it: the committed story-length task on stories260K (which rambles past
     * 100 characters) through jllm serve, without and with --max-output-chars 100. The budget must bring every answer within
     * the limit (the documented 48/48); without it most answers are longer (17/48 within).
     */
    @Test
    void theLengthBudgetMakesTheStoryTaskCompliant() throws Exception {
        Path task = TestData.path("eval/tasks/story-length.yaml");
        double[] compliance = new double[2];
        for (int budget = 0; budget < 2; budget++) {
            ChatServer.Options o = ChatServer.Options.defaults(Path.of(model()), tmp.resolve("len-data" + budget), ApiKeys.disabled()).withPort(0)
                    .withResources(2, 16L << 20).withOutputs(budget == 1 ? 100 : 0, dev.jllm.engine.Pooling.MEAN);
            Path out = tmp.resolve("len" + budget);
            try (ChatServer server = ChatServer.start(o)) {
                CliTest.Run r = CliTest.run("eval", "run", "--task", task.toString(), "--url", server.uri().toString(), "--out", out.toString());
                assertEquals(0, r.code(), r.out() + r.err());
            }
            JsonNode summary = JSON.readTree(out.resolve("results.json").toFile()).get("summary");
            assertEquals(0, summary.get("refused").asInt(), "every prompt fits stories260K's 128 tokens with max_tokens 64");
            compliance[budget] = summary.get("metrics").get("length").get("value").asDouble();
        }
        assertTrue(compliance[0] < 0.6, "without a budget most stories run past 100 characters: " + compliance[0]);
        assertEquals(1.0, compliance[1], 0.0, "with --max-output-chars 100 every answer is within the limit");
    }

    @Test
    void localGenerationIsJllmGeneratesDecodeLoop() throws Exception {
        file("g.jsonl", "{\"p\": \"Once upon a time\", \"a\": \"there was a girl\"}\n{\"p\": \"Lily and Tom\", \"a\": \"went to the park\"}\n");
        Path yaml = file("g.yaml", "type: generate\ndata: g.jsonl\nprompt: \"{p}\"\nanswer: a\nmax_tokens: 24\nmetrics: [rouge-l, exact]\n");
        Path out = tmp.resolve("g-out");
        CliTest.Run r = CliTest.run("eval", "run", "--task", yaml.toString(), "-m", model(), "--out", out.toString(), "-t", "1");
        assertEquals(0, r.code(), r.out() + r.err());
        JsonNode items = JSON.readTree(out.resolve("results.json").toFile()).get("items");
        for (int i = 0; i < 2; i++) {
            CliTest.Run g = CliTest.run("generate", "-m", model(), "-p", items.get(i).get("prompt").asText(), "-n", "24", "--temp", "0", "-t", "1");
            assertEquals(g.out(), items.get(i).get("output").asText() + "\n");
        }
        CliTest.Run c = CliTest.run("eval", "run", "--task", yaml.toString(), "-m", model(), "--out", tmp.resolve("g-chat").toString(), "-t", "1", "--chat");
        assertEquals(0, c.code(), c.out() + c.err());
        assertEquals("chat template (one user message)",
                JSON.readTree(tmp.resolve("g-chat/results.json").toFile()).get("summary").get("target").get("prompt_format").asText());
    }

    // ---- generation against a fake server ---------------------------------------------------

    /** Answers each chat completion from a table keyed by a text the prompt contains; can fail the n-th call. */
    static final class FakeServer extends FakeHttpServer {
        final Map<String, String> answers;
        final List<JsonNode> bodies = new CopyOnWriteArrayList<>();
        volatile int failAtCall = -1;
        /** Prompts containing this text get a 400, as a server refuses one request (e.g. a prompt longer than its context). */
        volatile String refuse;

        FakeServer(Map<String, String> answers) throws IOException {
            this.answers = answers;
            start();
        }

        @Override
        void handle(HttpExchange ex) throws IOException {
            ObjectNode r = JSON.createObjectNode();
            switch (ex.getRequestURI().getPath()) {
                case "/v1/models" -> r.putArray("data").addObject().put("id", "fake");
                case "/v1/chat/completions" -> {
                    JsonNode body = JSON.readTree(ex.getRequestBody());
                    if (bodies.size() == failAtCall) {
                        failAtCall = -1;
                        send(ex, 500, "{\"error\":{\"message\":\"the server fell over\"}}");
                        return;
                    }
                    bodies.add(body);
                    String prompt = body.get("messages").get(0).get("content").asText();
                    if (refuse != null && prompt.contains(refuse)) {
                        send(ex, 400, "{\"error\":{\"message\":\"the prompt is too long for this model\",\"type\":\"invalid_request_error\"}}");
                        return;
                    }
                    String a = answers.entrySet().stream().filter(e -> prompt.contains(e.getKey())).map(Map.Entry::getValue).findFirst().orElse("?");
                    r.putArray("choices").addObject().putObject("message").put("role", "assistant").put("content", a);
                }
                default -> {
                    send(ex, 404, "{\"error\":{\"message\":\"no route\"}}");
                    return;
                }
            }
            send(ex, 200, r.toString());
        }

    }

    private static final String[][] QA = {
        {"What is the capital of France?", "Paris", "Paris\nQ: and Spain?"},
        {"What stands on the Champ de Mars?", "the Eiffel Tower", "Eiffel Tower"},
        {"Who was the first US president?", "George Washington", "Washington"},
        {"What colour is a clear sky?", "blue", "red"},
    };

    private Path qaTask() throws Exception {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < QA.length; i++) sb.append(JSON.createObjectNode().put("id", "q" + i).put("question", QA[i][0]).put("answer", QA[i][1])).append('\n');
        file("qa.jsonl", sb.toString());
        return file("qa.yaml", "name: qa\ntype: generate\ndata: qa.jsonl\nid: id\nprompt: \"Q: {question}\\nA:\"\nanswer: answer\n"
                + "metrics: [exact, f1, bleu, rouge-l, length]\nextract: first_line\nmax_tokens: 16\nlength_limit: 10\nstop: [\"\\n\\n\"]\n");
    }

    private static Map<String, String> answers(int col) {
        Map<String, String> m = new java.util.LinkedHashMap<>();
        for (String[] q : QA) m.put(q[0], q[col]);
        return m;
    }

    @Test
    void generationOnAUrlIsScoredWithSquadExactMatchF1BleuAndTheirIntervals() throws Exception {
        Path yaml = qaTask();
        Path out = tmp.resolve("gen");
        try (FakeServer s = new FakeServer(answers(2))) {
            CliTest.Run r = CliTest.run("eval", "run", "--task", yaml.toString(), "--url", s.url(), "--out", out.toString());
            assertEquals(0, r.code(), r.out() + r.err());
            assertEquals(4, s.bodies.size());
            JsonNode b = s.bodies.get(0);
            assertEquals("Q: What is the capital of France?\nA:", b.get("messages").get(0).get("content").asText());
            assertEquals(0.0, b.get("temperature").asDouble());
            assertEquals(16, b.get("max_tokens").asInt());
            assertEquals("\n\n", b.get("stop").get(0).asText());
            JsonNode m = JSON.readTree(out.resolve("results.json").toFile()).get("summary").get("metrics");
            // SQuAD: Paris = Paris, "the Eiffel Tower" = "Eiffel Tower" (articles dropped), Washington: F1 2/3, red: 0
            assertInterval(new Bootstrap(Bootstrap.Config.DEFAULT).mean(new double[] {100, 100, 0, 0}).interval(), m.get("exact"));
            assertEquals(50.0, m.get("exact").get("value").asDouble(), 1e-12);
            assertInterval(new Bootstrap(Bootstrap.Config.DEFAULT).mean(new double[] {100, 100, 200.0 / 3, 0}).interval(), m.get("f1"));
            // raw outputs within 10 code points: "Washington" (10) and "red"
            assertEquals(0.5, m.get("length").get("value").asDouble(), 1e-12);
            // BLEU as jllm eval score computes it on the same extracted answers (sacreBLEU-golden-tested)
            Path pred = file("pred.txt", "Paris\nEiffel Tower\nWashington\nred\n"), ref = file("ref.txt", "Paris\nthe Eiffel Tower\nGeorge Washington\nblue\n");
            JsonNode bleu = JSON.readTree(CliTest.run("eval", "score", "--metric", "bleu", "--pred", pred.toString(), "--ref", ref.toString(), "--json").out());
            assertEquals(bleu.get("score").asDouble(), m.get("bleu").get("value").asDouble(), 1e-9);
            assertEquals(bleu.get("ci").get("lo").asDouble(), m.get("bleu").get("lo").asDouble(), 1e-9);
            assertEquals(bleu.get("ci").get("hi").asDouble(), m.get("bleu").get("hi").asDouble(), 1e-9);
            assertTrue(r.out().contains("  exact    50.00 ["), r.out());
            assertTrue(r.out().contains("lengths: 2 of 4 within 10 code points"), r.out());
            List<String> scores = Files.readAllLines(out.resolve("scores.jsonl"));
            assertEquals("{\"id\":\"q2\",\"score\":0.0,\"metric\":\"exact\"}", scores.get(2));
            assertEquals("{\"id\":\"q1\",\"score\":1.0,\"metric\":\"exact\"}", scores.get(1));
            for (String png : List.of("report.html", "bootstrap.png", "length.png")) assertTrue(Files.size(out.resolve(png)) > 100, png);
        }
    }

    @Test
    void anItemTheServerRefusesIsScoredWrongAndTheRunGoesOn() throws Exception {
        Path yaml = qaTask();
        Path out = tmp.resolve("refused");
        try (FakeServer s = new FakeServer(answers(1))) {
            s.refuse = "clear sky";
            CliTest.Run r = CliTest.run("eval", "run", "--task", yaml.toString(), "--url", s.url(), "--out", out.toString());
            assertEquals(0, r.code(), r.out() + r.err());
            assertEquals(4, s.bodies.size());
            assertTrue(r.err().contains("1 of 4 items were refused by the target and scored wrong"), r.err());
            assertTrue(r.err().contains("q3: ") && r.err().contains("the prompt is too long for this model"), r.err());
        }
        JsonNode res = JSON.readTree(out.resolve("results.json").toFile());
        assertEquals(1, res.get("summary").get("refused").asInt());
        assertEquals(75.0, res.get("summary").get("metrics").get("exact").get("value").asDouble(), 1e-9);
        JsonNode q3 = res.get("items").get(3);
        assertEquals("", q3.get("output").asText());
        assertTrue(q3.get("error").asText().contains("HTTP 400"), q3.toString());
        assertEquals(0.0, q3.get("scores").get("length").asDouble(), "no answer is no evidence of length compliance");
        assertEquals(3, res.get("summary").get("length").get("total").asInt(), "the length distribution is that of the answers given");
    }

    private static void assertInterval(Interval want, JsonNode got) {
        assertEquals(want.value(), got.get("value").asDouble(), 1e-9);
        assertEquals(want.lo(), got.get("lo").asDouble(), 1e-9);
        assertEquals(want.hi(), got.get("hi").asDouble(), 1e-9);
    }

    @Test
    void anInterruptedRunResumesAndTwoRunsCompareByItem() throws Exception {
        Path yaml = qaTask();
        Path out = tmp.resolve("resume"), fresh = tmp.resolve("fresh"), tuned = tmp.resolve("tuned");
        try (FakeServer s = new FakeServer(answers(2))) {
            s.failAtCall = 2;
            oneCleanErrorLine(CliTest.run("eval", "run", "--task", yaml.toString(), "--url", s.url(), "--out", out.toString()),
                    "HTTP 500", "the server fell over");
            assertEquals(2, Files.readAllLines(out.resolve("items.jsonl")).size());
            CliTest.Run r = CliTest.run("eval", "run", "--task", yaml.toString(), "--url", s.url(), "--out", out.toString());
            assertEquals(0, r.code(), r.err());
            assertTrue(r.err().contains("resuming: 2 of 4 items already scored"), r.err());
            assertEquals(4, s.bodies.size(), "only the two unfinished items were asked again");
            // four requests in flight give the same results as one at a time
            assertEquals(0, CliTest.run("eval", "run", "--task", yaml.toString(), "--url", s.url(), "--out", fresh.toString(), "--concurrency", "4").code());
            JsonNode a = JSON.readTree(out.resolve("results.json").toFile()).get("summary").get("metrics");
            JsonNode f = JSON.readTree(fresh.resolve("results.json").toFile()).get("summary").get("metrics");
            assertEquals(f, a);
            // a different temperature in the same folder is another run: refused, not mixed
            oneCleanErrorLine(CliTest.run("eval", "run", "--task", yaml.toString(), "--url", s.url(), "--out", out.toString(), "--temp", "0.7"),
                    "holds a different run");
        }
        try (FakeServer s = new FakeServer(answers(1))) {
            assertEquals(0, CliTest.run("eval", "run", "--task", yaml.toString(), "--url", s.url(), "--out", tuned.toString()).code());
        }
        CliTest.Run c = CliTest.run("eval", "compare", "--a", out.resolve("scores.jsonl").toString(), "--b", tuned.resolve("scores.jsonl").toString());
        assertEquals(0, c.code(), c.err());
        assertTrue(c.out().startsWith("4 items matched by id"), c.out());
        assertTrue(c.out().contains("only A right 0, only B right 2, both right 2, both wrong 0"), c.out());
    }

    // ---- the committed tasks ------------------------------------------------------------------

    @Test
    void theMmluSliceRunsWithPerSubjectScoresAndAReport() throws Exception {
        Path out = tmp.resolve("mmlu");
        CliTest.Run r = CliTest.run("eval", "run", "--task", TestData.path("eval/tasks/mmlu.yaml").toString(), "-m", model(), "--out", out.toString(),
                "-t", "1", "--resamples", "1000");
        assertEquals(0, r.code(), r.out() + r.err());
        assertTrue(r.out().contains("mmlu-slice on stories260K.gguf"), r.out());
        assertTrue(r.out().contains("40 items, 5-shot"), r.out());
        for (String s : List.of("conceptual_physics", "elementary_mathematics", "management", "world_religions")) {
            assertTrue(r.out().contains("  " + s + " "), s + " in " + r.out());
        }
        JsonNode res = JSON.readTree(out.resolve("results.json").toFile());
        assertEquals(40, res.get("items").size());
        assertEquals(4, res.get("summary").get("categories").size());
        assertEquals(10, res.get("summary").get("categories").get("management").get("items").asInt());
        // 5-shot MMLU prompts are longer than stories260K's 128 tokens: the left of the context is cut, as the harness does
        assertTrue(res.get("items").get(0).get("truncated_tokens").asInt() > 0);
        assertTrue(res.get("items").get(0).get("prompt").asText().startsWith("The following are multiple choice questions (with answers) about conceptual physics."));
        for (String f : List.of("report.html", "categories.png", "bootstrap.png")) assertTrue(Files.size(out.resolve(f)) > 100, f);
    }

    @Test
    void perplexityTaskEqualsJllmPerplexity() throws Exception {
        Path out = tmp.resolve("ppl");
        CliTest.Run r = CliTest.run("eval", "run", "--task", TestData.path("eval/tasks/tinystories-ppl.yaml").toString(), "-m", model(),
                "--out", out.toString(), "-t", "1");
        assertEquals(0, r.code(), r.out() + r.err());
        CliTest.Run p = CliTest.run("perplexity", "-m", model(), "-f", TestData.path("corpora/tinystories_sample.txt").toString(), "-c", "128", "-t", "1");
        String ppl = p.out().substring(p.out().indexOf("PPL = ") + 6).split(" ")[0];
        assertTrue(r.out().contains("perplexity  " + ppl + " ["), ppl + " in " + r.out());
    }

    @Test
    void theCommittedQaSetsRunAndScoreEveryItem() throws Exception {
        // a server that knows one answer of each set: the scores come out, with references of varying counts (TruthfulQA: 1 to 12)
        try (FakeServer s = new FakeServer(Map.of("What color is the sun when viewed from space?", "The sun is white when viewed from space",
                "胜利纪念柱在哪里？", "德国柏林市区内"))) {
            for (String t : List.of("zh-factual-qa", "en-truthfulqa")) {
                Path out = tmp.resolve(t);
                CliTest.Run r = CliTest.run("eval", "run", "--task", TestData.path("eval/tasks/" + t + ".yaml").toString(), "--url", s.url(),
                        "--out", out.toString(), "--resamples", "1000", "--json");
                assertEquals(0, r.code(), r.err());
                JsonNode summary = JSON.readTree(r.out());
                assertEquals(200, summary.get("items").asInt());
                JsonNode f1 = summary.get("metrics").get("f1");
                assertEquals(100.0 / 200, f1.get("value").asDouble(), 1e-9, t + ": one item of 200 answered right");
                assertTrue(summary.get("categories").size() >= 2, t);
                assertEquals(200, JSON.readTree(out.resolve("results.json").toFile()).get("items").size());
            }
            assertEquals(400, s.bodies.size());
            String zh = s.bodies.stream().map(b -> b.get("messages").get(0).get("content").asText()).filter(p -> p.contains("胜利纪念柱在哪里")).findFirst().orElseThrow();
            assertTrue(zh.startsWith("材料：胜利纪念柱") && zh.endsWith("\n问题：胜利纪念柱在哪里？\n答案："), zh);
        }
    }

    // ---- errors ----------------------------------------------------------------------------------

    @Test
    void badTaskFilesAreOneLineNamingFileLineAndField() throws Exception {
        Path bad = file("bad.yaml", "type: generate\ndata: qa.jsonl\ntemprature: 0\nprompt: \"{q}\"\nanswer: a\n");
        oneCleanErrorLine(CliTest.run("eval", "run", "--task", bad.toString(), "-m", model(), "--out", tmp.resolve("o").toString()),
                "bad.yaml: line 3: unknown key 'temprature'");
        file("items.jsonl", "{\"q\": \"fine\", \"a\": \"x\"}\n{\"q\": \"no answer here\"}\n");
        Path t = file("t.yaml", "type: generate\ndata: items.jsonl\nprompt: \"{q}\"\nanswer: a\n");
        oneCleanErrorLine(CliTest.run("eval", "run", "--task", t.toString(), "-m", model(), "--out", tmp.resolve("o").toString()),
                "items.jsonl: line 2: field 'a' (answer) missing");
        file("mc.jsonl", "{\"q\": \"x\", \"c\": [\"a\", \"b\"], \"g\": 0}\n");
        Path mc = file("mc.yaml", "type: multiple_choice\ndata: mc.jsonl\nprompt: \"{q}\"\nchoices_field: c\nanswer: g\n");
        Path ppl = file("ppl.yaml", "type: perplexity\ntext: items.jsonl\nctx: 64\n");
        try (FakeServer s = new FakeServer(Map.of())) {
            oneCleanErrorLine(CliTest.run("eval", "run", "--task", ppl.toString(), "--url", s.url(), "--out", tmp.resolve("o2").toString()),
                    "ppl.yaml", "--url targets do not give", "-m MODEL.gguf");
            assertTrue(s.bodies.isEmpty());
            oneCleanErrorLine(CliTest.run("eval", "run", "--task", mc.toString(), "-m", model(), "--temp", "0.7", "--out", tmp.resolve("o3").toString()),
                    "--temp does not apply to type multiple_choice tasks");
            oneCleanErrorLine(CliTest.run("eval", "run", "--task", t.toString(), "--url", s.url(), "--lora", "a.gguf", "--out", tmp.resolve("o4").toString()),
                    "--lora does not apply to a --url target");
            oneCleanErrorLine(CliTest.run("eval", "run", "--task", t.toString(), "-m", model(), "--concurrency", "4", "--out", tmp.resolve("o5").toString()),
                    "--concurrency does not apply to a local model");
        }
    }
}

package dev.jllm.eval.metrics;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jllm.testkit.TestData;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** sacreBLEU's own test cases (testdata/eval/sacrebleu-cases.json), to each test's tolerance. */
class SacrebleuGoldenTest {
    private static JsonNode cases;

    @BeforeAll
    static void load() throws Exception {
        cases = new ObjectMapper().readTree(TestData.path("eval/sacrebleu-cases.json").toFile());
    }

    private static List<String> strings(JsonNode a) {
        List<String> out = new ArrayList<>();
        a.forEach(x -> out.add(x.asText()));
        return out;
    }

    private static List<List<String>> streams(JsonNode a) {
        List<List<String>> out = new ArrayList<>();
        a.forEach(x -> out.add(strings(x)));
        return out;
    }

    private static Bleu.Smoothing smoothing(String s) {
        return switch (s) {
            case "none" -> Bleu.Smoothing.NONE;
            case "floor" -> Bleu.Smoothing.FLOOR;
            case "add-k" -> Bleu.Smoothing.ADD_K;
            case "exp" -> Bleu.Smoothing.EXP;
            default -> throw new AssertionError(s);
        };
    }

    /** The configuration each sacreBLEU entry point uses. */
    private static Bleu.Config config(JsonNode c) {
        Double sv = c.has("smooth_value") && !c.get("smooth_value").isNull() ? c.get("smooth_value").asDouble() : null;
        return switch (c.get("call").asText()) {
            // raw_corpus_bleu: no tokenization, floor smoothing (default value 0.1), effective order
            case "raw_corpus_bleu" -> new Bleu.Config(BleuTokenizer.NONE, false, Bleu.Smoothing.FLOOR, sv, 4, true);
            case "corpus_bleu" -> new Bleu.Config(BleuTokenizer.of(c.path("tokenize").asText("13a")), false,
                    smoothing(c.path("smooth_method").asText("exp")), sv, 4, false);
            case "BLEU.corpus_score" -> new Bleu.Config(BleuTokenizer.T13A, false, Bleu.Smoothing.EXP, null, c.get("max_ngram_order").asInt(), false);
            default -> throw new AssertionError(c);
        };
    }

    private static List<String> hyps(JsonNode c) {
        return c.get("hyps").isTextual() ? strings(cases.get("readme_hyps")) : strings(c.get("hyps"));
    }

    private static List<List<String>> refs(JsonNode c) {
        return c.get("refs").isTextual() ? streams(cases.get("readme_refs")) : streams(c.get("refs"));
    }

    @Test
    void corpusBleu() {
        int n = 0;
        for (JsonNode c : cases.get("bleu")) {
            Bleu.Score s = new Bleu(config(c)).corpus(hyps(c), refs(c));
            String what = c.get("test").asText() + " " + c.get("hyps");
            if (c.has("format")) {
                assertEquals(c.get("expected_text").asText(), String.format(Locale.ROOT, c.get("format").asText(), s.score()), what);
            } else {
                assertEquals(c.get("expected").asDouble(), s.score() * c.path("scale").asDouble(1.0), c.get("tolerance").asDouble(), what);
            }
            n++;
        }
        assertEquals(20, n);
    }

    @Test
    void statistics() {
        for (JsonNode c : cases.get("bleu_statistics")) {
            Bleu.Score s = new Bleu(config(c)).corpus(hyps(c), refs(c));
            for (int i = 0; i < 4; i++) {
                assertEquals(c.get("counts").get(i).asDouble(), s.counts()[i]);
                assertEquals(c.get("totals").get(i).asDouble(), s.totals()[i]);
            }
        }
    }

    @Test
    void computeBleuFromStatistics() {
        for (JsonNode c : cases.get("compute_bleu")) {
            double[] correct = new double[4], total = new double[4];
            for (int i = 0; i < 4; i++) {
                correct[i] = c.get("correct").get(i).asDouble();
                total[i] = c.get("total").get(i).asDouble();
            }
            Double sv = c.has("smooth_value") ? c.get("smooth_value").asDouble() : null;
            Bleu.Config cfg = new Bleu.Config(BleuTokenizer.T13A, false, smoothing(c.get("smooth_method").asText()), sv, 4, false);
            double score = Bleu.compute(correct, total, c.get("sys_len").asLong(), c.get("ref_len").asLong(), cfg).score() / 100;
            if (c.path("exact").asBoolean()) assertEquals(c.get("expected").asDouble(), score, 0.0, c.toString());
            else assertEquals(c.get("expected").asDouble(), score, c.get("tolerance").asDouble(), c.toString());
        }
    }

    @Test
    void sentenceBleu() {
        String sys = cases.get("sentence_bleu_sys").asText(), ref = cases.get("sentence_bleu_ref").asText();
        double tol = cases.get("sentence_bleu_tolerance").asDouble();
        int n = 0;
        for (JsonNode c : cases.get("sentence_bleu")) {
            Double sv = c.get("smooth_value").isNull() ? null : c.get("smooth_value").asDouble();
            Bleu.Config cfg = new Bleu.Config(BleuTokenizer.of(c.get("tokenize").asText()), c.get("lowercase").asBoolean(),
                    smoothing(c.get("smooth_method").asText()), sv, 4, true);
            assertEquals(c.get("expected").asDouble(), new Bleu(cfg).sentence(sys, List.of(ref)).score(), tol, c.toString());
            n++;
        }
        assertEquals(12, n);
        String zsys = cases.get("sentence_bleu_zero_sys").asText(), zref = cases.get("sentence_bleu_zero_ref").asText();
        for (JsonNode c : cases.get("sentence_bleu_zero")) {
            Double sv = c.get("smooth_value").isNull() ? null : c.get("smooth_value").asDouble();
            Bleu.Config cfg = new Bleu.Config(BleuTokenizer.T13A, false, smoothing(c.get("smooth_method").asText()), sv, 4, true);
            assertEquals(0.0, new Bleu(cfg).sentence(zsys, List.of(zref)).score(), tol, c.toString());
        }
        // sentence_bleu's defaults are exp smoothing with effective order
        assertEquals(8.493, new Bleu(Bleu.Config.sentence(BleuTokenizer.T13A)).sentence(sys, List.of(ref)).score(), tol);
    }

    private static void chrfCases(String key, Chrf.Config cfg, int expectedCount) {
        double tol = cases.get("chrf_tolerance").asDouble();
        int n = 0;
        for (JsonNode c : cases.get(key)) {
            List<String> hyps = strings(c.get(0));
            double got = new Chrf(cfg).corpus(hyps, List.of(strings(c.get(1))));
            assertEquals(c.get(2).asDouble(), got, tol, key + " " + c);
            n++;
        }
        assertEquals(expectedCount, n, key);
    }

    @Test
    void chrf() {
        chrfCases("chrf_eps_beta3", new Chrf.Config(6, 0, 3, false, false, true), 13);
        chrfCases("chrf_effective_order_beta3", new Chrf.Config(6, 0, 3, false, false, false), 7);
        chrfCases("chrf_keep_whitespace_beta3", new Chrf.Config(6, 0, 3, false, true, false), 2);
        double tol = cases.get("chrf_tolerance").asDouble();
        for (JsonNode c : cases.get("chrf_sentence_eps_default_beta")) {
            double got = new Chrf(new Chrf.Config(6, 0, 2, false, false, true)).sentence(c.get(0).asText(), strings(c.get(1)));
            assertEquals(c.get(2).asDouble(), got, tol, c.toString());
        }
    }
}

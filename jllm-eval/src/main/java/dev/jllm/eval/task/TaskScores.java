package dev.jllm.eval.task;

import dev.jllm.eval.metrics.Bootstrap;
import dev.jllm.eval.metrics.Interval;
import dev.jllm.eval.metrics.ItemStats;
import dev.jllm.eval.metrics.LengthCompliance;
import dev.jllm.eval.metrics.MultipleChoice;
import dev.jllm.eval.metrics.TextMetric;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Every metric of a finished task with its percentile bootstrap CI, overall and per category, from
 * the items' results: acc / acc_norm from the stored log-likelihoods (dev.jllm.eval.metrics.MultipleChoice),
 * the text metrics from the extracted answers against the references (TextMetric: corpus metrics
 * resampled from summed statistics), length compliance on the raw outputs.
 *
 * @param metrics    in the task's order
 * @param categories per category, the same metrics (empty without categories)
 * @param itemScores per metric that has per-item scores, in the items' order (BLEU and chrF do not: they are corpus metrics)
 * @param length     length compliance and distribution, or null without the length metric
 * @param lengths    every output's length in code points (for the histogram)
 */
public record TaskScores(List<Metric> metrics, Map<String, List<Metric>> categories, Map<String, double[]> itemScores,
                         LengthCompliance length, int[] lengths) {

    /** One metric: its value and CI, the bootstrap distribution (sorted), its scale's decimals. */
    public record Metric(String name, String description, Interval interval, double[] distribution, int items, int decimals) {
        public String format() {
            return interval.format(decimals);
        }
    }

    public static TaskScores of(TaskSpec spec, List<ItemResult> results, Bootstrap.Config bc) {
        Bootstrap boot = new Bootstrap(bc);
        List<Metric> overall = new ArrayList<>();
        Map<String, double[]> perItem = new LinkedHashMap<>();
        for (String m : spec.metrics()) {
            ItemStats s = stats(spec, m, results);
            Bootstrap.Result r = boot.of(s);
            overall.add(new Metric(m, describe(spec, m), r.interval(), r.distribution(), results.size(), decimals(m)));
            if (!isCorpus(m)) {
                double[] x = new double[results.size()];
                for (int i = 0; i < x.length; i++) x[i] = s.itemScore(i);
                perItem.put(m, x);
            }
        }
        Map<String, List<ItemResult>> byCat = new TreeMap<>();
        for (ItemResult r : results) if (r.category() != null) byCat.computeIfAbsent(r.category(), c -> new ArrayList<>()).add(r);
        Map<String, List<Metric>> cats = new LinkedHashMap<>();
        for (Map.Entry<String, List<ItemResult>> e : byCat.entrySet()) {
            List<Metric> ms = new ArrayList<>();
            for (String m : spec.metrics()) {
                Bootstrap.Result r = boot.of(stats(spec, m, e.getValue()));
                ms.add(new Metric(m, describe(spec, m), r.interval(), new double[0], e.getValue().size(), decimals(m)));
            }
            cats.put(e.getKey(), ms);
        }
        List<String> outputs = results.stream().map(ItemResult::output).toList();
        int[] lengths = outputs.stream().mapToInt(o -> o.codePointCount(0, o.length())).toArray();
        // the length distribution is that of the answers given; refused items count as non-compliant in the per-item metric
        List<String> answered = results.stream().filter(r -> r.error() == null).map(ItemResult::output).toList();
        LengthCompliance lc = spec.metrics().contains("length") && !answered.isEmpty() ? LengthCompliance.of(answered, spec.lengthLimit()) : null;
        return new TaskScores(overall, cats, perItem, lc, lengths);
    }

    /**
     * Perplexity with a CI: the chunks are the items (each scores the same number of tokens), resampled
     * with their negative log-likelihood sums; PPL = exp(summed NLL / scored tokens), as llama.cpp's.
     */
    public static TaskScores perplexity(EvalTarget.Perplexity p, Bootstrap.Config bc) {
        double[][] rows = new double[p.chunkNll().length][];
        for (int i = 0; i < rows.length; i++) rows[i] = new double[] {p.chunkNll()[i], p.tokensPerChunk()};
        ItemStats s = ItemStats.of(rows, (sums, count) -> Math.exp(sums[0] / sums[1]));
        Bootstrap.Result r = new Bootstrap(bc).of(s);
        Metric m = new Metric("perplexity", "perplexity (llama-perplexity's chunks; the chunks are resampled)", r.interval(), r.distribution(),
                rows.length, 4);
        return new TaskScores(List.of(m), Map.of(), Map.of(), null, new int[0]);
    }

    /** The metric per item, as statistics the bootstrap resamples. */
    static ItemStats stats(TaskSpec spec, String metric, List<ItemResult> results) {
        switch (metric) {
            case "acc", "acc_norm" -> {
                double[] x = new double[results.size()];
                for (int i = 0; i < x.length; i++) {
                    ItemResult r = results.get(i);
                    MultipleChoice.Result mc = MultipleChoice.score(r.logLikelihoods(), r.choices(), r.gold());
                    x[i] = r.error() != null ? 0 : metric.equals("acc") ? mc.acc() : mc.accNorm(); // refused: wrong
                }
                return ItemStats.means(x);
            }
            case "length" -> {
                double[] x = LengthCompliance.itemScores(results.stream().map(ItemResult::output).toList(), spec.lengthLimit());
                for (int i = 0; i < x.length; i++) if (results.get(i).error() != null) x[i] = 0; // no answer is no evidence of compliance
                return ItemStats.means(x);
            }
            default -> {
                List<String> preds = results.stream().map(ItemResult::answer).toList();
                int streams = results.stream().mapToInt(r -> r.references().size()).max().orElse(1);
                List<List<String>> refStreams = new ArrayList<>();
                for (int s = 0; s < streams; s++) {
                    List<String> stream = new ArrayList<>();
                    for (ItemResult r : results) stream.add(s < r.references().size() ? r.references().get(s) : null);
                    refStreams.add(stream);
                }
                return TextMetric.of(metric).stats(preds, refStreams, spec.lang(), false);
            }
        }
    }

    static boolean isCorpus(String metric) {
        return metric.equals("bleu") || metric.equals("chrf") || metric.equals("chrf++");
    }

    static int decimals(String metric) {
        return switch (metric) {
            case "bleu", "chrf", "chrf++", "exact", "f1" -> 2;
            default -> 3;
        };
    }

    static String describe(TaskSpec spec, String metric) {
        return switch (metric) {
            case "acc" -> "acc (lm-evaluation-harness: argmax of summed log-likelihoods, 0-1)";
            case "acc_norm" -> "acc_norm (lm-evaluation-harness: argmax of log-likelihood / choice length in characters, 0-1)";
            case "length" -> "length compliance (fraction of outputs of at most " + spec.lengthLimit() + " code points, 0-1)";
            default -> TextMetric.of(metric).describe(spec.lang());
        };
    }

    /** The metric scores.jsonl and {@code jllm eval compare} use: the task's first metric that has per-item scores, or null. */
    public String perItemMetric() {
        return itemScores.isEmpty() ? null : itemScores.keySet().iterator().next();
    }
}

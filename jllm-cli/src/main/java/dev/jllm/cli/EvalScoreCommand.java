package dev.jllm.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.jllm.eval.metrics.Bleu;
import dev.jllm.eval.metrics.BleuTokenizer;
import dev.jllm.eval.metrics.Bootstrap;
import dev.jllm.eval.metrics.Interval;
import dev.jllm.eval.metrics.ItemStats;
import dev.jllm.eval.metrics.TextMetric;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code jllm eval score}: a metric of line-aligned predictions against references, with its bootstrap CI. */
@Command(name = "score", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Score line-aligned predictions against one or more reference files, like sacreBLEU's command line,",
            "and print the score with its percentile-bootstrap CI (items resampled, corpus metrics recomputed)."})
final class EvalScoreCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(names = "--metric", required = true, description = "bleu, chrf, chrf++, rouge-1, rouge-2, rouge-l, exact or f1") String metric;
    @Option(names = "--pred", required = true, paramLabel = "PRED.txt", description = "one prediction per line") Path pred;
    @Option(names = "--ref", required = true, paramLabel = "REF.txt", description = "one reference per line; repeat for several references per item")
    List<Path> refs;
    @Option(names = "--lang", defaultValue = "en", description = "en or zh: BLEU tokenizer 13a/zh, ROUGE words/characters, SQuAD/CMRC 2018 (default ${DEFAULT-VALUE})")
    String lang;
    @Option(names = "--stem", description = "ROUGE: Porter-stem English words (rouge-score's use_stemmer)") boolean stem;
    @Mixin EvalOptions options;

    @Override
    public Integer call() throws Exception {
        TextMetric m = TextMetric.of(metric);
        TextMetric.Lang l = switch (lang.toLowerCase(Locale.ROOT)) {
            case "en" -> TextMetric.Lang.EN;
            case "zh" -> TextMetric.Lang.ZH;
            default -> throw new IllegalArgumentException("--lang must be en or zh, got '" + lang + "'");
        };
        Bootstrap.Config bc = options.bootstrap();
        List<String> preds = EvalFiles.lines(pred);
        if (preds.isEmpty()) throw new IllegalArgumentException(pred + ": no lines to score");
        List<List<String>> streams = new ArrayList<>();
        for (Path r : refs) {
            List<String> lines = EvalFiles.lines(r);
            if (lines.size() != preds.size()) {
                throw new IllegalArgumentException(r + ": " + lines.size() + " lines but " + pred + " has " + preds.size()
                        + " (files must be line-aligned: line " + (Math.min(lines.size(), preds.size()) + 1) + " has no partner)");
            }
            streams.add(lines);
        }
        ItemStats stats = m.stats(preds, streams, l, stem);
        Interval ci = new Bootstrap(bc).of(stats).interval();
        int decimals = m == TextMetric.ROUGE_1 || m == TextMetric.ROUGE_2 || m == TextMetric.ROUGE_L ? 4 : 2;
        PrintWriter out = spec.commandLine().getOut();
        Bleu.Score bleu = m == TextMetric.BLEU
                ? new Bleu(Bleu.Config.corpus(l == TextMetric.Lang.ZH ? BleuTokenizer.ZH : BleuTokenizer.T13A)).corpus(preds, streams) : null;
        if (options.json) {
            ObjectMapper om = new ObjectMapper();
            ObjectNode j = om.createObjectNode();
            j.put("metric", m.cliName()).put("lang", l.name().toLowerCase(Locale.ROOT)).put("definition", m.describe(l));
            j.put("score", ci.value());
            j.putObject("ci").put("lo", ci.lo()).put("hi", ci.hi()).put("half_width", ci.halfWidth()).put("confidence", ci.confidence());
            j.put("items", preds.size()).put("references", refs.size()).put("resamples", bc.resamples()).put("seed", bc.seed());
            if (bleu != null) {
                ObjectNode b = j.putObject("bleu");
                b.put("bp", bleu.bp()).put("ratio", bleu.ratio()).put("hyp_len", bleu.sysLen()).put("ref_len", bleu.refLen());
                var p = b.putArray("precisions");
                for (double x : bleu.precisions()) p.add(x);
            }
            out.println(om.writerWithDefaultPrettyPrinter().writeValueAsString(j));
            return 0;
        }
        out.println(m.describe(l));
        out.printf(Locale.ROOT, "  %s   %d items, %d reference%s; %s%n", ci.format(decimals), preds.size(), refs.size(),
                refs.size() == 1 ? "" : "s", options.describe());
        if (bleu != null) {
            StringBuilder prec = new StringBuilder();
            for (double x : bleu.precisions()) prec.append(prec.isEmpty() ? "" : "/").append(String.format(Locale.ROOT, "%.1f", x));
            out.printf(Locale.ROOT, "  %s (BP = %.3f ratio = %.3f hyp_len = %d ref_len = %d)%n", prec, bleu.bp(), bleu.ratio(), bleu.sysLen(), bleu.refLen());
        }
        return 0;
    }
}

package dev.jllm.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.jllm.eval.metrics.Bootstrap;
import dev.jllm.eval.metrics.Interval;
import dev.jllm.eval.metrics.SampleSize;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code jllm eval bootstrap}: the CI of an accuracy or a mean score, and how many items a target half-width needs. */
@Command(name = "bootstrap", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Percentile-bootstrap CI of an accuracy (K correct of N) or of the mean of per-item scores, and the",
            "number of items a target half-width needs by the normal approximation n = z^2 p(1-p) / h^2."})
final class EvalBootstrapCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @ArgGroup(exclusive = true, multiplicity = "1", heading = "Input (one of):%n")
    Input input;

    static final class Input {
        @ArgGroup(exclusive = false) Counts counts;
        @Option(names = "--scores", paramLabel = "FILE.jsonl", description = "per-item scores, one per line: 0/1, a number, true/false, or {\"score\": ...}")
        Path scores;
    }

    static final class Counts {
        @Option(names = "--correct", required = true, paramLabel = "K", description = "items right") int correct;
        @Option(names = "--total", required = true, paramLabel = "N", description = "items in all") int total;
    }

    @Option(names = "--target-half-width", defaultValue = "0.03", paramLabel = "H",
            description = "the half-width to plan for, in score units (default ${DEFAULT-VALUE}, i.e. ±3 points of accuracy)")
    double target;
    @Mixin EvalOptions options;

    @Override
    public Integer call() throws Exception {
        double[] scores;
        String source;
        if (input.scores != null) {
            List<EvalFiles.Scored> s = EvalFiles.scores(input.scores, false);
            scores = s.stream().mapToDouble(EvalFiles.Scored::score).toArray();
            source = input.scores.toString();
        } else {
            int k = input.counts.correct, n = input.counts.total;
            if (n < 1 || k < 0 || k > n) throw new IllegalArgumentException("need 0 <= --correct <= --total and --total >= 1, got " + k + " of " + n);
            scores = new double[n];
            Arrays.fill(scores, 0, k, 1.0);
            source = k + "/" + n;
        }
        if (!(target > 0)) throw new IllegalArgumentException("--target-half-width must be > 0, got " + target);
        Bootstrap.Config bc = options.bootstrap();
        Interval ci = new Bootstrap(bc).mean(scores).interval();
        int n = scores.length;
        double mean = ci.value(), var = 0;
        for (double x : scores) var += (x - mean) * (x - mean);
        var /= n; // population variance: p(1-p) for 0/1 scores
        boolean binary = Arrays.stream(scores).allMatch(x -> x == 0 || x == 1);
        double z = SampleSize.z(bc.confidence());
        double normalHalf = SampleSize.halfWidthForVariance(var, n, bc.confidence());
        long needed = SampleSize.itemsForVariance(var == 0 ? 0.25 : var, target, bc.confidence());
        PrintWriter out = spec.commandLine().getOut();
        if (options.json) {
            ObjectMapper om = new ObjectMapper();
            ObjectNode j = om.createObjectNode();
            j.put("items", n).put("mean", mean);
            j.putObject("ci").put("lo", ci.lo()).put("hi", ci.hi()).put("half_width", ci.halfWidth()).put("confidence", ci.confidence());
            j.put("resamples", bc.resamples()).put("seed", bc.seed());
            j.putObject("normal_approximation").put("z", z).put("variance", var).put("half_width", normalHalf)
                    .put("target_half_width", target).put("items_needed", needed);
            out.println(om.writerWithDefaultPrettyPrinter().writeValueAsString(j));
            return 0;
        }
        String what = binary ? "accuracy" : "mean score";
        String spread = binary ? String.format(Locale.ROOT, "%.3f·%.3f", mean, 1 - mean) : String.format(Locale.ROOT, "%.4f", var);
        String form = binary ? "p(1-p)" : "variance";
        out.printf(Locale.ROOT, "%s  %s   %s, %d items; %s%n", what, ci.format(3), source, n, options.describe());
        out.printf(Locale.ROOT, "normal approximation: ±%.3f = z·sqrt(%s/n) = %.3f·sqrt(%s/%d)%n", normalHalf, form, z, spread, n);
        out.printf(Locale.ROOT, "items needed for ±%.3f: %,d = ceil(z²·%s/h²) = ceil(%.3f²·%s/%.3f²) (normal approximation%s)%n", target, needed,
                form, z, var == 0 ? "0.25" : spread, target, var == 0 ? "; no spread observed, planned with p = 0.5" : "");
        return 0;
    }
}

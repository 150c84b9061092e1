package dev.jllm.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.jllm.eval.metrics.Bootstrap;
import dev.jllm.eval.metrics.Interval;
import dev.jllm.eval.metrics.ItemStats;
import dev.jllm.eval.metrics.McNemar;
import dev.jllm.eval.metrics.PairedBootstrap;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code jllm eval compare}: two systems' per-item scores on the same items, matched by id. */
@Command(name = "compare", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Compare two systems scored on the same items (JSONL lines {\"id\": ..., \"score\": ...}, matched by id):",
            "each mean with its CI, the difference A - B with a paired-bootstrap CI and p-value, and McNemar's test when",
            "every score is 0/1 (exact binomial for fewer than 25 discordant items, else chi-square with continuity correction)."})
final class EvalCompareCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(names = "--a", required = true, paramLabel = "A.jsonl", description = "system A's per-item scores") Path a;
    @Option(names = "--b", required = true, paramLabel = "B.jsonl", description = "system B's per-item scores") Path b;
    @Mixin EvalOptions options;

    @Override
    public Integer call() throws Exception {
        List<EvalFiles.Scored> sa = EvalFiles.scores(a, true), sb = EvalFiles.scores(b, true);
        Map<String, EvalFiles.Scored> byId = new HashMap<>();
        for (EvalFiles.Scored s : sb) byId.put(s.id(), s);
        int n = sa.size();
        double[] xa = new double[n], xb = new double[n];
        for (int i = 0; i < n; i++) {
            EvalFiles.Scored s = sa.get(i), t = byId.remove(s.id());
            if (t == null) throw new IllegalArgumentException(b + ": no item with id '" + s.id() + "' (" + a + " line " + s.line() + ")");
            xa[i] = s.score();
            xb[i] = t.score();
        }
        if (!byId.isEmpty()) {
            EvalFiles.Scored extra = byId.values().stream().min((x, y) -> Integer.compare(x.line(), y.line())).orElseThrow();
            throw new IllegalArgumentException(a + ": no item with id '" + extra.id() + "' (" + b + " line " + extra.line() + ")");
        }
        Bootstrap.Config bc = options.bootstrap();
        Interval ca = new Bootstrap(bc).mean(xa).interval(), cb = new Bootstrap(bc).mean(xb).interval();
        PairedBootstrap.Result paired = new PairedBootstrap(bc).compare(ItemStats.means(xa), ItemStats.means(xb));
        boolean binary = isBinary(xa) && isBinary(xb);
        McNemar mc = null;
        if (binary) {
            boolean[] ba = new boolean[n], bb = new boolean[n];
            for (int i = 0; i < n; i++) {
                ba[i] = xa[i] == 1;
                bb[i] = xb[i] == 1;
            }
            mc = McNemar.of(ba, bb);
        }
        PrintWriter out = spec.commandLine().getOut();
        if (options.json) {
            ObjectMapper om = new ObjectMapper();
            ObjectNode j = om.createObjectNode();
            j.put("items", n);
            interval(j.putObject("a"), ca).put("file", a.toString());
            interval(j.putObject("b"), cb).put("file", b.toString());
            interval(j.putObject("difference"), paired.difference()).put("p_value", paired.pValue());
            j.put("resamples", bc.resamples()).put("seed", bc.seed());
            if (mc != null) {
                j.putObject("mcnemar").put("method", mc.method().label()).put("both_right", mc.bothRight()).put("only_a", mc.onlyA())
                        .put("only_b", mc.onlyB()).put("both_wrong", mc.bothWrong()).put("statistic", mc.statistic()).put("p_value", mc.pValue());
            }
            out.println(om.writerWithDefaultPrettyPrinter().writeValueAsString(j));
            return 0;
        }
        out.printf(Locale.ROOT, "%d items matched by id; %s%n", n, options.describe());
        out.printf(Locale.ROOT, "A      %s   %s%n", ca.format(3), a);
        out.printf(Locale.ROOT, "B      %s   %s%n", cb.format(3), b);
        out.printf(Locale.ROOT, "A - B  %s   paired bootstrap p = %s%n", paired.difference().format(3), p(paired.pValue()));
        if (mc == null) {
            out.println("McNemar: not applicable (scores are not all 0/1)");
        } else {
            String stat = mc.method() == McNemar.Method.EXACT_BINOMIAL ? "" : String.format(Locale.ROOT, "chi² = %.3f, ", mc.statistic());
            out.printf(Locale.ROOT, "McNemar (%s): only A right %d, only B right %d, both right %d, both wrong %d: %sp = %s%n",
                    mc.method().label(), mc.onlyA(), mc.onlyB(), mc.bothRight(), mc.bothWrong(), stat, p(mc.pValue()));
        }
        return 0;
    }

    private static ObjectNode interval(ObjectNode o, Interval i) {
        return o.put("value", i.value()).put("lo", i.lo()).put("hi", i.hi()).put("half_width", i.halfWidth());
    }

    private static boolean isBinary(double[] x) {
        for (double v : x) if (v != 0 && v != 1) return false;
        return true;
    }

    private static String p(double p) {
        return p < 0.001 ? String.format(Locale.ROOT, "%.2e", p) : String.format(Locale.ROOT, "%.4f", p);
    }
}

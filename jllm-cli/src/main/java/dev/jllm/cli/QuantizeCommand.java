package dev.jllm.cli;

import dev.jllm.model.ModelFile;
import dev.jllm.model.Quantizer;
import dev.jllm.tensor.GgmlType;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code jllm quantize}: rewrite a model's weights in a quantized type, with llama.cpp's per-tensor rules. */
@Command(name = "quantize", mixinStandardHelpOptions = true,
        description = "Quantize a model: Q8_0, Q4_0, Q4_1, Q4_K(_S/_M), Q5_K(_S/_M), Q6_K, F16, BF16 (llama.cpp-compatible blocks).")
final class QuantizeCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Parameters(index = "0", paramLabel = "IN") Path in;
    @Parameters(index = "1", paramLabel = "OUT") Path out;

    @Option(names = "--type", required = true, paramLabel = "TYPE") String type;

    @Option(names = "--pure", description = "every matrix gets TYPE (no Q6_K output, no _M mixes)") boolean pure;

    @Override
    public Integer call() throws Exception {
        Quantizer.Target target = Quantizer.Target.parse(type);
        if (in.toAbsolutePath().normalize().equals(out.toAbsolutePath().normalize())) {
            throw new IllegalArgumentException("OUT must differ from IN (" + in + ")");
        }
        try (ModelFile m = ModelFile.open(in)) {
            long total = 0;
            for (var c : Quantizer.plan(m, target, pure)) total += c.bytesOut();
            var plan = Quantizer.plan(m, target, pure);
            try (Progress p = new Progress(spec.commandLine().getErr(), "quantize", total, true)) {
                Quantizer.quantize(m, target, pure, out, p::add);
                PrintWriter o = spec.commandLine().getOut();
                Map<GgmlType, long[]> byType = new TreeMap<>();
                long in0 = 0, out0 = 0;
                for (var c : plan) {
                    long[] a = byType.computeIfAbsent(c.to(), k -> new long[2]);
                    a[0]++;
                    a[1] += c.bytesOut();
                    in0 += c.bytesIn();
                    out0 += c.bytesOut();
                }
                o.printf(Locale.ROOT, "quantized %s -> %s as %s%s in %.1f s%n", in, out, target.name(), pure ? " (pure)" : "", p.seconds());
                byType.forEach((t, a) -> o.printf(Locale.ROOT, "  %-6s %4d tensors %12s%n", t, a[0], Units.bytes(a[1])));
                o.printf(Locale.ROOT, "  tensors %s -> %s (%.2fx smaller), file %s%n", Units.bytes(in0), Units.bytes(out0),
                        in0 / (double) out0, Units.bytes(Files.size(out)));
            }
        }
        return 0;
    }
}

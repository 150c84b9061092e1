package dev.jllm.cli;

import dev.jllm.model.LoraAdapter;
import dev.jllm.model.ModelFile;
import dev.jllm.model.Quantizer;
import dev.jllm.train.ModelIO;
import dev.jllm.train.Params;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code jllm finetune merge BASE ADAPTER OUT}: W + strength·(α/r)·B·A for every adapted matrix, in
 * fp32 from the base's (dequantized) weights, written as an F32 GGUF or re-quantized with
 * {@code --type} (llama.cpp's rules, as {@code jllm quantize}).
 */
@Command(name = "merge", mixinStandardHelpOptions = true,
        description = "Merge a LoRA adapter into its base model: OUT = W + s·B·A (F32, or --type to re-quantize).")
final class FinetuneMergeCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Parameters(index = "0", paramLabel = "BASE") Path base;
    @Parameters(index = "1", paramLabel = "ADAPTER") Path adapter;
    @Parameters(index = "2", paramLabel = "OUT") Path out;
    @Option(names = "--type", paramLabel = "TYPE", description = "re-quantize the merged model: Q8_0, Q4_0, Q4_K_M, ... (default: F32)") String type;
    @Option(names = "--lora-scale", defaultValue = "1", description = "strength of the adapter (default ${DEFAULT-VALUE})") float scale;

    @Override
    public Integer call() throws Exception {
        Quantizer.Target target = type == null ? null : Quantizer.Target.parse(type);
        if (out.toAbsolutePath().normalize().equals(base.toAbsolutePath().normalize())) throw new IllegalArgumentException("OUT must differ from BASE");
        PrintWriter o = spec.commandLine().getOut();
        LoraAdapter a = LoraAdapter.read(adapter);
        ModelIO.Loaded m = ModelIO.load(base, true);
        if (!a.architecture.equals(m.params().config.architecture())) {
            throw new IllegalArgumentException(adapter + " is for architecture '" + a.architecture + "', " + base + " is '" + m.params().config.architecture() + "'");
        }
        float s = a.scale() * scale;
        for (LoraAdapter.Pair p : a.pairs.values()) {
            Params.Tensor t = m.params().tensors().stream().filter(x -> x.name().equals(p.weight())).findFirst()
                    .orElseThrow(() -> new IllegalArgumentException(adapter + " adapts '" + p.weight() + "', which " + base + " does not have"));
            if (t.dims()[0] != p.in() || t.dims()[1] != p.out()) {
                throw new IllegalArgumentException(adapter + ": " + p.weight() + " is for a (" + p.out() + ", " + p.in() + ") matrix, the base's is ("
                        + t.dims()[1] + ", " + t.dims()[0] + ")");
            }
            float[] row = new float[p.in()];
            for (int r = 0; r < p.out(); r++) {
                System.arraycopy(t.data(), r * p.in(), row, 0, p.in());
                LoraAdapter.mergeRow(p, s, r, row);
                System.arraycopy(row, 0, t.data(), r * p.in(), p.in());
            }
        }
        String name = base.getFileName().toString().replaceFirst("\\.gguf$", "") + "+" + adapter.getFileName().toString().replaceFirst("\\.gguf$", "");
        if (target == null) {
            ModelIO.export(m.params(), m.metadata(), name, out);
        } else {
            Path tmp = Files.createTempFile(out.toAbsolutePath().getParent(), "merge-", ".f32.gguf");
            try {
                ModelIO.export(m.params(), m.metadata(), name, tmp);
                try (ModelFile f = ModelFile.open(tmp)) {
                    Quantizer.quantize(f, target, false, out, n -> { });
                }
            } finally {
                Files.deleteIfExists(tmp);
            }
        }
        o.printf(Locale.ROOT, "merged %s (%d matrices, rank %d, scale %.4g) into %s -> %s%s%n", adapter, a.pairs.size(), a.rank(), s, base, out,
                target == null ? " (F32)" : " (" + target.name() + ")");
        return 0;
    }
}

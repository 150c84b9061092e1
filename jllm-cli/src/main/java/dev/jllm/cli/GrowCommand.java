package dev.jllm.cli;

import dev.jllm.train.Deepen;
import dev.jllm.train.ModelIO;
import dev.jllm.train.Params;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code jllm grow IN OUT --layers N}: a deeper model that computes the same function, to train on from there ({@link Deepen}). */
@Command(name = "grow", mixinStandardHelpOptions = true,
        description = {"Grow a trained llama model in depth without changing what it computes: each block is followed by copies of itself"
                + " whose output projections (attn_output, ffn_down) are zero, so the grown model gives the same logits; training"
                + " (jllm train / jllm finetune --full) then uses the new depth. Input: an F32/F16/BF16 GGUF; output: F32.",
            "Example: jllm grow sft.gguf sft-8l.gguf --layers 8 && jllm finetune --full --model sft-8l.gguf ..."})
final class GrowCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Parameters(index = "0", paramLabel = "IN", description = "trained model (llama, F32/F16/BF16)") Path in;
    @Parameters(index = "1", paramLabel = "OUT", description = "grown model (F32 GGUF)") Path out;

    @Option(names = "--layers", required = true, paramLabel = "N", description = "number of blocks of the grown model: a multiple of IN's (2× is usual)")
    int layers;

    @Override
    public Integer call() throws Exception {
        if (out.toAbsolutePath().normalize().equals(in.toAbsolutePath().normalize())) throw new IllegalArgumentException("OUT must differ from IN");
        ModelIO.Loaded m = ModelIO.load(in);
        Params g = Deepen.deepen(m.params(), layers);
        String name = in.getFileName().toString().replaceFirst("(?i)\\.gguf$", "") + "-" + layers + "l";
        ModelIO.export(g, m.metadata(), name, out);
        spec.commandLine().getOut().printf(Locale.ROOT, "grew %s (%d layers, %,d parameters) -> %s (%d layers, %,d parameters; the added blocks' outputs are zero)%n",
                in, m.params().config.nLayers(), m.params().count(), out, layers, g.count());
        return 0;
    }
}

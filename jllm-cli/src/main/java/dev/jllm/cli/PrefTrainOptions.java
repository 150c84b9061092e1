package dev.jllm.cli;

import dev.jllm.sft.Format;
import dev.jllm.tensor.Parallel;
import dev.jllm.train.LlamaModel;
import dev.jllm.train.LoraConfig;
import dev.jllm.train.LoraParams;
import dev.jllm.train.ModelIO;
import dev.jllm.train.pref.Checkpointing;
import dev.jllm.train.pref.PrefOptions;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import picocli.CommandLine.Option;

/** The options {@code jllm dpo}, {@code jllm rm train} and {@code jllm ppo} share: model, data, LoRA or full, the loop. */
final class PrefTrainOptions {
    @Option(names = "--model", required = true, paramLabel = "BASE.gguf", description = "the model to tune (F32/F16/BF16; quantized ones are dequantized to fp32 in memory)") Path model;
    @Option(names = "--data", paramLabel = "FILE", description = "preference data: LLaMA-Factory ranking JSON/JSONL (conversations + chosen + rejected) or {\"prompt\",\"chosen\",\"rejected\"[,\"margin\"]} JSONL") Path data;
    @Option(names = "--format", defaultValue = "auto", description = "auto | messages | alpaca | sharegpt (default ${DEFAULT-VALUE})") String format;
    @Option(names = "--skip-bad", description = "skip bad records (counted) instead of stopping at the first") boolean skipBad;
    @Option(names = "--val-fraction", defaultValue = "0.1", description = "held-out pairs (default ${DEFAULT-VALUE})") double valFraction;
    @Option(names = "--seq", description = "longest prompt + answer in tokens; longer pairs are truncated (default: the model's context, at most 256)") Integer seq;

    @Option(names = "--full", description = "train every weight instead of a LoRA adapter") boolean full;
    @Option(names = "--lora-rank", defaultValue = "8", description = "r (default ${DEFAULT-VALUE})") int rank;
    @Option(names = "--lora-alpha", description = "α (default 2·r)") Float alpha;
    @Option(names = "--lora-targets", defaultValue = "all", description = "q,k,v,o,gate,up,down or all (default ${DEFAULT-VALUE})") String targets;
    @Option(names = "--rslora", description = "scale by α/√r instead of α/r") boolean rsLora;

    @Option(names = "--steps", defaultValue = "100", description = "optimizer steps (default ${DEFAULT-VALUE})") int steps;
    @Option(names = "--batch", defaultValue = "8", description = "pairs per step; jllm ppo: prompts per step, one rollout each (default ${DEFAULT-VALUE})") int batch;
    @Option(names = "--lr", defaultValue = "5e-4", description = "peak learning rate (default ${DEFAULT-VALUE})") float lr;
    @Option(names = "--warmup", defaultValue = "10") int warmup;
    @Option(names = "--min-lr-ratio", defaultValue = "0.1") float minLrRatio;
    @Option(names = "--weight-decay", defaultValue = "0") float weightDecay;
    @Option(names = "--clip", defaultValue = "1.0") float clip;
    @Option(names = "--seed", defaultValue = "1337") long seed;
    @Option(names = {"-t", "--threads"}, description = "threads (default: all cores)") Integer threads;
    @Option(names = "--eval-every", defaultValue = "25", description = "held-out metrics every N steps (0: before and after only)") int evalEvery;
    @Option(names = "--log", paramLabel = "DIR", description = "train.csv, eval.csv, TensorBoard events and the PNG") Path log;
    @Option(names = "--checkpoint", paramLabel = "FILE", description = "the training checkpoint (default OUT.ckpt); saved at the end and on Ctrl-C") Path checkpoint;
    @Option(names = "--checkpoint-every", defaultValue = "100", description = "also save it every N steps (0: only at the end; default ${DEFAULT-VALUE})") int checkpointEvery;
    @Option(names = "--resume", description = "continue exactly from the checkpoint if it exists (same data and flags)") boolean resume;

    Format format() {
        return Format.parse(format);
    }

    int threads() {
        return threads != null ? threads : Runtime.getRuntime().availableProcessors();
    }

    PrefOptions loop() {
        return new PrefOptions(steps, batch, lr, Math.min(warmup, steps), minLrRatio, weightDecay, clip, seed, evalEvery);
    }

    Checkpointing checkpointing(Path out) {
        return new Checkpointing(checkpoint != null ? checkpoint : Path.of(out + ".ckpt"), checkpointEvery, resume);
    }

    LoraConfig lora() {
        return full ? null : new LoraConfig(rank, alpha != null ? alpha : 2f * rank, LoraConfig.parseTargets(targets), rsLora);
    }

    /** The base in fp32 (an adapter trains against exactly these values). */
    ModelIO.Loaded load() throws IOException {
        return ModelIO.load(model, true);
    }

    /** The trained model: an adapter over {@code loaded} (printing its size), or the full model. */
    LlamaModel policy(ModelIO.Loaded loaded, Parallel pool, PrintWriter o) {
        LoraConfig lc = lora();
        if (lc == null) {
            o.printf(Locale.ROOT, "full training: %,d trainable parameters%n", loaded.params().count());
            return new LlamaModel(loaded.params(), pool);
        }
        LoraParams lp = LoraParams.init(loaded.params().config, lc, seed);
        o.printf(Locale.ROOT, "LoRA r=%d α=%s on %s: %,d trainable parameters = %.2f%% of the base's %,d%n", lc.rank(), lc.alpha(), targets, lp.count(),
                100.0 * lp.count() / loaded.params().count(), loaded.params().count());
        return new LlamaModel(loaded.params(), lp, pool);
    }
}

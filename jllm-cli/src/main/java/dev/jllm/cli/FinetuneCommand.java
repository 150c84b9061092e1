package dev.jllm.cli;

import dev.jllm.chat.ChatTemplate;
import dev.jllm.model.ModelFile;
import dev.jllm.sft.Format;
import dev.jllm.sft.MixSpec;
import dev.jllm.sft.SftConfig;
import dev.jllm.sft.SftData;
import dev.jllm.sft.SftRenderer;
import dev.jllm.tokenizer.GgufTokenizerLoader;
import dev.jllm.tokenizer.Tokenizer;
import dev.jllm.train.FineTuner;
import dev.jllm.train.LlamaModel;
import dev.jllm.train.LoraConfig;
import dev.jllm.train.LoraParams;
import dev.jllm.train.ModelIO;
import dev.jllm.train.TrainConfig;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code jllm finetune}: supervised fine-tuning of a llama GGUF on chat data (OpenAI messages, Alpaca,
 * ShareGPT, LLaMA-Factory files), rendered with the model's own chat template, loss on assistant
 * tokens only; LoRA over the frozen base (default) or {@code --full}. Writes a GGUF LoRA adapter
 * (llama.cpp's layout: {@code jllm generate/chat --lora}, llama.cpp {@code --lora}) or the model.
 */
@Command(name = "finetune", mixinStandardHelpOptions = true, subcommands = {FinetuneMergeCommand.class, FinetuneExportPeftCommand.class, FinetuneImportPeftCommand.class},
        description = {"Fine-tune a llama model on chat data: LoRA (default) or --full; loss on assistant tokens only.",
            "Ctrl-C saves a checkpoint; rerun with --resume to continue exactly where it stopped. 'jllm finetune merge' merges an adapter."})
final class FinetuneCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(names = "--model", paramLabel = "BASE.gguf", description = "the base model (any GGUF type for LoRA; F32/F16/BF16 for --full)") Path model;
    @Option(names = "--data", paramLabel = "FILE", description = "one data file (.jsonl or a JSON array)") Path data;
    @Option(names = "--mix", paramLabel = "NAME=FILE:W,...", description = "several sources sampled by weight, e.g. code=code.jsonl:8,math=math.json:1,general=alpaca.json:1") String mix;
    @Option(names = "--format", defaultValue = "auto", description = "auto | messages | alpaca | sharegpt (default ${DEFAULT-VALUE}: decided per record)") String format;
    @Option(names = "--var", paramLabel = "NAME=VALUE", description = "fill {{NAME}} placeholders (e.g. identity.json's name and author); repeatable") List<String> vars = new ArrayList<>();
    @Option(names = "--train-on", defaultValue = "all", description = "all | last: which assistant turns carry loss (default ${DEFAULT-VALUE})") String trainOn;
    @Option(names = "--packing", defaultValue = "pack", description = "pack (several samples per row, attention kept inside each) | pad (default ${DEFAULT-VALUE})") String packing;
    @Option(names = "--overflow", defaultValue = "truncate", description = "truncate | drop samples longer than --seq (default ${DEFAULT-VALUE})") String overflow;
    @Option(names = "--skip-bad", description = "skip bad records (counted, the first ones shown) instead of stopping at the first") boolean skipBad;
    @Option(names = "--val-fraction", defaultValue = "0.05", description = "held-out fraction of every source (default ${DEFAULT-VALUE})") double valFraction;

    @Option(names = "--full", description = "train every weight instead of a LoRA adapter") boolean full;
    @Option(names = "--lora-rank", defaultValue = "8", description = "r (default ${DEFAULT-VALUE})") int rank;
    @Option(names = "--lora-alpha", description = "α (default 2·r)") Float alpha;
    @Option(names = "--lora-targets", defaultValue = "q,v", description = "q,k,v,o,gate,up,down or all (default ${DEFAULT-VALUE})") String targets;
    @Option(names = "--rslora", description = "scale by α/√r instead of α/r") boolean rsLora;
    @Option(names = "--lora-dropout", defaultValue = "0", description = "dropout on the adapter's input during training (PEFT's lora_dropout; default ${DEFAULT-VALUE})") float loraDropout;

    @Option(names = "--out", paramLabel = "OUT.gguf", description = "the adapter (LoRA) or the model (--full) to write") String out;
    @Option(names = "--log", paramLabel = "DIR", description = "train.csv (with loss_<source> columns), val.csv, TensorBoard events, finetune.png") String log;
    @Option(names = "--steps", description = "optimizer steps") Integer steps;
    @Option(names = "--epochs", description = "or: passes over the training samples (decides --steps)") Double epochs;
    @Option(names = "--batch", defaultValue = "4", description = "rows per micro-batch (default ${DEFAULT-VALUE})") int batch;
    @Option(names = "--seq", defaultValue = "512", description = "tokens per row (default ${DEFAULT-VALUE})") int seq;
    @Option(names = "--accum", defaultValue = "1", description = "micro-batches per step") int accum;
    @Option(names = "--lr", defaultValue = "2e-4", description = "peak learning rate (default ${DEFAULT-VALUE})") float lr;
    @Option(names = "--warmup", defaultValue = "10") int warmup;
    @Option(names = "--min-lr-ratio", defaultValue = "0.1") float minLrRatio;
    @Option(names = "--weight-decay", defaultValue = "0") float weightDecay;
    @Option(names = "--clip", defaultValue = "1.0") float clip;
    @Option(names = "--seed", defaultValue = "1337") long seed;
    @Option(names = {"-t", "--threads"}) Integer threads;
    @Option(names = "--eval-every", defaultValue = "50", description = "validation every N steps (0: at the end only)") int evalEvery;
    @Option(names = "--checkpoint-every", defaultValue = "100") int checkpointEvery;
    @Option(names = "--checkpoint", paramLabel = "FILE", description = "default OUT.ckpt") String checkpoint;
    @Option(names = "--resume", description = "continue from the checkpoint if it exists") boolean resume;

    @Override
    public Integer call() throws Exception {
        PrintWriter o = spec.commandLine().getOut(), err = spec.commandLine().getErr();
        // checked here, not by picocli: 'jllm finetune merge ...' must not need the parent's options
        if (model == null) throw new IllegalArgumentException("--model BASE.gguf is required");
        if (out == null) throw new IllegalArgumentException("--out OUT.gguf is required (the adapter, or the model with --full)");
        if ((data == null) == (mix == null)) throw new IllegalArgumentException("give either --data FILE or --mix NAME=FILE:W,...");
        if ((steps == null) == (epochs == null)) throw new IllegalArgumentException("give either --steps N or --epochs E");
        if (!(loraDropout >= 0 && loraDropout < 1)) throw new IllegalArgumentException("--lora-dropout must be in [0, 1), got " + loraDropout);
        if (full && loraDropout != 0) throw new IllegalArgumentException("--lora-dropout goes with LoRA, not --full");
        LoraConfig lora = full ? null : new LoraConfig(rank, alpha != null ? alpha : 2f * rank, LoraConfig.parseTargets(targets), rsLora);
        Map<String, String> variables = new LinkedHashMap<>();
        for (String v : vars) {
            int eq = v.indexOf('=');
            if (eq <= 0) throw new IllegalArgumentException("--var wants NAME=VALUE, got '" + v + "'");
            variables.put(v.substring(0, eq).strip(), v.substring(eq + 1));
        }
        MixSpec spec0 = data != null ? MixSpec.single(data) : MixSpec.parse(mix);

        ChatTemplate template;
        Tokenizer tok;
        try (ModelFile f = ModelFile.open(model)) {
            if (f.gguf() == null) throw new IllegalArgumentException(model + " is not a GGUF model (fine-tuning needs its vocabulary and chat template)");
            tok = GgufTokenizerLoader.load(f.gguf());
            template = f.hasChatTemplate() ? ChatTemplate.fromGguf(f.gguf()) : ChatTemplate.fallback();
            if (!f.hasChatTemplate()) o.println("note: " + model.getFileName() + " has no chat template; the data is rendered as ChatML (the fallback)");
        }
        SftConfig sc = SftConfig.builder(seq, batch).packing(SftConfig.Packing.parse(packing)).overflow(SftConfig.Overflow.parse(overflow))
                .trainOn(SftRenderer.TrainOn.parse(trainOn)).format(Format.parse(format)).variables(variables.isEmpty() ? null : variables)
                .skipBad(skipBad).valFraction(valFraction).seed(seed).build();
        SftData sft = SftData.prepare(spec0, template, tok, sc);
        o.print(sft.summary());
        int nSteps = steps != null ? steps : (int) Math.max(1, (sft.microBatchesForEpochs(epochs) + accum - 1) / accum);

        Map<String, String> flags = new LinkedHashMap<>();
        flags.put("model", model.toString());
        flags.put("data", data != null ? data.toString() : mix);
        flags.put("out", out);
        if (log != null) flags.put("log", log);
        flags.put("steps", String.valueOf(nSteps));
        flags.put("batch", String.valueOf(batch));
        flags.put("seq", String.valueOf(seq));
        flags.put("accum", String.valueOf(accum));
        flags.put("lr", String.valueOf(lr));
        flags.put("warmup", String.valueOf(Math.min(warmup, nSteps)));
        flags.put("min_lr_ratio", String.valueOf(minLrRatio));
        flags.put("weight_decay", String.valueOf(weightDecay));
        flags.put("clip", String.valueOf(clip));
        flags.put("seed", String.valueOf(seed));
        if (threads != null) flags.put("threads", String.valueOf(threads));
        flags.put("eval_every", String.valueOf(evalEvery));
        flags.put("checkpoint_every", String.valueOf(checkpointEvery));
        if (checkpoint != null) flags.put("checkpoint", checkpoint);
        flags.put("resume", String.valueOf(resume));
        TrainConfig cfg = TrainConfig.of(flags);

        // LoRA: the base stays in its GGUF type, mapped (QLoRA); full: an fp32 copy to update
        ModelIO.Loaded loaded = lora != null ? ModelIO.openFrozen(model) : ModelIO.load(model, false);
        var c = loaded.params().config;
        long baseCount = loaded.quantized() != null ? loaded.quantized().parameterCount() : loaded.params().count();
        if (lora != null) {
            long n = LoraParams.count(c, lora);
            StringBuilder per = new StringBuilder();
            for (LoraConfig.Target t : lora.orderedTargets()) {
                long k = LoraParams.count(c, new LoraConfig(lora.rank(), lora.alpha(), java.util.Set.of(t), lora.rsLora()));
                per.append(per.isEmpty() ? "" : ", ").append(t.name().toLowerCase(Locale.ROOT)).append(String.format(Locale.ROOT, " %,d", k));
            }
            o.printf(Locale.ROOT, "LoRA r=%d α=%s (scale %.4g%s%s) on %s: %,d trainable parameters = %.2f%% of the base's %,d (%s); r·(in+out) per matrix, PEFT's count%n",
                    lora.rank(), trim(lora.alpha()), lora.scale(), lora.rsLora() ? ", rsLoRA" : "", loraDropout > 0 ? ", dropout " + loraDropout : "", targets, n, 100.0 * n / baseCount, baseCount, per);
        } else {
            o.printf(Locale.ROOT, "full fine-tuning: %,d trainable parameters%n", baseCount);
        }
        long trained = lora != null ? LoraParams.count(c, lora) : baseCount;
        long layerMatrix = (long) Math.max(c.qDim(), c.hiddenDim()) * c.dim();
        long scratch = 2 * 4L * Math.max(layerMatrix, (long) LlamaModel.CLASSIFIER_CHUNK * c.dim()); // dequantized + transposed
        long weights = loaded.quantized() != null ? loaded.quantized().bytes() + scratch : 4L * baseCount;
        long optimizer = 4L * trained * 3, acts = LlamaModel.activationBytes(c, batch, seq);
        o.printf(Locale.ROOT, "memory: base %s (%s) + trained weights, gradients and AdamW moments %s + activations (B=%d, T=%d) %s = %s%n",
                Units.bytes(weights), loaded.quantized() != null ? "kept in its GGUF type, mapped, + fp32 scratch for one matrix" : "fp32",
                Units.bytes(optimizer + (lora != null ? 4L * trained : 0)), batch, seq, Units.bytes(acts), Units.bytes(weights + optimizer + acts));
        o.flush();

        List<FineTuner.StepReport> history = new ArrayList<>();
        try (Progress progress = new Progress(err, "finetune", nSteps, false)) {
            int every = Math.max(1, nSteps / 20);
            FineTuner tuner = new FineTuner(cfg, loaded, lora, loraDropout, new SftRowSource(sft, accum), new FineTuner.Listener() {
                @Override
                public void step(FineTuner.StepReport r) {
                    history.add(r);
                    progress.add(1);
                    if (r.step() % every == 0 || r.step() == r.steps() || !Float.isNaN(r.valLoss())) {
                        StringBuilder srcs = new StringBuilder();
                        for (int i = 0; i < r.sourceLoss().length && r.sourceLoss().length > 1; i++) {
                            if (!Float.isNaN(r.sourceLoss()[i])) srcs.append(String.format(Locale.ROOT, "  %s %.4f", sft.sourceNames().get(i), r.sourceLoss()[i]));
                        }
                        o.printf(Locale.ROOT, "step %d/%d  loss %.4f%s  lr %.3g  grad norm %.3f  %,.0f tok/s%s%n", r.step(), r.steps(), r.loss(), srcs, r.lr(),
                                r.gradNorm(), r.tokensPerSecond(), Float.isNaN(r.valLoss()) ? "" : String.format(Locale.ROOT, "  val loss %.4f", r.valLoss()));
                        o.flush();
                    }
                }

                @Override
                public void message(String text) {
                    o.println(text);
                    o.flush();
                }
            });
            try (GracefulStop _ = new GracefulStop(tuner::requestStop, "jllm-finetune-ctrl-c")) {
                FineTuner.Result r = tuner.run();
                if (log != null && !history.isEmpty()) {
                    Path png = Path.of(log).resolve("finetune.png");
                    try {
                        SourceLossPlot.write(history, sft.sourceNames(), png);
                        o.println("plot: " + png);
                    } catch (IOException e) { // the model is written; a missing plot must not fail the run
                        o.println("warning: the loss plot was not written (" + e + ")");
                    }
                }
                if (!r.interrupted()) {
                    o.printf(Locale.ROOT, "done: %d steps%s%s, %.1f s; try it: jllm chat -m %s%s%n", r.step(),
                            Float.isNaN(r.lastLoss()) ? "" : String.format(Locale.ROOT, ", final train loss %.4f", r.lastLoss()),
                            Float.isNaN(r.valLoss()) ? "" : String.format(Locale.ROOT, ", held-out loss %.4f", r.valLoss()), progress.seconds(),
                            lora != null ? model : out, lora != null ? " --lora " + out : "");
                }
                o.flush();
                return r.interrupted() ? 130 : 0;
            }
        }
    }

    private static String trim(float f) {
        return f == Math.rint(f) ? String.valueOf((long) f) : String.valueOf(f);
    }
}

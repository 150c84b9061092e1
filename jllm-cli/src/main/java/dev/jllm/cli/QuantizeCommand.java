package dev.jllm.cli;

import dev.jllm.engine.LoadedModel;
import dev.jllm.model.GptqRunner;
import dev.jllm.model.Imatrix;
import dev.jllm.model.ModelFile;
import dev.jllm.model.Quantizer;
import dev.jllm.tensor.BlockGrid;
import dev.jllm.tensor.GgmlType;
import java.io.PrintWriter;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
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
        description = {"Quantize a model: Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, Q4_K(_S/_M), Q5_K(_S/_M), Q6_K, IQ4_NL, IQ4_XS, F16, BF16 (llama.cpp-compatible blocks).",
            "--method rtn: round to nearest (with --imatrix FILE: llama.cpp's importance-weighted quantizers, byte-identical to"
                + " llama-quantize --imatrix). --method imatrix: the same, computing the imatrix from --calib when no FILE is given."
                + " --method gptq: GPTQ error compensation from --calib activations, layer by layer, into the same blocks."})
final class QuantizeCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Parameters(index = "0", paramLabel = "IN") Path in;
    @Parameters(index = "1", paramLabel = "OUT") Path out;

    @Option(names = "--type", required = true, paramLabel = "TYPE") String type;

    @Option(names = "--pure", description = "every matrix gets TYPE (no Q6_K output, no _M mixes)") boolean pure;

    @Option(names = "--method", defaultValue = "rtn", paramLabel = "rtn|imatrix|gptq", description = "(default: ${DEFAULT-VALUE})") String method;

    @Option(names = "--imatrix", paramLabel = "FILE", description = "importance matrix (llama-imatrix's GGUF or legacy .dat, or jllm imatrix's)") Path imatrix;

    @Option(names = "--calib", paramLabel = "FILE", description = "calibration text (gptq; imatrix without --imatrix)") Path calib;

    @Option(names = "--calib-tokens", defaultValue = "16384", paramLabel = "N", description = "calibration tokens at most (default: ${DEFAULT-VALUE})") int calibTokens;

    @Option(names = {"-c", "--ctx"}, defaultValue = "512", paramLabel = "N", description = "tokens per calibration chunk, BOS first (default: ${DEFAULT-VALUE})") int ctx;

    @Option(names = "--damp", defaultValue = "0.01", description = "GPTQ dampening: this fraction of mean(diag H) added to the diagonal (default: ${DEFAULT-VALUE})") double damp;

    @Option(names = "--block-size", defaultValue = "128", description = "GPTQ lazy-batch width in columns (default: ${DEFAULT-VALUE})") int blockSize;

    @Option(names = "--act-order", description = "GPTQ: columns by decreasing Hessian diagonal (block scales then fixed up front)") boolean actOrder;

    @Option(names = "--no-true-sequential", description = "GPTQ: take all seven matrices' Hessians from one pass per layer") boolean noTrueSequential;

    @Option(names = "--tokenizer") Path tokenizer;
    @Option(names = {"-t", "--threads"}) Integer threads;

    @Override
    public Integer call() throws Exception {
        Quantizer.Target target = Quantizer.Target.parse(type);
        if (in.toAbsolutePath().normalize().equals(out.toAbsolutePath().normalize())) {
            throw new IllegalArgumentException("OUT must differ from IN (" + in + ")");
        }
        String m = method.toLowerCase(Locale.ROOT);
        if (!List.of("rtn", "imatrix", "gptq").contains(m)) throw new IllegalArgumentException("--method must be rtn, imatrix or gptq, got '" + method + "'");
        if (m.equals("imatrix") && imatrix == null && calib == null) throw new IllegalArgumentException("--method imatrix needs --imatrix FILE or --calib FILE");
        if (m.equals("gptq") && calib == null) throw new IllegalArgumentException("--method gptq needs --calib FILE (calibration text)");
        if (m.equals("rtn") && calib != null) throw new IllegalArgumentException("--calib is for --method imatrix or gptq; rtn reads no calibration text");
        if (!m.equals("gptq") && (actOrder || noTrueSequential)) throw new IllegalArgumentException("--act-order / --no-true-sequential are GPTQ settings (--method gptq)");
        if (m.equals("gptq") && target.type().isQuantized() && !BlockGrid.supports(target.type())) {
            throw new IllegalArgumentException("--method gptq rounds onto uniform grids (Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q4_K, Q5_K, Q6_K); "
                    + target.name() + " uses a non-linear one: use --method rtn or imatrix");
        }
        if (calibTokens < ctx) throw new IllegalArgumentException("--calib-tokens " + calibTokens + " is less than one chunk of --ctx " + ctx);
        int th = threads != null ? threads : Runtime.getRuntime().availableProcessors();
        PrintWriter o = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        long started = System.nanoTime();
        Imatrix im = imatrix != null ? Imatrix.read(imatrix) : null;
        String imName = imatrix != null ? imatrix.toString() : null;
        List<int[]> chunks = calib != null ? chunks(err, th) : null;
        if (m.equals("imatrix") && im == null) {
            try (LoadedModel lm = LoadedModel.open(in, tokenizer, th); Progress p = new Progress(err, "imatrix", chunks.size(), false)) {
                int[] flat = new int[chunks.size() * ctx];
                for (int i = 0; i < chunks.size(); i++) System.arraycopy(chunks.get(i), 0, flat, i * ctx, ctx);
                im = Imatrix.compute(lm.transformer(GgmlType.F16, ctx), flat, ctx, lm.tokenizer.bos(), chunks.size(), false,
                        List.of(calib.toString()), c -> p.add(1)).imatrix();
                imName = calib + " (computed)";
            }
        }
        try (ModelFile mf = ModelFile.open(in)) {
            Map<String, MemorySegment> pre = Map.of();
            if (m.equals("gptq")) {
                var s = new GptqRunner.Settings(damp, blockSize, actOrder, !noTrueSequential);
                err.printf(Locale.ROOT, "gptq: %d calibration chunks of %d tokens, damp %.3g, block size %d%s%s; memory beyond the model ~%s%n",
                        chunks.size(), ctx, damp, blockSize, actOrder ? ", act-order" : "", noTrueSequential ? "" : ", true-sequential",
                        Units.bytes(GptqRunner.memoryPlan(mf.config(), chunks.size(), ctx)));
                double[] tot = new double[2];
                pre = GptqRunner.run(mf, Quantizer.plan(mf, target, pure, im != null), chunks, s, th, r -> {
                    tot[0] += r.gptqError();
                    tot[1] += r.roundError();
                    err.printf(Locale.ROOT, "  %-28s %-5s output error %.4g (rounding each block: %.4g, %.2fx) %.1f s%n", r.name(), r.type(),
                            r.gptqError(), r.roundError(), r.roundError() / r.gptqError(), r.seconds());
                    err.flush();
                }, line -> { err.println("gptq: " + line); err.flush(); });
                err.printf(Locale.ROOT, "gptq: total output error %.4g vs %.4g rounding (%.2fx lower)%n", tot[0], tot[1], tot[1] / tot[0]);
            }
            var plan = Quantizer.plan(mf, target, pure, im != null);
            long total = 0;
            for (var c : plan) total += c.bytesOut();
            try (Progress p = new Progress(err, "quantize", total, true)) {
                Quantizer.quantize(mf, target, pure, out, p::add, new Quantizer.Options(im, imName, pre));
            }
            Map<GgmlType, long[]> byType = new TreeMap<>();
            long in0 = 0, out0 = 0;
            for (var c : plan) {
                long[] a = byType.computeIfAbsent(c.to(), k -> new long[2]);
                a[0]++;
                a[1] += c.bytesOut();
                in0 += c.bytesIn();
                out0 += c.bytesOut();
            }
            o.printf(Locale.ROOT, "quantized %s -> %s as %s%s (%s%s) in %.1f s%n", in, out, target.name(), pure ? " (pure)" : "", m,
                    im != null ? ", imatrix " + im.entries().size() + " matrices" : "", (System.nanoTime() - started) / 1e9);
            byType.forEach((t, a) -> o.printf(Locale.ROOT, "  %-6s %4d tensors %12s%n", t, a[0], Units.bytes(a[1])));
            o.printf(Locale.ROOT, "  tensors %s -> %s (%.2fx smaller), file %s%n", Units.bytes(in0), Units.bytes(out0),
                    in0 / (double) out0, Units.bytes(Files.size(out)));
        }
        return 0;
    }

    /** The calibration text as chunks of --ctx tokens, BOS first, at most --calib-tokens in all. */
    private List<int[]> chunks(PrintWriter err, int th) throws Exception {
        String text = EvalFiles.text(calib);
        if (text.endsWith("\n")) text = text.substring(0, text.length() - 1);
        try (LoadedModel lm = LoadedModel.open(in, tokenizer, th)) {
            int[] tokens = lm.tokenizer.encode(text, true, false);
            int n = Math.min(tokens.length / ctx, calibTokens / ctx);
            if (n < 1) throw new IllegalArgumentException(calib + " tokenizes to " + tokens.length + " tokens, less than one chunk of --ctx " + ctx);
            List<int[]> out = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                int[] c = java.util.Arrays.copyOfRange(tokens, i * ctx, (i + 1) * ctx);
                if (lm.tokenizer.bos() >= 0) c[0] = lm.tokenizer.bos();
                out.add(c);
            }
            err.printf(Locale.ROOT, "calibration: %s, %d tokens, using %d chunks of %d%n", calib, tokens.length, n, ctx);
            return out;
        }
    }
}

package dev.jllm.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.jllm.engine.LoadedModel;
import dev.jllm.gguf.GgufFile;
import dev.jllm.gguf.GgufTensorInfo;
import dev.jllm.model.Batch;
import dev.jllm.model.KlDivergence;
import dev.jllm.model.KlStats;
import dev.jllm.model.Perplexity;
import dev.jllm.model.Transformer;
import dev.jllm.tensor.GgmlType;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code jllm quant-report}: quantizes one model to every type × method asked for (running {@code jllm
 * quantize} / {@code jllm imatrix} in-process, so each row is a command anyone can rerun) and measures
 * each file on held-out text against the unquantized model, as llama-perplexity's KL-divergence mode does.
 */
@Command(name = "quant-report", mixinStandardHelpOptions = true,
        description = {"Quantization quality table: for each --types × --methods (rtn, imatrix, gptq) one GGUF in --out, then size,"
                + " bits per weight, perplexity on -f, ΔPPL %%, mean KL divergence and same-top-token rate against -m (llama-perplexity's"
                + " definitions), prefill and decode tokens/s and first-token latency. Writes report.md, report.json and report.png."})
final class QuantReportCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(names = {"-m", "--model"}, required = true, description = "the unquantized model (F32/F16/BF16)") Path model;
    @Option(names = {"-f", "--file"}, required = true, description = "held-out text for perplexity and KL divergence") Path file;
    @Option(names = "--calib", description = "calibration text (imatrix, gptq)") Path calib;
    @Option(names = "--types", defaultValue = "Q4_0,Q4_K_M,Q8_0", split = ",", description = "(default: ${DEFAULT-VALUE})") List<String> types;
    @Option(names = "--methods", defaultValue = "rtn,imatrix,gptq", split = ",", description = "(default: ${DEFAULT-VALUE})") List<String> methods;
    @Option(names = "--imatrix", description = "use this importance matrix instead of computing one from --calib") Path imatrix;
    @Option(names = "--out", required = true, description = "directory for the quantized files and the report") Path out;
    @Option(names = {"-c", "--ctx"}, defaultValue = "512", description = "perplexity / calibration chunk (default: ${DEFAULT-VALUE})") int ctx;
    @Option(names = "--chunks", defaultValue = "-1", description = "held-out chunks at most (default: all)") int chunks;
    @Option(names = "--calib-tokens", defaultValue = "16384", description = "(default: ${DEFAULT-VALUE})") int calibTokens;
    @Option(names = "--gptq-args", defaultValue = "", description = "extra arguments for the gptq runs, e.g. \"--act-order --damp 0.01\"") String gptqArgs;
    @Option(names = "--speed-prompt", defaultValue = "128", description = "prompt tokens of the speed probe (default: ${DEFAULT-VALUE})") int speedPrompt;
    @Option(names = "--speed-decode", defaultValue = "32", description = "decoded tokens of the speed probe (default: ${DEFAULT-VALUE})") int speedDecode;
    @Option(names = {"-t", "--threads"}) Integer threads;

    /** One line of the table. */
    record Row(String type, String method, String file, long bytes, double bitsPerWeight, double ppl, double deltaPplPct, double meanKld,
               double sameTopPct, double prefillTps, double decodeTps, double firstTokenMs, String command) {}

    @Override
    public Integer call() throws Exception {
        for (String m : methods) if (!List.of("rtn", "imatrix", "gptq").contains(m)) throw new IllegalArgumentException("--methods: unknown method '" + m + "' (rtn, imatrix, gptq)");
        if ((methods.contains("gptq") || (methods.contains("imatrix") && imatrix == null)) && calib == null) {
            throw new IllegalArgumentException("--calib FILE is needed for gptq, and for imatrix without --imatrix");
        }
        Files.createDirectories(out);
        int th = threads != null ? threads : Runtime.getRuntime().availableProcessors();
        PrintWriter err = spec.commandLine().getErr(), o = spec.commandLine().getOut();
        String text = EvalFiles.text(file);
        if (text.endsWith("\n")) text = text.substring(0, text.length() - 1);
        Path base = out.resolve("base-logits.bin");
        List<Row> rows = new ArrayList<>();
        int[] probe;
        try (LoadedModel lm = LoadedModel.open(model, null, th)) {
            int[] tokens = lm.tokenizer.encode(text, true, false);
            int n = chunks < 0 ? tokens.length / ctx : Math.min(chunks, tokens.length / ctx);
            tokens = java.util.Arrays.copyOf(tokens, n * ctx);
            probe = java.util.Arrays.copyOfRange(tokens, 1, 1 + speedPrompt);
            err.printf(Locale.ROOT, "reference %s on %s: %d chunks of %d%n", model, file, n, ctx);
            Perplexity.Result r = KlDivergence.saveBase(lm.transformer(GgmlType.F16, ctx), tokens, ctx, lm.tokenizer.chunkBos(),
                    lm.tokenizer.vocabulary().size(), base, null);
            double[] speed = speed(lm, probe, speedDecode);
            rows.add(new Row("base", "-", model.toString(), Files.size(model), bpw(model), r.ppl(), 0, 0, 100,
                    speed[0], speed[1], speed[2], "jllm perplexity -m " + model + " -f " + file + " -c " + ctx));
        }
        Path im = imatrix;
        if (methods.contains("imatrix") && im == null) {
            im = out.resolve("imatrix.gguf");
            run(err, "imatrix", "-m", model.toString(), "-f", calib.toString(), "-o", im.toString(), "-c", Integer.toString(ctx),
                    "--chunks", Integer.toString(Math.max(1, calibTokens / ctx)));
        }
        for (String t : types) {
            for (String m : methods) {
                Path q = out.resolve(model.getFileName().toString().replaceFirst("\\.gguf$", "") + "-" + t + "-" + m + ".gguf");
                List<String> args = new ArrayList<>(List.of("quantize", model.toString(), q.toString(), "--type", t));
                switch (m) {
                    case "imatrix" -> args.addAll(List.of("--imatrix", im.toString()));
                    case "gptq" -> {
                        args.addAll(List.of("--method", "gptq", "--calib", calib.toString(), "--calib-tokens", Integer.toString(calibTokens),
                                "-c", Integer.toString(ctx)));
                        if (!gptqArgs.isBlank()) args.addAll(List.of(gptqArgs.trim().split("\\s+")));
                    }
                    default -> { }
                }
                run(err, args.toArray(String[]::new));
                rows.add(measure(t, m, q, base, rows.get(0).ppl(), th, probe, "jllm " + String.join(" ", args), err));
                Row last = rows.get(rows.size() - 1);
                err.printf(Locale.ROOT, "%s %s: PPL %.4f (%+.2f%%), mean KLD %.5f, same top %.2f%%%n", t, m, last.ppl(), last.deltaPplPct(),
                        last.meanKld(), last.sameTopPct());
                err.flush();
            }
        }
        String md = markdown(rows);
        Files.writeString(out.resolve("report.md"), md);
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("model", model.toString());
        json.put("heldout", file.toString());
        json.put("ctx", ctx);
        json.put("rows", rows);
        new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(out.resolve("report.json").toFile(), json);
        QuantReportPlot.write(rows, out.resolve("report.png"));
        o.print(md);
        o.printf("wrote %s, %s, %s%n", out.resolve("report.md"), out.resolve("report.json"), out.resolve("report.png"));
        return 0;
    }

    /**
     * ΔPPL is against the base row's perplexity, computed from its full logits. The KL statistics' own PPL(base) comes
     * from llama-perplexity's compressed base file, where a log-probability more than 16 below the row's maximum is
     * stored as that floor: on text a model finds very unlikely (a chat model reading plain user lines) it understates
     * PPL(base) by up to 5 %, and ΔPPL against it was inflated by as much (+38 % for +32 %). jllm perplexity
     * --kl-divergence keeps llama-perplexity's printout, floor included.
     */
    private Row measure(String type, String method, Path q, Path base, double basePpl, int th, int[] probe, String command, PrintWriter err)
            throws Exception {
        KlDivergence.Base b = KlDivergence.readBase(base);
        try (LoadedModel lm = LoadedModel.open(q, null, th)) {
            KlStats s = KlDivergence.compare(lm.transformer(GgmlType.F16, b.nCtx()), b, lm.tokenizer.chunkBos(), line -> { });
            double[] speed = speed(lm, probe, speedDecode);
            return new Row(type, method, q.toString(), Files.size(q), bpw(q), s.pplQ(), 100 * (s.pplQ() / basePpl - 1), s.meanKld(),
                    100 * s.sameTopP(), speed[0], speed[1], speed[2], command);
        }
    }

    /**
     * A short greedy run, timed: prefill of the probe prompt (first-token latency = that forward pass), then
     * decode tokens one at a time. The whole probe runs untimed first, again and again for at least two seconds, so
     * both the prefill and the one-token kernels are compiled by C2 before timing (a prefill-only warm-up left decode
     * cold: 28 to 440 tok/s between rows of one report; one warm-up run of a tiny model's 4 ms probe is too short for
     * the compiler), then three timed runs; each column is the median of the three. On a shared machine these are
     * still noisy.
     */
    static double[] speed(LoadedModel lm, int[] prompt, int n) {
        Transformer tr = lm.transformer(GgmlType.F16, prompt.length + n + 16);
        long warmUntil = System.nanoTime() + 2_000_000_000L;
        do probe(tr, prompt, n); while (System.nanoTime() < warmUntil);
        double[][] runs = new double[3][];
        for (int r = 0; r < runs.length; r++) runs[r] = probe(tr, prompt, n);
        double[] median = new double[3];
        for (int c = 0; c < median.length; c++) {
            double[] col = {runs[0][c], runs[1][c], runs[2][c]};
            java.util.Arrays.sort(col);
            median[c] = col[1];
        }
        return median;
    }

    /** One timed probe: {prefill tok/s, decode tok/s, first-token ms}. */
    private static double[] probe(Transformer tr, int[] prompt, int n) {
        int seq = tr.cache().allocate();
        long t0 = System.nanoTime();
        float[] logits = tr.forward(Batch.of(seq, prompt, 0, Batch.Logits.LAST)).get(0)[0];
        long t1 = System.nanoTime();
        int pos = prompt.length;
        for (int i = 0; i < n; i++) {
            int next = argmax(logits);
            logits = tr.forward(Batch.of(seq, new int[] {next}, pos++, Batch.Logits.LAST)).get(0)[0];
        }
        long t2 = System.nanoTime();
        tr.cache().free(seq);
        return new double[] {prompt.length / ((t1 - t0) / 1e9), n / ((t2 - t1) / 1e9), (t1 - t0) / 1e6};
    }

    private static int argmax(float[] v) {
        int b = 0;
        for (int i = 1; i < v.length; i++) if (v[i] > v[b]) b = i;
        return b;
    }

    /** Bits per weight as llama-quantize reports it: tensor bytes × 8 / elements, over every tensor. */
    static double bpw(Path gguf) throws Exception {
        try (GgufFile f = GgufFile.open(gguf)) {
            long bytes = 0, el = 0;
            for (GgufTensorInfo t : f.tensors()) {
                bytes += t.byteSize();
                el += t.elementCount();
            }
            return 8.0 * bytes / el;
        }
    }

    /** Runs a jllm subcommand in-process; its stdout goes to our stderr (the report is the stdout). */
    private void run(PrintWriter err, String... args) {
        err.println("+ jllm " + String.join(" ", args));
        err.flush();
        CommandLine cl = new CommandLine(new Main());
        cl.setOut(err);
        cl.setErr(err);
        int code = cl.execute(args);
        if (code != 0) throw new IllegalStateException("jllm " + String.join(" ", args) + " failed (exit " + code + ")");
    }

    static String markdown(List<Row> rows) {
        StringWriter w = new StringWriter();
        PrintWriter p = new PrintWriter(w);
        p.println("| type | method | size | bits/weight | PPL | ΔPPL | mean KLD | same top | prefill tok/s | decode tok/s | first token |");
        p.println("|---|---|---|---|---|---|---|---|---|---|---|");
        for (Row r : rows) {
            p.printf(Locale.ROOT, "| %s | %s | %s | %.2f | %.4f | %+.2f%% | %.5f | %.2f%% | %.0f | %.1f | %.0f ms |%n", r.type(), r.method(),
                    Units.bytes(r.bytes()), r.bitsPerWeight(), r.ppl(), r.deltaPplPct(), r.meanKld(), r.sameTopPct(), r.prefillTps(), r.decodeTps(),
                    r.firstTokenMs());
        }
        p.flush();
        return w.toString();
    }
}

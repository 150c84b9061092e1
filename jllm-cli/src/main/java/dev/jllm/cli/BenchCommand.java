package dev.jllm.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.jllm.engine.LoadedModel;
import dev.jllm.grammar.Gbnf;
import dev.jllm.grammar.Grammar;
import dev.jllm.grammar.GrammarException;
import dev.jllm.grammar.GrammarMask;
import dev.jllm.grammar.JsonSchemaGrammar;
import dev.jllm.model.Batch;
import dev.jllm.model.Sampler;
import dev.jllm.model.SamplingParams;
import dev.jllm.tokenizer.Tokenizer;
import dev.jllm.tokenizer.Tokenizers;
import dev.jllm.model.KvCacheManager;
import dev.jllm.model.Matmul;
import dev.jllm.model.MemoryPlan;
import dev.jllm.model.ModelFile;
import dev.jllm.model.Transformer;
import dev.jllm.model.Weights;
import dev.jllm.tensor.GgmlType;
import dev.jllm.tensor.MemoryBandwidth;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code jllm bench}: llama-bench's two tests — prefill of P tokens (pp) and decode of N tokens one
 * at a time from an empty context (tg) — with random tokens, repeated R times after a warm-up.
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "Measure prefill and decode speed (tok/s, mean ± sd) like llama-bench, and the memory bandwidth decode achieves.")
final class BenchCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(names = {"-m", "--model"}, required = true) Path model;
    @Option(names = {"-p", "--n-prompt"}, defaultValue = "512", description = "prefill tokens (0 = skip; default ${DEFAULT-VALUE})") int nPrompt;
    @Option(names = {"-n", "--n-gen"}, defaultValue = "128", description = "decoded tokens (0 = skip; default ${DEFAULT-VALUE})") int nGen;
    @Option(names = {"-d", "--depth"}, defaultValue = "0",
            description = "tokens already in the context before each test (llama-bench's -d): prefill and decode at that depth") int depth;
    @Option(names = "--parallel", defaultValue = "1",
            description = "sequences decoding together in the tg test (a decode step of N tokens, as llama-batched-bench); t/s counts all of them") int parallel;
    @Option(names = {"-t", "--threads"}, description = "threads (default: all cores)") Integer threads;
    @Option(names = {"-r", "--repetitions"}, defaultValue = "3") int reps;
    @Option(names = "--cache-type", paramLabel = "f16|f32", defaultValue = "f16",
            description = "KV cache element type (default: ${DEFAULT-VALUE})") String cacheType;
    @Option(names = "--no-bandwidth", description = "skip the bandwidth measurement") boolean noBandwidth;
    @Option(names = "--json", description = "print the results as JSON") boolean json;
    @Option(names = "--json-schema", paramLabel = "FILE",
            description = "decode under this JSON Schema (structured outputs) and without it, step by step in turn, and report both tok/s and their ratio") Path jsonSchema;
    @Option(names = "--grammar", paramLabel = "FILE", description = "the same with a GBNF grammar (llama.cpp's format)") Path grammarFile;

    @Override
    public Integer call() throws Exception {
        int th = threads != null ? threads : Runtime.getRuntime().availableProcessors();
        if (th < 1) throw new IllegalArgumentException("-t must be >= 1, got " + th);
        if (nPrompt < 0 || nGen < 0 || (nPrompt == 0 && nGen == 0)) throw new IllegalArgumentException("-p and -n must be >= 0 and not both 0");
        if (parallel < 1) throw new IllegalArgumentException("--parallel must be >= 1, got " + parallel);
        if (depth < 0) throw new IllegalArgumentException("-d must be >= 0, got " + depth);
        if (reps < 1) throw new IllegalArgumentException("-r must be >= 1, got " + reps);
        GgmlType ct = LoadedModel.cacheType(cacheType);
        PrintWriter out = spec.commandLine().getOut(), err = spec.commandLine().getErr();
        Grammar grammar = grammar();
        if (grammar != null) {
            if (nGen == 0) throw new IllegalArgumentException("--json-schema/--grammar measure decoding: -n must be > 0");
            if (parallel != 1) throw new IllegalArgumentException("--json-schema/--grammar decode one sequence: --parallel must be 1");
            return constrained(grammar, out, err);
        }
        try (ModelFile f = ModelFile.open(model); Matmul mm = new Matmul(th)) {
            int ctx = depth + Math.max(nPrompt, nGen) + 1;
            int seqs = Math.max(1, parallel);
            if (ctx > f.config().contextLength()) err.printf("note: %d tokens exceed the model's trained context %d%n", ctx, f.config().contextLength());
            KvCacheManager kv = new KvCacheManager(f.config(), ct, MemoryPlan.KV_BLOCK_TOKENS, seqs * MemoryPlan.minKvBlocks(ctx, MemoryPlan.KV_BLOCK_TOKENS));
            Transformer tr = new Transformer(new Weights(f), kv, mm);
            SplittableRandom rnd = new SplittableRandom(1);
            int vocab = f.config().vocabSize();
            // rep 0 is an untimed warm-up of the very tests (llama-bench does one too): C2 compiles the
            // kernels of this shape, so the timed reps measure steady state, not the JIT
            List<Double> pp = new ArrayList<>(), tg = new ArrayList<>();
            for (int r = -1; r < reps; r++) {
                if (r == 0) { pp.clear(); tg.clear(); }
                if (nPrompt > 0) {
                    int seq = atDepth(tr, rnd, vocab);
                    long t0 = System.nanoTime();
                    tr.forward(Batch.of(seq, randomTokens(rnd, nPrompt, vocab), depth, Batch.Logits.LAST));
                    pp.add(nPrompt / ((System.nanoTime() - t0) / 1e9));
                    kv.free(seq);
                    err.printf(Locale.ROOT, "  %s: %s %.2f tok/s%n", r < 0 ? "warm-up" : "rep " + (r + 1), test("pp", nPrompt), pp.getLast());
                }
                if (nGen > 0) {
                    int[] seq = new int[parallel];
                    for (int b = 0; b < parallel; b++) seq[b] = atDepth(tr, rnd, vocab);
                    long t0 = System.nanoTime();
                    for (int i = 0; i < nGen; i++) {
                        List<Batch.Entry> step = new ArrayList<>(parallel);
                        for (int b = 0; b < parallel; b++) step.add(new Batch.Entry(seq[b], new int[] {rnd.nextInt(vocab)}, depth + i, Batch.Logits.LAST));
                        tr.forward(new Batch(step));
                    }
                    tg.add((double) nGen * parallel / ((System.nanoTime() - t0) / 1e9));
                    for (int b : seq) kv.free(b);
                    err.printf(Locale.ROOT, "  %s: %s %.2f tok/s%n", r < 0 ? "warm-up" : "rep " + (r + 1), test("tg", nGen), tg.getLast());
                }
            }
            double bw = 0;
            if (!noBandwidth) bw = MemoryBandwidth.measure(th, 256L << 20, 1000).bytesPerSecond();
            long weightBytes = f.tensorBytes();
            Map<String, Object> j = new LinkedHashMap<>();
            j.put("model", model.toString());
            j.put("size_bytes", weightBytes);
            j.put("params", f.parameterCount());
            j.put("threads", th);
            if (!pp.isEmpty()) j.put(test("pp", nPrompt), Map.of("mean", mean(pp), "sd", sd(pp), "samples", pp));
            if (!tg.isEmpty()) j.put(test("tg", nGen), Map.of("mean", mean(tg), "sd", sd(tg), "samples", tg));
            if (!tg.isEmpty()) j.put("decode_bytes_per_s", mean(tg) / parallel * weightBytes);
            if (bw > 0) j.put("bandwidth_bytes_per_s", bw);
            if (json) {
                out.println(new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(j));
                return 0;
            }
            String name = model.getFileName().toString();
            out.printf("| %-28s | %10s | %9s | %7s | %14s | %18s |%n", "model", "size", "params", "threads", "test", "t/s");
            out.printf("| %-28s | %10s | %9s | %7s | %14s | %18s |%n", "-".repeat(28), "-".repeat(10), "-".repeat(9), "-".repeat(7), "-".repeat(14), "-".repeat(18));
            if (!pp.isEmpty()) row(out, name, weightBytes, f.parameterCount(), th, test("pp", nPrompt), pp);
            if (!tg.isEmpty()) row(out, name, weightBytes, f.parameterCount(), th, test("tg", nGen), tg);
            if (!tg.isEmpty()) {
                double steps = mean(tg) / parallel, gbs = steps * weightBytes / 1e9;
                out.printf(Locale.ROOT, "decode reads the weights once per step: %.2f GB × %.2f steps/s = %.1f GB/s", weightBytes / 1e9, steps, gbs);
                if (bw > 0) out.printf(Locale.ROOT, " = %.0f%% of the %.1f GB/s measured here (%d threads)", 100 * gbs * 1e9 / bw, bw / 1e9, th);
                out.println();
            }
        }
        return 0;
    }

    private Grammar grammar() throws java.io.IOException {
        if (jsonSchema != null && grammarFile != null) throw new IllegalArgumentException("give --json-schema or --grammar, not both");
        try {
            if (jsonSchema != null) return Gbnf.parse(JsonSchemaGrammar.compile(new ObjectMapper().readValue(jsonSchema.toFile(), Object.class)));
            if (grammarFile != null) return Gbnf.parse(java.nio.file.Files.readString(grammarFile));
        } catch (GrammarException e) {
            throw new IllegalArgumentException((jsonSchema != null ? jsonSchema : grammarFile) + ": " + e.getMessage(), e);
        }
        return null;
    }

    /**
     * Decode speed with and without a grammar, measured in one run ({@link #decodePair}: the two
     * alternate step by step), sampling with the server's defaults (OpenAI's: temperature 1, no
     * top-k/top-p cut), so a machine shared with other work slows both alike and their ratio stays
     * meaningful. The mask's own time (apply + accept + new masks) is reported per token.
     */
    private int constrained(Grammar grammar, PrintWriter out, PrintWriter err) throws Exception {
        int th = threads != null ? threads : Runtime.getRuntime().availableProcessors();
        GgmlType ct = LoadedModel.cacheType(cacheType);
        Tokenizer tok = Tokenizers.open(model);
        try (ModelFile f = ModelFile.open(model); Matmul mm = new Matmul(th)) {
            int ctx = depth + nGen + 1;
            KvCacheManager kv = new KvCacheManager(f.config(), ct, MemoryPlan.KV_BLOCK_TOKENS, 2 * MemoryPlan.minKvBlocks(ctx, MemoryPlan.KV_BLOCK_TOKENS));
            Transformer tr = new Transformer(new Weights(f), kv, mm);
            SplittableRandom rnd = new SplittableRandom(1);
            int vocab = f.config().vocabSize();
            List<Double> free = new ArrayList<>(), masked = new ArrayList<>(), ratio = new ArrayList<>();
            int[] documents = {0};
            long[] maskNanos = {0};
            for (int r = -1; r < reps; r++) {
                String label = r < 0 ? "warm-up" : "rep " + (r + 1);
                double[] ab = decodePair(tr, rnd, vocab, tok, grammar, r, documents, maskNanos);
                double a = ab[0], b = ab[1];
                err.printf(Locale.ROOT, "  %s: %s unconstrained %.2f tok/s, constrained %.2f tok/s (%.3f×)%n", label, test("tg", nGen), a, b, b / a);
                if (r >= 0) {
                    free.add(a);
                    masked.add(b);
                    ratio.add(b / a);
                }
            }
            String what = jsonSchema != null ? "json-schema " + jsonSchema.getFileName() : "grammar " + grammarFile.getFileName();
            if (json) {
                Map<String, Object> j = new LinkedHashMap<>();
                j.put("model", model.toString());
                j.put("threads", th);
                j.put("constraint", what);
                j.put(test("tg", nGen), Map.of("mean", mean(free), "sd", sd(free), "samples", free));
                j.put(test("tg", nGen) + " constrained", Map.of("mean", mean(masked), "sd", sd(masked), "samples", masked));
                j.put("ratio", Map.of("mean", mean(ratio), "sd", sd(ratio), "samples", ratio));
                j.put("completed_documents", documents[0]);
                j.put("mask_ms_per_token", maskNanos[0] / 1e6 / ((double) nGen * reps));
                out.println(new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(j));
                return 0;
            }
            String name = model.getFileName().toString();
            out.printf("| %-28s | %10s | %9s | %7s | %26s | %18s |%n", "model", "size", "params", "threads", "test", "t/s");
            out.printf("| %-28s | %10s | %9s | %7s | %26s | %18s |%n", "-".repeat(28), "-".repeat(10), "-".repeat(9), "-".repeat(7), "-".repeat(26), "-".repeat(18));
            rowWide(out, name, f.tensorBytes(), f.parameterCount(), th, test("tg", nGen) + " sampled", free);
            rowWide(out, name, f.tensorBytes(), f.parameterCount(), th, test("tg", nGen) + " constrained", masked);
            out.printf(Locale.ROOT, "constrained / unconstrained: %.3f ± %.3f (per rep, alternating; %s; %d complete documents; the mask %.3f ms/token)%n",
                    mean(ratio), sd(ratio), what, documents[0], maskNanos[0] / 1e6 / ((double) nGen * reps));
        }
        return 0;
    }

    /**
     * One rep: two sequences decode {@code nGen} tokens each, step by step in turn — one sampled
     * from the raw logits, one under the grammar's mask (a new mask, as for a new request, whenever
     * the grammar completes) — each step timed on its own and the order swapped every step, so load
     * from other processes and warm caches fall on both alike. Returns {unconstrained tok/s, constrained tok/s}.
     */
    private double[] decodePair(Transformer tr, SplittableRandom rnd, int vocab, Tokenizer tok, Grammar grammar, int rep, int[] documents,
                                long[] maskNanos) {
        int free = atDepth(tr, rnd, vocab), masked = atDepth(tr, rnd, vocab);
        Sampler sf = new Sampler(new SamplingParams(1f, 0, 1f, 0f, 1f, 0f, 0f, 64, Map.of(), 1000 + rep, nGen, List.of(), false));
        Sampler sm = new Sampler(new SamplingParams(1f, 0, 1f, 0f, 1f, 0f, 0f, 64, Map.of(), 2000 + rep, nGen, List.of(), false));
        long tf = 0, tm = 0, spent = 0;
        long m0 = System.nanoTime();
        GrammarMask mask = new GrammarMask(grammar, tok);
        spent += System.nanoTime() - m0;
        tm += spent;
        int tokF = rnd.nextInt(vocab), tokM = rnd.nextInt(vocab);
        for (int i = 0; i < nGen; i++) {
            // the order alternates too: the second forward of a step finds the weights the first one just read in cache
            for (int k = 0; k < 2; k++) {
                if ((k == 0) == (i % 2 == 0)) {
                    long t0 = System.nanoTime();
                    float[] logits = tr.forward(Batch.of(free, new int[] {tokF}, depth + i, Batch.Logits.LAST)).getFirst()[0];
                    tokF = sf.sample(logits);
                    tf += System.nanoTime() - t0;
                    continue;
                }
                long t1 = System.nanoTime();
                float[] logits = tr.forward(Batch.of(masked, new int[] {tokM}, depth + i, Batch.Logits.LAST)).getFirst()[0];
                long a0 = System.nanoTime();
                mask.apply(logits);
                long a1 = System.nanoTime();
                tokM = sm.sample(logits);
                long a2 = System.nanoTime();
                if (tok.isEog(tokM)) {
                    if (rep >= 0) documents[0]++;
                    mask = new GrammarMask(grammar, tok); // the next request
                } else {
                    mask.accept(tokM);
                }
                long t2 = System.nanoTime();
                spent += (a1 - a0) + (t2 - a2);
                tm += t2 - t1;
            }
        }
        if (rep >= 0) maskNanos[0] += spent;
        tr.cache().free(free);
        tr.cache().free(masked);
        return new double[] {nGen / (tf / 1e9), nGen / (tm / 1e9)};
    }

    private static void rowWide(PrintWriter out, String name, long size, long params, int th, String test, List<Double> v) {
        out.printf(Locale.ROOT, "| %-28s | %10s | %9s | %7d | %26s | %9.2f ± %6.2f |%n", name.length() > 28 ? name.substring(0, 28) : name,
                Units.bytes(size), Units.count(params), th, test, mean(v), sd(v));
    }

    /** llama-bench's test name: pp512, or pp512 @ d4096 at a depth; tg128 ×8 for 8 parallel sequences. */
    private String test(String kind, int n) {
        return kind + n + (kind.equals("tg") && parallel > 1 ? " ×" + parallel : "") + (depth > 0 ? " @ d" + depth : "");
    }

    /** A new sequence holding {@code depth} random tokens (untimed), prefilled 512 at a time. */
    private int atDepth(Transformer tr, SplittableRandom rnd, int vocab) {
        int seq = tr.cache().allocate();
        for (int p = 0; p < depth; p += 512) tr.forward(Batch.of(seq, randomTokens(rnd, Math.min(512, depth - p), vocab), p, Batch.Logits.NONE));
        return seq;
    }

    private static int[] randomTokens(SplittableRandom rnd, int n, int vocab) {
        int[] t = new int[n];
        for (int i = 0; i < n; i++) t[i] = rnd.nextInt(vocab);
        return t;
    }

    private static void row(PrintWriter out, String name, long size, long params, int th, String test, List<Double> v) {
        out.printf(Locale.ROOT, "| %-28s | %10s | %9s | %7d | %14s | %9.2f ± %6.2f |%n", name.length() > 28 ? name.substring(0, 28) : name,
                Units.bytes(size), Units.count(params), th, test, mean(v), sd(v));
    }

    static double mean(List<Double> v) {
        return v.stream().mapToDouble(Double::doubleValue).average().orElse(0);
    }

    static double sd(List<Double> v) {
        if (v.size() < 2) return 0;
        double m = mean(v), s = 0;
        for (double x : v) s += (x - m) * (x - m);
        return Math.sqrt(s / (v.size() - 1));
    }
}

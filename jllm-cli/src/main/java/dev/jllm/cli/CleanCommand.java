package dev.jllm.cli;

import dev.jllm.data.CleanConfig;
import dev.jllm.data.CleanConfigLoader;
import dev.jllm.data.CleanPipeline;
import dev.jllm.data.CleanStats;
import dev.jllm.data.InputFiles;
import dev.jllm.data.LocalRunner;
import dev.jllm.data.RunReport;
import java.io.PrintWriter;
import java.nio.file.Files;
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

/** {@code jllm clean}: normalize, filter and dedup a corpus on all cores, and say why each document went. */
@Command(name = "clean", mixinStandardHelpOptions = true,
        description = "Clean a text corpus: normalization, explainable filters (length, simplified Chinese, emoji, C4, Gopher, language), "
                + "exact and MinHash dedup; sharded JSONL output, resumable, with an HTML/JSON report.")
final class CleanCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(names = "--input", required = true, split = ",", paramLabel = "FILES|DIR",
            description = ".txt, .jsonl, .gz files or directories (repeat or separate with commas)")
    List<Path> inputs;

    @Option(names = "--output", required = true, paramLabel = "DIR", description = "part-NNNNN.jsonl(.gz) files; rerun to resume")
    Path output;

    @Option(names = "--preset", paramLabel = "NAME", description = "seed | zh-web | en-web")
    String preset;

    @Option(names = "--config", paramLabel = "clean.yaml", description = "overrides of the defaults (unknown keys are errors)")
    Path config;

    @Option(names = "--text-field", paramLabel = "NAME", description = "JSONL field with the text (default: text)")
    String textField;

    @Option(names = "--txt-docs", paramLabel = "line|paragraph", description = "text input: one document per line (default) or blank-line separated")
    String txtDocs;

    @Option(names = "--report", paramLabel = "DIR", description = "report.html, report.json, PNG histograms (default: OUTPUT/report)")
    Path report;

    @Option(names = "--rejected", description = "also write rejected/ with each dropped document's filter and reason")
    boolean rejected;

    @Option(names = "--gzip", description = "write .jsonl.gz")
    boolean gzip;

    @Option(names = "--fail-fast", description = "stop at the first unreadable file")
    boolean failFast;

    @Option(names = {"-t", "--threads"}, paramLabel = "N", description = "worker threads (default: all cores)")
    int threads = Runtime.getRuntime().availableProcessors();

    @Override
    public Integer call() throws Exception {
        Map<String, Object> overrides = new LinkedHashMap<>();
        if (textField != null) overrides.put("input.text_field", textField);
        if (txtDocs != null) overrides.put("input.txt_docs", txtDocs);
        if (rejected) overrides.put("output.rejected", true);
        if (gzip) overrides.put("output.gzip", true);
        if (failFast) overrides.put("input.fail_fast", true);
        CleanConfig cfg = CleanConfigLoader.load(preset, config, overrides);
        List<Path> files = InputFiles.expand(inputs);
        long total = 0;
        for (Path f : files) total += Files.size(f);
        Files.createDirectories(output);
        PrintWriter out = spec.commandLine().getOut();
        LocalRunner.Result r;
        try (Progress p = new Progress(spec.commandLine().getErr(), "clean", total, true)) {
            r = LocalRunner.run(cfg, new LocalRunner.Options(inputs, output, threads, p::add));
        }
        Path reportDir = report != null ? report : output.resolve("report");
        List<String> names = new ArrayList<>();
        for (Path f : files) names.add(f.toString());
        RunReport.write(reportDir, r, cfg, new CleanPipeline(cfg).stepNames(), names);

        CleanStats s = r.stats();
        out.printf(Locale.ROOT, "clean: %s docs in, %s kept (%.1f%%); %s -> %s%n", Units.grouped(s.docsIn), Units.grouped(s.docsOut),
                100.0 * s.docsOut / Math.max(1, s.docsIn), Units.bytes(s.bytesIn), Units.bytes(s.bytesOut));
        for (Map.Entry<String, Long> e : s.rejected.entrySet()) {
            out.printf(Locale.ROOT, "  dropped by %-18s %12s  (%.1f%%)%n", e.getKey(), Units.grouped(e.getValue()), 100.0 * e.getValue() / Math.max(1, s.docsIn));
        }
        if (s.malformed > 0) out.printf(Locale.ROOT, "  malformed lines %s (first: %s)%n", Units.grouped(s.malformed), s.examples.get("malformed").get(0).source);
        if (s.missingField > 0) out.printf(Locale.ROOT, "  without field '%s': %s%n", cfg.input().textField(), Units.grouped(s.missingField));
        for (String e : r.fileErrors()) out.println("  unreadable: " + e);
        out.printf(Locale.ROOT, "  this run: %d of %d shards (%d finished before), %.1f MB/s, %s docs/s with %d threads, %.1f s%n",
                r.shards() - r.shardsSkipped(), r.shards(), r.shardsSkipped(), r.mbPerSecond(),
                Units.count(r.docsProcessed() / Math.max(r.seconds(), 1e-9)), threads, r.seconds());
        out.println("  output " + output + ", report " + reportDir.resolve("report.html"));
        return r.fileErrors().isEmpty() ? 0 : 2;
    }
}

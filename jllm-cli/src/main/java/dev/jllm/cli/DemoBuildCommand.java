package dev.jllm.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.jllm.server.ChatServer;
import dev.jllm.server.http.ApiKeys;
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

/**
 * {@code jllm demo build}: runs {@link DemoRecipe}'s stages in order (each an ordinary jllm command,
 * printed before it runs), then the recall evaluation against the result served in-process, and
 * writes the model card. A stage whose output exists is skipped, and training stages resume from
 * their checkpoints, so an interrupted build continues where it stopped; a stage whose resume point
 * exists (the bundled model, for the runs that led to it) is skipped too.
 */
@Command(name = "build", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Build a chat model with jllm's own chain from the repository's bundled data: memory dialogues, clean,",
            "tokenizer train, init, tokenize-corpus, train (pretraining), finetune --full (SFT), quantize Q8_0, then the recall",
            "evaluation on held-out dialogues and a model card (MODEL.md beside the GGUF).",
            "--scale full is the default chat model's recipe (about 5 hours on 2 cores; docs/TRAINING.md has its runs); small is the same chain in minutes.",
            "A full build resumes from the bundled model: copy the file the card names (WORK/sft-11.q8_0.gguf) into WORK and the stages that",
            "only led to it are skipped."})
final class DemoBuildCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(names = "--scale", defaultValue = "small", paramLabel = "full|small", description = "(default ${DEFAULT-VALUE})") String scale;
    @Option(names = "--work", paramLabel = "DIR", description = "working directory (default ./jllm-demo-SCALE)") Path work;
    @Option(names = "--out", paramLabel = "FILE.gguf", description = "the model (default WORK/jllm-chat.q8_0.gguf); its card goes beside it") Path out;
    @Option(names = "--repo", paramLabel = "DIR", description = "the jllm repository with testdata/ (default: found from here)") Path repo;
    @Option(names = {"-t", "--threads"}, description = "threads (default: all cores)") Integer threads;
    @Option(names = "--skip-eval", description = "stop after quantizing (no recall evaluation)") boolean skipEval;

    /** A scale of the caller's own (tests run the whole chain at a toy size); null: --scale. */
    DemoRecipe.Scale custom;

    private static final ObjectMapper JSON = new ObjectMapper();

    @Override
    public Integer call() throws Exception {
        build();
        return 0;
    }

    /** Runs the recipe; returns the model written. */
    Path build() throws Exception {
        DemoRecipe.Scale s = custom != null ? custom : DemoRecipe.Scale.of(scale);
        Path r = repo != null ? repo : findRepo();
        Path w = (work != null ? work : Path.of("jllm-demo-" + s.name())).toAbsolutePath();
        Path o = (out != null ? out : w.resolve("jllm-chat.q8_0.gguf")).toAbsolutePath();
        int th = threads != null ? threads : Runtime.getRuntime().availableProcessors();
        DemoRecipe recipe = new DemoRecipe(s, r, w, o, th);
        PrintWriter pw = spec.commandLine().getOut(), err = spec.commandLine().getErr();
        Files.createDirectories(w.resolve("data"));
        Map<String, Double> seconds = new LinkedHashMap<>();
        List<DemoRecipe.Stage> stages = recipe.stages();
        long t0 = System.nanoTime();
        for (int i = 0; i < stages.size(); i++) {
            DemoRecipe.Stage st = stages.get(i);
            pw.printf(Locale.ROOT, "%n== [%d/%d] %s: %s%n$ jllm %s%n", i + 1, stages.size(), st.name(), st.what(), shell(st.args()));
            pw.flush();
            if (Files.exists(st.done())) {
                pw.println("(done before: " + st.done() + " exists)");
                continue;
            }
            if (st.skip()) {
                pw.println("(not needed: " + st.resumePoint() + " exists, where the chain resumes)");
                continue;
            }
            long t = System.nanoTime();
            int rc = Main.run(st.args().toArray(String[]::new), pw, err);
            if (rc != 0) throw new IllegalArgumentException("stage " + st.name() + " failed (exit " + rc + "); fix the cause and rerun: finished stages are kept");
            seconds.put(st.name(), (System.nanoTime() - t) / 1e9);
            recordSeconds(w, st.name(), seconds.get(st.name()));
        }
        pw.printf(Locale.ROOT, "%nchain done in %.1f min%n", (System.nanoTime() - t0) / 60e9);
        if (!skipEval) evaluate(recipe, pw, err);
        Path card = DemoCard.write(recipe);
        pw.println("model: " + o + " (" + Units.bytes(Files.size(o)) + ")");
        pw.println("card:  " + card);
        pw.flush();
        return o;
    }

    /** Stage times survive a rerun (a skipped stage keeps its first time) in WORK/times.json. */
    private static void recordSeconds(Path w, String stage, double secs) throws java.io.IOException {
        Path f = w.resolve("times.json");
        ObjectNode n = Files.exists(f) ? (ObjectNode) JSON.readTree(f.toFile()) : JSON.createObjectNode();
        n.put(stage, Math.round(secs * 10) / 10.0);
        JSON.writerWithDefaultPrettyPrinter().writeValue(f.toFile(), n);
    }

    /** Serves the model in-process (port 0, SQLite under WORK) and runs `jllm demo recall` on each held-out set. */
    private void evaluate(DemoRecipe recipe, PrintWriter pw, PrintWriter err) throws Exception {
        ChatServer server = ChatServer.start(ChatServer.Options.defaults(recipe.out(), recipe.work().resolve("eval-store"), ApiKeys.disabled())
                .withPort(0).withResources(recipe.threads(), 256L << 20));
        try {
            for (DemoRecipe.EvalSet set : recipe.evalSets()) {
                Path report = recipe.work().resolve("eval/recall-" + set.id() + ".json");
                List<String> args = new ArrayList<>(List.of("demo", "recall", "--url", server.uri().toString(), "--data", set.data().toString(),
                        "--mode", "both", "--limit", Integer.toString(recipe.scale().evalPerSet()), "--delete-conversations", "--json", report.toString()));
                pw.printf(Locale.ROOT, "%n== recall: %s%n$ jllm %s%n", set.what(), shell(args));
                pw.flush();
                long t = System.nanoTime();
                int rc = Main.run(args.toArray(String[]::new), pw, err);
                if (rc != 0) throw new IllegalArgumentException("recall evaluation failed (exit " + rc + ")");
                recordSeconds(recipe.work(), "recall-" + set.id(), (System.nanoTime() - t) / 1e9);
            }
        } finally {
            server.shutdown();
        }
    }

    static String shell(List<String> args) {
        StringBuilder sb = new StringBuilder();
        for (String a : args) {
            if (!sb.isEmpty()) sb.append(' ');
            sb.append(a.matches("[A-Za-z0-9_./=:,@%+-]+") ? a : "'" + a.replace("'", "'\\''") + "'");
        }
        return sb.toString();
    }

    /** The repository: the working directory or the one the jar was built in (testdata/sft/identity.json marks it). */
    static Path findRepo() {
        Path marker = Path.of("testdata", "sft", "identity.json");
        if (Files.exists(marker)) return Path.of("").toAbsolutePath();
        try {
            Path p = Path.of(DemoBuildCommand.class.getProtectionDomain().getCodeSource().getLocation().toURI()).toAbsolutePath();
            for (; p != null; p = p.getParent()) if (Files.exists(p.resolve(marker))) return p;
        } catch (Exception e) {
            // fall through
        }
        throw new IllegalArgumentException("cannot find the jllm repository (testdata/sft/identity.json); run from it or give --repo DIR");
    }

    static JsonNode readJson(Path f) throws java.io.IOException {
        return Files.exists(f) ? JSON.readTree(f.toFile()) : null;
    }
}

package dev.jllm.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.file.AccessDeniedException;
import java.nio.file.NoSuchFileException;
import java.util.Properties;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code jllm} command. Subcommands are wired here explicitly, one class per verb.
 * Errors reach the user as one line ("jllm: error: ...") plus a hint, never a stack trace
 * (set JLLM_DEBUG=1 to see it).
 */
@Command(name = "jllm", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "The LLM engineering chain on the JVM: inspect, run, serve and train LLaMA-family models on CPU.",
        subcommands = {InfoCommand.class, DoctorCommand.class, InitCommand.class, GrowCommand.class, ConvertCommand.class, ExportCommand.class, QuantizeCommand.class, ImatrixCommand.class, QuantReportCommand.class,
            BenchCommand.class, GenerateCommand.class, ChatCommand.class, PerplexityCommand.class, TokenizerCommand.class, ServeCommand.class,
            TokenizeCorpusCommand.class, TrainCommand.class, FinetuneCommand.class, DpoCommand.class, RmCommand.class, PpoCommand.class, PlotCommand.class, CleanCommand.class, LoadtestCommand.class, DemoCommand.class, EvalCommand.class, ModelsCommand.class, OpsCommand.class, SoakCommand.class,
            CommandLine.HelpCommand.class})
public final class Main implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    public static void main(String[] args) {
        System.exit(run(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true)));
    }

    /** Runs the CLI with the given streams; returns the exit code (used by tests). */
    public static int run(String[] args, PrintWriter out, PrintWriter err) {
        CommandLine cl = new CommandLine(new Main());
        cl.setOut(out);
        cl.setErr(err);
        cl.setExecutionExceptionHandler((ex, commandLine, parseResult) -> {
            commandLine.getErr().println("jllm: error: " + userMessage(ex));
            String hint = hint(ex);
            if (hint != null) commandLine.getErr().println("hint: " + hint);
            if (System.getenv("JLLM_DEBUG") != null) ex.printStackTrace(commandLine.getErr());
            commandLine.getErr().flush();
            return 1;
        });
        return cl.execute(args);
    }

    static String userMessage(Throwable ex) {
        return switch (ex) {
            case NoSuchFileException e -> "file not found: " + e.getFile();
            case AccessDeniedException e -> "permission denied: " + e.getFile();
            case OutOfMemoryError e -> "out of memory (" + e.getMessage() + ")";
            default -> {
                String m = ex.getMessage();
                yield m == null || m.isBlank() ? ex.getClass().getSimpleName() : m;
            }
        };
    }

    private static String hint(Throwable ex) {
        if (ex instanceof NoSuchFileException) return "check the path; models are .gguf files (or llama2.c .bin checkpoints)";
        if (ex instanceof OutOfMemoryError) return "give the JVM more heap with JAVA_OPTS=-Xmx..., or use a smaller model/context";
        if (ex instanceof dev.jllm.gguf.GgufFormatException) return "the file is not a valid model; re-download or re-convert it";
        if (ex instanceof IOException) return null;
        if (ex instanceof IllegalArgumentException) return null;
        if (ex instanceof dev.jllm.server.store.ModelRegistry.RegistryException) return null;
        if (ex instanceof dev.jllm.server.store.ConversationStore.StoreException) return "check that the database is reachable (--data-dir / --store)";
        return "this is a bug in jllm; rerun with JLLM_DEBUG=1 and report the stack trace";
    }

    /** Version and git commit, filled in at build time. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            Properties p = new Properties();
            try (InputStream in = Main.class.getResourceAsStream("version.properties")) {
                if (in != null) p.load(in);
            } catch (IOException ignored) {
                // fall through to "unknown"
            }
            String commit = p.getProperty("commit", "");
            if (commit.isEmpty() || commit.startsWith("${")) commit = "unknown";
            if ("true".equals(p.getProperty("dirty"))) commit += " (modified)";
            return new String[] {
                "jllm " + p.getProperty("version", "unknown") + " (commit " + commit + ")",
                "JVM: " + System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version")
                        + ", " + System.getProperty("os.name") + " " + System.getProperty("os.arch")
            };
        }
    }
}

package dev.jllm.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code jllm demo}: the default chat model's chain at a small scale, ending by serving its result;
 * its subcommands are the chain's pieces (the recipe, the memory dialogues, the recall check).
 */
@Command(name = "demo", mixinStandardHelpOptions = true, sortOptions = false,
        subcommands = {DemoBuildCommand.class, DemoDialoguesCommand.class, DemoCopyTextCommand.class, DemoEchoCommand.class, DemoRecallCommand.class, DemoPreferencesCommand.class},
        description = {"Without a subcommand: build a small chat model with jllm's own chain (the default model's recipe at a small scale:",
            "dialogues, clean, tokenizer, pretrain, SFT, Q8_0, recall evaluation; seeded, a few minutes on 2 cores), print each stage's",
            "numbers, then serve it like `jllm serve`.",
            "  build      the recipe at either scale (--scale full: the default chat model's, ~5 h on 2 cores; see docs/TRAINING.md)",
            "  dialogues  seeded multi-turn memory dialogues (en/zh) for `jllm finetune --data`, train or held-out material",
            "  echo       the echo drill: \"repeat after me\" over the tokenizer's pieces (copy practice for every token)",
            "  recall     does a server remember a fact across turns? (held-out dialogues, stateless and stateful)"})
final class DemoCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(names = "--work", paramLabel = "DIR", description = "working directory (default ./jllm-demo-small; rerun to continue)") Path work;
    @Option(names = {"-t", "--threads"}, description = "threads (default: all cores)") Integer threads;
    @Option(names = "--port", defaultValue = "8080", description = "port to serve the result on (default ${DEFAULT-VALUE})") int port;
    @Option(names = "--no-serve", description = "stop after the build and its evaluation") boolean noServe;

    @Override
    public Integer call() throws Exception {
        DemoBuildCommand b = new DemoBuildCommand();
        b.spec = spec; // its output goes where this command's goes
        b.scale = "small";
        b.work = work;
        b.threads = threads;
        Path model = b.build();
        if (noServe) return 0;
        String[] args = {"serve", "-m", model.toString(), "--port", Integer.toString(port), "--data-dir", model.resolveSibling("serve-data").toString()};
        spec.commandLine().getOut().println("\n$ jllm " + String.join(" ", args));
        spec.commandLine().getOut().flush();
        return Main.run(args, spec.commandLine().getOut(), spec.commandLine().getErr());
    }
}

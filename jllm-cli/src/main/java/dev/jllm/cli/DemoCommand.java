package dev.jllm.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code jllm demo}: the default-model chain's pieces (issue 19): memory dialogues and the recall check. */
@Command(name = "demo", mixinStandardHelpOptions = true, subcommands = {DemoDialoguesCommand.class, DemoRecallCommand.class},
        description = {"The default chat model's data and measurements:",
            "  dialogues  seeded multi-turn memory dialogues (en/zh) for `jllm finetune --data`, train or held-out material",
            "  recall     does a server remember a fact across turns? (held-out dialogues, stateless and stateful)"})
final class DemoCommand implements Runnable {
    @Spec CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }
}

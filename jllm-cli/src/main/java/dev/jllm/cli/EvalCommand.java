package dev.jllm.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code jllm eval}: quality evaluation. {@code run} runs a model on a task; the subcommands that score files need no model. */
@Command(name = "eval", mixinStandardHelpOptions = true, sortOptions = false,
        subcommands = {EvalRunCommand.class, EvalScoreCommand.class, EvalBootstrapCommand.class, EvalCompareCommand.class},
        description = {"Evaluate quality, with confidence intervals (see docs/EVALUATION.md):",
            "  run        a task (YAML + JSONL or MMLU/C-Eval/CMMLU CSV) on a local model or an OpenAI-compatible URL; resumable",
            "  score      BLEU / chrF / ROUGE / exact match / F1 of a predictions file against reference files, with a bootstrap CI",
            "  bootstrap  the CI of an accuracy (K of N, or per-item scores) and the items needed for a target half-width",
            "  compare    two systems on the same items: paired bootstrap and McNemar's test"})
final class EvalCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getOut());
        return 0;
    }
}

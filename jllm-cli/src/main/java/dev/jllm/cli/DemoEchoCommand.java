package dev.jllm.cli;

import dev.jllm.sft.synth.EchoDrill;
import dev.jllm.sft.synth.Pieces;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code jllm demo echo}: the echo drill ({@link EchoDrill}) as OpenAI messages JSONL for {@code jllm finetune}. */
@Command(name = "echo", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Write the echo drill (OpenAI messages JSONL, read by `jllm finetune --data`): \"repeat after me\" over a tokenizer's",
            "own Latin and Han pieces (held-out words and name characters left out), 1-3 exchanges per dialogue, en/zh alternating; the",
            "assistant answers with exactly the span. Every answer token is a copy target, so the model practises copying every piece",
            "of its vocabulary. The same arguments give a byte-identical file."})
final class DemoEchoCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(names = "--out", required = true, paramLabel = "FILE.jsonl", description = "output file (written atomically)") Path out;
    @Option(names = "--count", required = true, paramLabel = "N", description = "dialogues") int count;
    @Option(names = "--seed", defaultValue = "0", description = "(default ${DEFAULT-VALUE})") long seed;
    @Option(names = "--pieces-from", required = true, paramLabel = "TOKENIZER",
            description = "the tokenizer whose pieces the spans are glued from; " + TokenizerCommand.TOKENIZER_HELP) String piecesFrom;

    @Override
    public Integer call() throws Exception {
        if (count < 1) throw new IllegalArgumentException("--count must be >= 1, got " + count);
        Pieces pieces = DemoDialoguesCommand.loadPieces("--pieces-from", piecesFrom);
        if (pieces.latin().isEmpty() || pieces.han().isEmpty()) {
            throw new IllegalArgumentException("--pieces-from " + piecesFrom + ": the echo drill is bilingual and needs both Latin and Han pieces;"
                    + " this vocabulary has " + pieces.latin().size() + " Latin and " + pieces.han().size() + " Han");
        }
        long chars = EchoDrill.write(out, seed, count, pieces);
        PrintWriter w = spec.commandLine().getOut();
        w.printf("wrote %,d echo dialogues (%,d answer characters) to %s (seed %d)%n  pieces       %d Latin, %d Han from %s%n", count, chars, out,
                seed, pieces.latin().size(), pieces.han().size(), piecesFrom);
        w.flush();
        return 0;
    }
}

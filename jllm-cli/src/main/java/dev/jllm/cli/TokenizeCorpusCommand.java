package dev.jllm.cli;

import dev.jllm.tokenizer.Tokenizer;
import dev.jllm.train.TokenShards;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.regex.Pattern;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code jllm tokenize-corpus}: text files → token shards for {@code jllm train}. */
@Command(name = "tokenize-corpus", mixinStandardHelpOptions = true,
        description = {"Tokenize text files into token shards (uint16/uint32 by vocabulary size, with an index) for jllm train.",
            "Each run writes one source (--source); run it once per source into the same directory to mix sources with train --mix."})
final class TokenizeCorpusCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(names = "--tokenizer", required = true, paramLabel = "T", description = TokenizerCommand.TOKENIZER_HELP)
    Path tokenizer;

    @Option(names = "--input", required = true, arity = "1..*", paramLabel = "FILE", description = "UTF-8 text files, JSONL files (one document per line, e.g. jllm clean's output; also .gz) or directories of them")
    List<Path> inputs;

    @Option(names = "--text-field", defaultValue = "text", paramLabel = "NAME", description = "JSONL field with the text (default: ${DEFAULT-VALUE}; chat records are read from their messages, one \"role\\ncontent\" per message)")
    String textField;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "shard directory (created; index.txt lists the shards)")
    Path out;

    @Option(names = "--source", defaultValue = "general", paramLabel = "NAME", description = "source name for --mix (default: ${DEFAULT-VALUE})")
    String source;

    @Option(names = "--val-fraction", defaultValue = "0.01", paramLabel = "F", description = "share of documents held out for validation (default: ${DEFAULT-VALUE})")
    double valFraction;

    @Option(names = "--doc-separator", paramLabel = "S",
            description = "split text files into documents at this string (e.g. '<|endoftext|>'; '\\n\\n' for blank lines); default: one document per file (JSONL: one per line)")
    String separator;

    @Option(names = "--loss-after", paramLabel = "S",
            description = {"per-token loss mask for supervised data: in each document, the text up to and including the first S",
                "(e.g. '### Response:') is context only (-100 targets); documents without S are learned whole"})
    String lossAfter;

    @Override
    public Integer call() throws Exception {
        Tokenizer tok = load(tokenizer);
        int eos = tok.eos();
        if (eos < 0) throw new IllegalArgumentException(tokenizer + " defines no EOS token; documents are packed with EOS separators");
        boolean bos = tok.vocabulary().addBos() && tok.bos() >= 0;
        String sep = separator == null ? null : separator.replace("\\n", "\n").replace("\\t", "\t");
        List<Path> files = CorpusDocuments.expand(inputs);
        long bytes = 0;
        for (Path p : files) bytes += Files.size(p);
        var err = spec.commandLine().getErr();
        long tokens = 0;
        int docs = 0, masked = 0;
        try (TokenShards.Writer w = new TokenShards.Writer(out, source, tok.vocabSize(), eos);
             Progress progress = new Progress(err, "tokenize", bytes, true)) {
            for (Path p : files) {
                List<String> parts = CorpusDocuments.read(p, textField, sep);
                long fileBytes = Files.size(p), counted = 0;
                for (String d : parts) {
                    int cut = lossAfter == null ? -1 : d.indexOf(lossAfter);
                    // the context part and the learned part are tokenized separately, so the boundary is a token boundary
                    int[] context = cut < 0 ? new int[0] : tok.encode(d.substring(0, cut + lossAfter.length()), false, false);
                    int[] learned = tok.encode(cut < 0 ? d : d.substring(cut + lossAfter.length()), false, false);
                    int head = (bos ? 1 : 0) + context.length;
                    int[] ids = new int[head + learned.length];
                    if (bos) ids[0] = tok.bos();
                    System.arraycopy(context, 0, ids, bos ? 1 : 0, context.length);
                    System.arraycopy(learned, 0, ids, head, learned.length);
                    if (lossAfter != null) {
                        boolean[] target = new boolean[ids.length];
                        java.util.Arrays.fill(target, head, ids.length, true);
                        if (cut < 0) java.util.Arrays.fill(target, true);
                        else masked++;
                        w.add(ids, target);
                    } else {
                        w.add(ids);
                    }
                    tokens += ids.length + 1;
                    docs++;
                    long b = Math.min(fileBytes - counted, d.getBytes(StandardCharsets.UTF_8).length + (sep == null ? 0 : sep.length()));
                    progress.add(b);
                    counted += b;
                }
                progress.add(fileBytes - counted);
            }
            List<TokenShards.Shard> shards = w.finish(valFraction);
            if (lossAfter != null) {
                spec.commandLine().getOut().printf(Locale.ROOT, "loss mask: %d of %d documents have context before '%s'%n", masked, docs, lossAfter);
            }
            for (TokenShards.Shard s : shards) {
                spec.commandLine().getOut().printf(Locale.ROOT, "%s: %s %s, %s tokens, %d documents%n", out.resolve(s.file()), s.source(), s.split(),
                        Units.grouped(s.tokens()), s.docs());
            }
            spec.commandLine().getOut().printf(Locale.ROOT, "%d documents, %s tokens (%.2f bytes/token), vocab %d (%s), EOS %d%n", docs,
                    Units.grouped(tokens), bytes / (double) Math.max(1, tokens), tok.vocabSize(), tok.vocabSize() > 65536 ? "uint32" : "uint16", eos);
        }
        return 0;
    }

    /** Any tokenizer `jllm tokenizer` reads: a GGUF, tokenizer.json, vocab.json+merges.txt folder, .tiktoken, a name. */
    static Tokenizer load(Path p) throws Exception {
        return TokenizerCommand.load(p.toString());
    }
}

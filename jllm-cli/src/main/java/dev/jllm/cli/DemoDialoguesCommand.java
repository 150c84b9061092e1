package dev.jllm.cli;

import dev.jllm.sft.synth.Dialogue;
import dev.jllm.sft.synth.DialogueGenerator;
import dev.jllm.sft.synth.Lang;
import dev.jllm.sft.synth.Pieces;
import dev.jllm.sft.synth.Split;
import dev.jllm.tokenizer.Tokenizer;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code jllm demo dialogues}: memory dialogues as OpenAI messages JSONL, with the expected answer in each record's {@code meta}. */
@Command(name = "dialogues", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Write seeded multi-turn memory dialogues (OpenAI messages JSONL, read by `jllm finetune --data`): a fact given in",
            "turn 1 or 2 (name, number, place, preference, plan, date, code, address, or an open-ended \"my <attribute> is <value>\"",
            "among ~70 attributes per language: a dog's name, a room number, a flight date...), sometimes corrected, unrelated turns, then a",
            "question; the last answer contains the fact verbatim. Each record's \"meta\" holds the expected answer (ignored by finetune).",
            "train and heldout share no values, name syllables/characters, code alphabets, number lengths, attributes or question",
            "phrasings (--all-phrasings: every wording, values and attributes still from the split's side).",
            "The same arguments give a byte-identical file."})
final class DemoDialoguesCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(names = "--out", required = true, paramLabel = "FILE.jsonl", description = "output file (written atomically)") Path out;
    @Option(names = "--count", required = true, paramLabel = "N", description = "dialogues") int count;
    @Option(names = "--seed", defaultValue = "0", description = "(default ${DEFAULT-VALUE})") long seed;
    @Option(names = "--lang", split = ",", defaultValue = "en,zh", description = "languages, alternating (default ${DEFAULT-VALUE})") List<String> langs;
    @Option(names = "--split", required = true, paramLabel = "train|heldout|wild",
            description = "which side's material; wild: training wordings with values drawn at random over whole alphabets and "
                    + "number lengths (a copy drill with nothing to memorise)") String split;
    @Option(names = "--distractors", defaultValue = "0-2", paramLabel = "MIN-MAX",
            description = "unrelated turns between fact and question, cycled through the range (at most 6; default ${DEFAULT-VALUE})") String distractors;
    @Option(names = "--corrections", defaultValue = "0.15", paramLabel = "RATE", description = "share of corrected facts (default ${DEFAULT-VALUE})")
    double corrections;
    @Option(names = "--facts", defaultValue = "1", paramLabel = "N",
            description = "facts per dialogue: 1 (default), or 1 to N of different types, each asked at the end in a shuffled order (denser training)")
    int facts;
    @Option(names = "--system", defaultValue = "0.3", paramLabel = "RATE", description = "share with a system message (default ${DEFAULT-VALUE})")
    double system;
    @Option(names = "--all-phrasings", description = "write with every statement/question wording and unrelated exchange, not only the split's "
            + "side (values and attributes stay on the split's side): for the model a user gets; held-out wordings then measure nothing")
    boolean allPhrasings;
    @Option(names = "--kinds", split = ",", paramLabel = "TYPE,...",
            description = "only these fact types (name, number, place, preference, plan, date, code, address, attribute): a drill on the types a "
                    + "model still gets wrong (default: all)")
    List<String> kinds = List.of();
    @Option(names = "--open-plans", description = "with --split wild: plans start with any word or character, not one of a short list of "
            + "verbs (a drill that makes the model copy the verb it was told instead of saying one it knows)")
    boolean openPlans;
    @Option(names = "--pieces-from", paramLabel = "TOKENIZER",
            description = "with --split wild: glue a third of the words of wild plans and preferences from this tokenizer's Latin and Han "
                    + "pieces (held-out words and name characters left out), so the drill makes the model copy every token; "
                    + TokenizerCommand.TOKENIZER_HELP)
    String piecesFrom;
    @Option(names = "--open-attributes", description = "with --split wild: open-ended attributes named by random common words (\"my harbor "
            + "lamp code is ...\"), none of a held-out attribute's words, instead of the listed ones (a drill for attributes never seen)")
    boolean openAttributes;
    @Option(names = "--pieces-every-word", description = "with --pieces-from: glue every word of those values from the pieces, not a third "
            + "(a dense drill: each piece is copied many times per SFT run)")
    boolean piecesEveryWord;

    /** The Latin and Han pieces of a tokenizer's vocabulary (held-out material left out); {@code option} names the flag in errors. */
    static Pieces loadPieces(String option, String tokenizer) throws java.io.IOException {
        Tokenizer tok = TokenizerCommand.load(tokenizer);
        List<String> texts = new ArrayList<>(tok.vocabSize());
        for (int id = 0; id < tok.vocabSize(); id++) texts.add(tok.decode(new int[] {id}, false));
        Pieces pieces = Pieces.of(texts);
        if (pieces.isEmpty()) {
            throw new IllegalArgumentException(option + " " + tokenizer + ": the vocabulary has no Latin or Han piece (letters or Han"
                    + " characters only) to glue values from; use the tokenizer the model is trained with");
        }
        return pieces;
    }

    @Override
    public Integer call() throws Exception {
        if (count < 1) throw new IllegalArgumentException("--count must be >= 1, got " + count);
        int[] d = DialogueGenerator.Options.parseRange(distractors);
        List<Lang> ls = langs.stream().map(Lang::parse).distinct().toList();
        Pieces pieces = Pieces.NONE;
        if (piecesEveryWord && piecesFrom == null) {
            throw new IllegalArgumentException("--pieces-every-word needs --pieces-from TOKENIZER: the pieces to glue the words from");
        }
        if (piecesFrom != null) {
            pieces = loadPieces("--pieces-from", piecesFrom);
            if (piecesEveryWord) pieces = pieces.dense();
        }
        var o = new DialogueGenerator.Options(seed, Split.parse(split), ls, d[0], d[1], corrections, system, facts, allPhrasings, kinds, openPlans,
                pieces, openAttributes);
        List<Dialogue> ds = DialogueGenerator.write(out, o, count);
        Map<String, Integer> byLang = new TreeMap<>(), byDistractors = new TreeMap<>(), byType = new TreeMap<>();
        int corrected = 0;
        for (Dialogue x : ds) {
            byLang.merge(x.lang().id(), 1, Integer::sum);
            byDistractors.merge(Integer.toString(x.distractors()), 1, Integer::sum);
            byType.merge(x.type(), 1, Integer::sum);
            if (x.corrected()) corrected++;
        }
        PrintWriter w = spec.commandLine().getOut();
        w.printf("wrote %d %s dialogues to %s (seed %d)%n", ds.size(), o.split().id(), out, seed);
        if (!pieces.isEmpty()) {
            w.printf("  pieces       %d Latin, %d Han from %s (%s)%n", pieces.latin().size(), pieces.han().size(), piecesFrom,
                    pieces.everyWord() ? "every word" : "a third of the words");
        }
        w.printf("  languages    %s%n  distractors  %s%n  types        %s%n  corrections  %d%n", byLang, byDistractors, byType, corrected);
        w.flush();
        return 0;
    }
}

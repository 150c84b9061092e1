package dev.jllm.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The default chat model's recipe: the whole chain as {@code jllm} commands, at two scales. "full"
 * is the default chat model's recipe (to be committed as {@code models/jllm-chat.q8_0.gguf} once a build
 * passes its recall bar; docs/TRAINING.md has the runs); "small" is the same chain
 * in minutes ({@code jllm demo}). Every stage is an ordinary command a user can run by hand; the
 * model card prints them exactly.
 *
 * @param repo the repository (bundled data is read from its testdata/)
 * @param work where every stage writes (stages whose output exists are skipped on a rerun)
 */
record DemoRecipe(Scale scale, Path repo, Path work, Path out, int threads) {

    /**
     * SFT continued after the first run: {@code count} more runs of {@code steps} each, every one from the
     * previous result with a fresh warm-up and cosine (a warm restart, as SGDR), so the curve can be read
     * run by run and an interrupted build loses at most one run's tail (each resumes from its checkpoint).
     * From run {@code focusFrom} on (0: never) the mix also holds {@link #FOCUS_KINDS} dialogues with random values:
     * the fact types whose values are long phrases (a whole weekend plan, a two-word drink, an address), which the
     * model still copied only partly after four runs (docs/TRAINING.md). From run {@code openFrom} on (0: never) the drill also
     * holds {@link #OPEN_KINDS} dialogues whose plans start with any word ({@code --open-plans}): with plans that always began
     * with one of 24 verbs, the model said a verb it knew instead of the one it was told (plan recall 7/35 after eight runs).
     * From run {@code piecesFrom} on (0: never) a third drill glues a third of those values' words from the tokenizer's own
     * pieces ({@code --pieces-from}): after run 9 the plans still failed on single tokens the model had never had to copy
     * ("rep大 the kitchen" for "repaint the kitchen").
     * From run {@code denseFrom} on (0: never) the dense drill joins ({@code --pieces-every-word}: every word of those values
     * glued from pieces), because after two runs of the sparse one the model still replaced pieces the drill held ("repcle the
     * kitchen", 羽 favorite球 for 羽毛球): each piece had been copied only a few times per run. Run {@code denseFrom} starts from
     * the previous run's Q8_0 file read back as F32 (the model bundled in models/ while that run was the last), so that a machine
     * with the repository alone continues from the committed model instead of spending ~5 hours on the earlier runs.
     * From run {@code echoFrom} on (0: never) the echo drill joins ({@code jllm demo echo}: "repeat after me" over the pieces, every
     * answer token a copy target): the tokens the model still confused had embeddings collapsed onto frequent ones, and only being
     * copied often teaches the copy circuit to tell them apart (dev.jllm.sft.synth.EchoDrill).
     * From run {@code attrFrom} on (0: never) the open-attribute drill joins ({@code --open-attributes}: attributes named by random
     * words): after run 14 most English misses were held-out attributes ("What is my dream destination?" answered "You told me your
     * dream destination."), a name the model had never seen as a key.
     */
    record Continued(int count, int steps, int batch, int seq, double lr, int focusFrom, int openFrom, int piecesFrom, int denseFrom,
                     int echoFrom, int attrFrom) {
        static final Continued NONE = new Continued(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);

        Continued {
            if (openFrom > 0 && (focusFrom == 0 || openFrom < focusFrom)) {
                throw new IllegalArgumentException("the open-plan drill (from run " + openFrom + ") joins the focus drill, so it cannot start before it"
                        + " (focus from run " + focusFrom + ")");
            }
            if (piecesFrom > 0 && (openFrom == 0 || piecesFrom < openFrom)) {
                throw new IllegalArgumentException("the vocabulary-piece drill (from run " + piecesFrom + ") joins the open-plan drill, so it cannot"
                        + " start before it (open from run " + openFrom + ")");
            }
            if (denseFrom > 0 && (piecesFrom == 0 || denseFrom <= piecesFrom)) {
                throw new IllegalArgumentException("the dense drill (from run " + denseFrom + ") follows the vocabulary-piece drill, so it starts"
                        + " after it (pieces from run " + piecesFrom + ")");
            }
            if (echoFrom > 0 && (denseFrom == 0 || echoFrom < denseFrom)) {
                throw new IllegalArgumentException("the echo drill (from run " + echoFrom + ") joins the dense drill, so it cannot start before it"
                        + " (dense from run " + denseFrom + ")");
            }
            if (attrFrom > 0 && (echoFrom == 0 || attrFrom < echoFrom)) {
                throw new IllegalArgumentException("the open-attribute drill (from run " + attrFrom + ") joins the echo drill, so it cannot start"
                        + " before it (echo from run " + echoFrom + ")");
            }
            if (denseFrom > count + 1) {
                throw new IllegalArgumentException("the dense drill starts at run " + denseFrom + ", after the last run (" + (count + 1) + ")");
            }
        }

        boolean attr(int run) {
            return attrFrom > 0 && run >= attrFrom;
        }

        boolean echo(int run) {
            return echoFrom > 0 && run >= echoFrom;
        }

        boolean dense(int run) {
            return denseFrom > 0 && run >= denseFrom;
        }

        boolean pieces(int run) {
            return piecesFrom > 0 && run >= piecesFrom;
        }

        boolean focus(int run) {
            return focusFrom > 0 && run >= focusFrom;
        }

        boolean open(int run) {
            return openFrom > 0 && run >= openFrom;
        }
    }

    /** The fact types of the focus drill: the long-phrase values. */
    static final String FOCUS_KINDS = "plan,preference,address";
    /** The fact types of the open-plan drill: plans (with any first word) and the types still below the bar after eight runs. */
    static final String OPEN_KINDS = "plan,preference,attribute";
    /** The fact types of the dense drill: the two whose values are glued from pieces. */
    static final String DENSE_KINDS = "plan,preference";

    /** Everything that differs between the two scales. */
    record Scale(String name, int trainDialogues, int evalPerSet, int copyDocs, int copyWeight, int warmupSteps, int vocab, int dim, int layers,
                 int heads, int kvHeads, int ffn, int ctx, int pretrainSteps, int pretrainBatch, int pretrainSeq, double pretrainLr, int sftSteps, int sftBatch, int sftSeq,
                 double sftLr, Continued more) {
        /**
         * The default chat model's recipe: the small shape (1.3 M parameters), because copying is learned from tokens seen and
         * on 2 cores this shape sees ~5× more of them per hour than the 6.8 M shape of the first full run (docs/TRAINING.md);
         * a long copy warm-up, then ~22,000 SFT steps (~50 M tokens) in fifteen runs, the last ten with the focus drill, the last
         * seven with the open-plan drill, the last six with the vocabulary-piece drill, the last four with the dense drill, the last
         * two with the echo drill, the last one with the open-attribute drill (docs/TRAINING.md has each run's recall).
         */
        static final Scale FULL = new Scale("full", 100_000, 400, 60_000, 3, 2500, 4096, 128, 4, 4, 2, 384, 1024,
                80, 8, 256, 3e-3, 1000, 8, 256, 3e-3, new Continued(14, 1500, 6, 384, 1.5e-3, 6, 9, 10, 12, 14, 15));
        static final Scale SMALL = new Scale("small", 12_000, 100, 60_000, 3, 200, 4096, 128, 4, 4, 2, 384, 1024,
                80, 8, 256, 3e-3, 300, 8, 256, 3e-3, Continued.NONE);

        static Scale of(String s) {
            return switch (s.toLowerCase(Locale.ROOT)) {
                case "full" -> FULL;
                case "small" -> SMALL;
                default -> throw new IllegalArgumentException("--scale must be full or small, got '" + s + "'");
            };
        }
    }

    /**
     * One step of the chain: the command's arguments and the file whose existence means it is done; {@code resumePoint}, when
     * set, is a later file that makes this stage unnecessary (the earlier runs' chain once the dense drill's start exists).
     */
    record Stage(String name, String what, Path done, List<String> args, Path resumePoint) {
        Stage(String name, String what, Path done, List<String> args) {
            this(name, what, done, args, null);
        }

        /** Not to run: its output exists, or the resume point that replaces it does. */
        boolean skip() {
            return java.nio.file.Files.exists(done) || resumePoint != null && java.nio.file.Files.exists(resumePoint);
        }
    }

    /** The stages that only lead to the resume point: the copy text, its shards and the model chain up to run denseFrom − 1. */
    private static final java.util.Set<String> BEFORE_RESUME = java.util.Set.of("repeat-text", "copy-text", "init", "shards", "copy-shards",
            "repeat-shards", "pretrain", "warmup", "sft");

    /**
     * The file run {@code denseFrom} starts from, before it is read back as F32: run denseFrom − 1 as Q8_0 (null without a dense
     * drill). Copying models/jllm-chat.q8_0.gguf there makes the recipe skip everything that only led to it.
     */
    Path resumePoint() {
        int d = scale.more().denseFrom();
        return d == 0 ? null : work.resolve(sftModel(d - 1).getFileName().toString().replace(".gguf", ".q8_0.gguf"));
    }

    /** The seed of every random choice in the recipe (dialogues, init, data order). */
    static final long SEED = 1;
    static final String[] SPECIALS = {"<|endoftext|>", "<|im_start|>", "<|im_end|>"};
    /** The assistant's name and author, filled into LLaMA-Factory's identity.json. */
    static final String NAME = "jllm", AUTHOR = "the jllm project";

    Path data(String f) {
        return work.resolve("data").resolve(f);
    }

    Path testdata(String f) {
        return repo.resolve("testdata").resolve(f);
    }

    /** Held-out recall sets: {@code d} unrelated turns between the fact and the question, no corrections. */
    Path heldout(int d) {
        return data("heldout-d" + d + ".jsonl");
    }

    static final int[] EVAL_DISTRACTORS = {1, 2};

    /** A recall evaluation set: its id (report eval/recall-ID.json), what the card calls it, its dialogues. */
    record EvalSet(String id, String what, Path data) {}

    /**
     * The generated held-out sets (values, names' pieces and attributes never in training) and the 40 dialogues written by hand
     * in wordings and fact types the generator does not have (testdata/demo/handwritten-recall.jsonl).
     */
    List<EvalSet> evalSets() {
        List<EvalSet> out = new ArrayList<>();
        for (int d : EVAL_DISTRACTORS) out.add(new EvalSet("d" + d, "held-out, " + d + " unrelated turn" + (d == 1 ? "" : "s"), heldout(d)));
        out.add(new EvalSet("handwritten", "written by hand, 1-2 unrelated turns", testdata("demo/handwritten-recall.jsonl")));
        return out;
    }

    List<Stage> stages() {
        Scale s = scale;
        String t = Integer.toString(threads);
        List<Stage> st = new ArrayList<>();
        st.add(new Stage("dialogues", "synthetic memory dialogues (train side)", data("dialogues.jsonl"), List.of("demo", "dialogues", "--split", "train",
                "--count", Integer.toString(s.trainDialogues()), "--seed", Long.toString(SEED), "--distractors", "0-3", "--facts", "3", "--all-phrasings",
                "--out", data("dialogues.jsonl").toString())));
        // the same dialogues with values drawn over whole alphabets: nothing to memorise, so the model learns to copy (issue 19)
        st.add(new Stage("wild", "memory dialogues with random values (a copy drill)", data("wild.jsonl"), List.of("demo", "dialogues", "--split", "wild",
                "--count", Integer.toString(s.trainDialogues()), "--seed", Long.toString(SEED), "--distractors", "0-3", "--facts", "3",
                "--out", data("wild.jsonl").toString())));
        if (s.more().focusFrom() > 0) {
            st.add(new Stage("wild-focus", "random-value dialogues of the long-phrase fact types (" + FOCUS_KINDS + ")", data("wild-focus.jsonl"),
                    List.of("demo", "dialogues", "--split", "wild", "--count", Integer.toString(s.trainDialogues() / 2), "--seed", Long.toString(SEED + 2),
                            "--distractors", "0-3", "--facts", "2", "--kinds", FOCUS_KINDS, "--out", data("wild-focus.jsonl").toString())));
        }
        if (s.more().openFrom() > 0) {
            st.add(new Stage("wild-open", "random-value dialogues with open plans (" + OPEN_KINDS + ")", data("wild-open.jsonl"),
                    List.of("demo", "dialogues", "--split", "wild", "--open-plans", "--count", Integer.toString(s.trainDialogues() / 2),
                            "--seed", Long.toString(SEED + 3), "--distractors", "0-3", "--facts", "2", "--kinds", OPEN_KINDS,
                            "--out", data("wild-open.jsonl").toString())));
        }
        for (int d : EVAL_DISTRACTORS) {
            st.add(new Stage("heldout-d" + d, "held-out dialogues, " + d + " unrelated turn(s)", heldout(d), List.of("demo", "dialogues", "--split", "heldout",
                    "--count", Integer.toString(s.evalPerSet()), "--seed", Long.toString(SEED + 100 + d), "--distractors", Integer.toString(d),
                    "--corrections", "0", "--out", heldout(d).toString())));
        }
        st.add(new Stage("repeat-text", "copy warm-up text (random spans repeated in place)", data("repeat.jsonl"), List.of("demo", "copy-text",
                "--kinds", "repeat", "--count", Integer.toString(s.copyDocs()), "--seed", Long.toString(SEED + 1), "--out", data("repeat.jsonl").toString())));
        st.add(new Stage("copy-text", "the copy curriculum (random spans repeated, key-value recall)", data("copy.jsonl"), List.of("demo", "copy-text",
                "--count", Integer.toString(s.copyDocs()), "--seed", Long.toString(SEED), "--out", data("copy.jsonl").toString())));
        st.add(new Stage("clean", "clean the bundled text corpora", work.resolve("clean/report/report.json"), List.of("clean",
                "--input", testdata("corpora/clean/wiki_demo.txt") + "," + testdata("corpora/clean/c4_demo.jsonl") + ","
                        + testdata("corpora/cmrc2018-trial-contexts.jsonl"),
                "--output", work.resolve("clean").toString(), "-t", t)));
        List<String> tok = new ArrayList<>(List.of("tokenizer", "train", "--vocab-size", Integer.toString(s.vocab()), "--pretokenizer", "qwen2",
                "--input", work.resolve("clean").toString(), "--input", data("dialogues.jsonl").toString(), "--out", work.resolve("tokenizer.json").toString(),
                "--threads", t));
        for (String sp : SPECIALS) tok.addAll(List.of("--special", sp));
        st.add(new Stage("tokenizer", "bilingual byte-level BPE", work.resolve("tokenizer.json"), tok));
        if (s.more().piecesFrom() > 0) {
            // after the tokenizer: its pieces are the material
            st.add(new Stage("wild-pieces", "random-value dialogues with open plans, words partly glued from the tokenizer's pieces ("
                    + OPEN_KINDS + ")", data("wild-pieces.jsonl"), List.of("demo", "dialogues", "--split", "wild", "--open-plans",
                    "--pieces-from", work.resolve("tokenizer.json").toString(), "--count", Integer.toString(s.trainDialogues() / 2),
                    "--seed", Long.toString(SEED + 4), "--distractors", "0-3", "--facts", "2", "--kinds", OPEN_KINDS,
                    "--out", data("wild-pieces.jsonl").toString())));
        }
        if (s.more().echoFrom() > 0) {
            st.add(new Stage("echo", "the echo drill: repeat after me over the tokenizer's pieces", data("echo.jsonl"), List.of("demo", "echo",
                    "--pieces-from", work.resolve("tokenizer.json").toString(), "--count", Integer.toString(s.trainDialogues()),
                    "--seed", Long.toString(SEED + 6), "--out", data("echo.jsonl").toString())));
        }
        if (s.more().attrFrom() > 0) {
            st.add(new Stage("wild-attr", "random-value dialogues of open attributes, named by random words", data("wild-attr.jsonl"),
                    List.of("demo", "dialogues", "--split", "wild", "--open-attributes", "--count", Integer.toString(s.trainDialogues() / 2),
                            "--seed", Long.toString(SEED + 7), "--distractors", "0-3", "--facts", "1", "--kinds", "attribute",
                            "--out", data("wild-attr.jsonl").toString())));
        }
        if (s.more().denseFrom() > 0) {
            st.add(new Stage("wild-dense", "random-value dialogues with open plans, every word glued from the tokenizer's pieces ("
                    + DENSE_KINDS + ")", data("wild-dense.jsonl"), List.of("demo", "dialogues", "--split", "wild", "--open-plans",
                    "--pieces-from", work.resolve("tokenizer.json").toString(), "--pieces-every-word", "--count", Integer.toString(s.trainDialogues() / 2),
                    "--seed", Long.toString(SEED + 5), "--distractors", "0-3", "--facts", "2", "--kinds", DENSE_KINDS,
                    "--out", data("wild-dense.jsonl").toString())));
        }
        st.add(new Stage("init", "random llama of the target shape", work.resolve("init.gguf"), List.of("init", work.resolve("init.gguf").toString(),
                "--tokenizer", work.resolve("tokenizer.json").toString(), "--eos-token", SPECIALS[0], "--bos-token", SPECIALS[0], "--chat-template", "chatml",
                "--dim", Integer.toString(s.dim()), "--layers", Integer.toString(s.layers()), "--heads", Integer.toString(s.heads()),
                "--kv-heads", Integer.toString(s.kvHeads()), "--ffn-dim", Integer.toString(s.ffn()), "--ctx", Integer.toString(s.ctx()),
                "--tied-embeddings", "true", "--seed", Long.toString(SEED))));
        st.add(new Stage("shards", "tokenize the cleaned text", work.resolve("shards/index.txt"), List.of("tokenize-corpus", "--tokenizer",
                work.resolve("init.gguf").toString(), "--input", work.resolve("clean").toString(), "--source", "text", "--val-fraction", "0.02",
                "--out", work.resolve("shards").toString())));
        st.add(new Stage("copy-shards", "tokenize the copy curriculum", work.resolve("shards/copy-train-000.bin"), List.of("tokenize-corpus",
                "--tokenizer", work.resolve("init.gguf").toString(), "--input", data("copy.jsonl").toString(), "--source", "copy",
                "--val-fraction", "0.02", "--out", work.resolve("shards").toString())));
        st.add(new Stage("repeat-shards", "tokenize the warm-up text", work.resolve("shards/repeat-train-000.bin"), List.of("tokenize-corpus",
                "--tokenizer", work.resolve("init.gguf").toString(), "--input", data("repeat.jsonl").toString(), "--source", "repeat",
                "--val-fraction", "0.02", "--out", work.resolve("shards").toString())));
        st.add(new Stage("pretrain", "pretrain on the text and the copy curriculum", work.resolve("base.gguf"), List.of("train", "--model",
                work.resolve("init.gguf").toString(),
                "--data", work.resolve("shards").toString(), "--mix", "text=1,copy=" + s.copyWeight(), "--steps", Integer.toString(s.pretrainSteps()), "--batch", Integer.toString(s.pretrainBatch()),
                "--seq", Integer.toString(s.pretrainSeq()), "--lr", fmt(s.pretrainLr()), "--warmup", Integer.toString(Math.max(10, s.pretrainSteps() / 10)),
                "--eval-every", Integer.toString(Math.max(20, s.pretrainSteps() / 4)), "--checkpoint-every", "50", "--seed", Long.toString(SEED),
                "-t", t, "--resume", "--out", work.resolve("base.gguf").toString(), "--log", work.resolve("logs/pretrain").toString())));
        // the copy circuit (induction heads) forms only where copying is most of the signal (repeats alone), and a mixed stage
        // after it erased it (docs/TRAINING.md): so the warm-up comes last before SFT
        st.add(new Stage("warmup", "copy warm-up on repeats alone", work.resolve("warm.gguf"), List.of("train", "--model", work.resolve("base.gguf").toString(),
                "--data", work.resolve("shards").toString(), "--mix", "repeat=1", "--steps", Integer.toString(s.warmupSteps()), "--batch", "16",
                "--seq", "128", "--lr", "2e-3", "--min-lr-ratio", "0.5", "--warmup", Integer.toString(Math.max(10, Math.min(50, s.warmupSteps() / 10))),
                "--eval-every", Integer.toString(Math.max(20, s.warmupSteps() / 4)), "--checkpoint-every", "50", "--seed", Long.toString(SEED),
                "-t", t, "--resume", "--out", work.resolve("warm.gguf").toString(), "--log", work.resolve("logs/warmup").toString())));
        st.add(new Stage("sft", "supervised fine-tuning (all weights; loss on the assistant's tokens)", work.resolve("sft.gguf"), List.of("finetune", "--full",
                "--model", work.resolve("warm.gguf").toString(), "--mix", sftMix(),
                "--var", "name=" + NAME, "--var", "author=" + AUTHOR, "--steps", Integer.toString(s.sftSteps()), "--batch", Integer.toString(s.sftBatch()),
                "--seq", Integer.toString(s.sftSeq()), "--lr", fmt(s.sftLr()), "--warmup", Integer.toString(Math.max(10, s.sftSteps() / 20)),
                "--eval-every", Integer.toString(Math.max(50, s.sftSteps() / 6)), "--checkpoint-every", "50", "--seed", Long.toString(SEED), "-t", t,
                "--resume", "--out", work.resolve("sft.gguf").toString(), "--log", work.resolve("logs/sft").toString())));
        Continued m = s.more();
        for (int i = 2; i <= m.count() + 1; i++) {
            Path from = sftModel(i - 1);
            if (i == m.denseFrom()) {
                // the previous run's Q8_0 (the bundled model while it was the last run) read back as F32: the committed file is a resume point
                Path q8 = work.resolve(from.getFileName().toString().replace(".gguf", ".q8_0.gguf"));
                Path f32 = work.resolve(from.getFileName().toString().replace(".gguf", ".q8_0-f32.gguf"));
                st.add(new Stage(stem(from) + "-q8_0", "run " + (i - 1) + " as Q8_0 (the file bundled while it was the last run)", q8,
                        List.of("quantize", "--type", "q8_0", from.toString(), q8.toString())));
                st.add(new Stage(stem(from) + "-f32", "that Q8_0 read back as F32, where run " + i + " starts", f32,
                        List.of("quantize", "--type", "f32", q8.toString(), f32.toString())));
                from = f32;
            }
            List<String> drills = new ArrayList<>();
            StringBuilder mix = new StringBuilder(sftMix());
            boolean[] on = {m.focus(i), m.open(i), m.pieces(i), m.dense(i), m.echo(i), m.attr(i)};
            for (int k = 0; k < DRILLS.size(); k++) {
                if (!on[k]) continue;
                Drill dr = DRILLS.get(k);
                boolean followed = k + 1 < on.length && on[k + 1];
                mix.append(',').append(dr.source()).append('=').append(data(dr.file())).append(':').append(followed ? dr.later() : dr.newest());
                drills.add(dr.what());
            }
            String what = drills.isEmpty() ? "SFT continued from the previous run (warm restart)"
                    : "SFT continued (warm restart) with the " + (drills.size() == 1 ? drills.getFirst()
                    : String.join(", ", drills.subList(0, drills.size() - 1)) + " and " + drills.getLast()) + (drills.size() == 1 ? " drill" : " drills");
            st.add(new Stage("sft-" + i, what, sftModel(i), List.of("finetune", "--full",
                    "--model", from.toString(), "--mix", mix.toString(),
                    "--var", "name=" + NAME, "--var", "author=" + AUTHOR, "--steps", Integer.toString(m.steps()), "--batch", Integer.toString(m.batch()),
                    "--seq", Integer.toString(m.seq()), "--lr", fmt(m.lr()), "--min-lr-ratio", "0.3", "--warmup", "50",
                    "--eval-every", Integer.toString(Math.max(50, m.steps() / 2)), "--checkpoint-every", "250", "--seed", Long.toString(SEED + 100 + i),
                    "-t", t, "--resume", "--out", sftModel(i).toString(), "--log", work.resolve("logs/sft-" + i).toString())));
        }
        st.add(new Stage("quantize", "Q8_0", out, List.of("quantize", "--type", "q8_0", sftModel(s.more().count() + 1).toString(), out.toString())));
        Path resume = resumePoint();
        if (resume == null) return st;
        List<Stage> marked = new ArrayList<>();
        for (Stage x : st) {
            boolean before = BEFORE_RESUME.contains(x.name())
                    || x.name().matches("sft-\\d+") && Integer.parseInt(x.name().substring(4)) < m.denseFrom();
            marked.add(before ? new Stage(x.name(), x.what(), x.done(), x.args(), resume) : x);
        }
        return marked;
    }

    /**
     * A drill of the continued runs, in the order they joined: its mix source, file, name, and weight while it is the newest
     * drill and once the next one has joined (each older drill gave up half its weight to the next, until the dense drill).
     */
    private record Drill(String source, String file, String what, int newest, int later) {}

    private static final List<Drill> DRILLS = List.of(new Drill("focus", "wild-focus.jsonl", "focus", 6, 3),
            new Drill("open", "wild-open.jsonl", "open-plan", 6, 3), new Drill("pieces", "wild-pieces.jsonl", "vocabulary-piece", 6, 3),
            new Drill("dense", "wild-dense.jsonl", "dense", 8, 8), new Drill("echo", "echo.jsonl", "echo", 16, 16),
            new Drill("attr", "wild-attr.jsonl", "open-attribute", 6, 6));

    /** The SFT mix: memory dialogues in every wording, the same with random values, identity, short instructions. */
    private String sftMix() {
        return "dialogues=" + data("dialogues.jsonl") + ":10,wild=" + data("wild.jsonl") + ":10,identity=" + testdata("sft/identity.json") + ":1,alpaca_en="
                + testdata("sft/alpaca_en_demo.200.json") + ":1,alpaca_zh=" + testdata("sft/alpaca_zh_demo.200.json") + ":1";
    }

    /** The result of SFT run i (1 = the first, "sft.gguf"). */
    Path sftModel(int i) {
        return work.resolve(i == 1 ? "sft.gguf" : "sft-" + i + ".gguf");
    }

    private static String stem(Path p) {
        String f = p.getFileName().toString();
        return f.substring(0, f.length() - ".gguf".length());
    }

    private static String fmt(double d) {
        return String.format(Locale.ROOT, "%g", d);
    }
}

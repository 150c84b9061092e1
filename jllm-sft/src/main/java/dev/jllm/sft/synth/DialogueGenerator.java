package dev.jllm.sft.synth;

import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Random;

/**
 * Seeded multi-turn memory dialogues in English and Chinese: a fact is stated in user turn 1 or 2
 * (turn 1 is then an unrelated exchange), sometimes corrected in the next turn, followed by 0..N
 * unrelated exchanges, then a question about it; the final assistant answer contains the fact
 * verbatim. Values and phrasings come from the {@link Split}'s side only ({@link Pools},
 * {@link Phrasings}).
 *
 * <p>Dialogue i is a pure function of (seed, split, i): its own {@link Random} is seeded from them,
 * so the first N dialogues are the same whatever the count, and a file is byte-identical for the same
 * arguments. Languages alternate (i mod #langs) and distractor counts cycle through the range, so
 * every (language, distractors) cell gets its share.
 */
public final class DialogueGenerator {
    /**
     * @param correctionRate share of dialogues whose fact is corrected once
     * @param systemRate     share of dialogues that start with a system message
     */
    public record Options(long seed, Split split, List<Lang> langs, int minDistractors, int maxDistractors, double correctionRate,
                          double systemRate, int maxFacts, boolean allPhrasings, List<String> kinds, boolean openPlans,
                          Pieces pieces, boolean openAttributes) {
        public static final int MAX_DISTRACTORS = 6;

        /**
         * @param kinds the fact types to draw from (ids of {@link Phrasings#KINDS}, e.g. plan, preference, address), empty for all of them:
         *              a drill on the types a model still gets wrong. With all types the draws are those of a generator without the option.
         * @param openPlans wild plans that start with any word (or Han character), not one of a short list of verbs: with the list, a
         *                  model learned to say a verb it knew rather than copy the one it was told (issue 19); wild split only
         * @param pieces    a tokenizer's pieces that a third of the words of wild open plans and preferences are glued from
         *                  ({@link Pieces}; {@link Pieces#NONE}: none), so the drill makes the model copy every token; wild split only
         * @param openAttributes open-ended attributes named by random words ("my lamp harbor code is …", {@link Attributes#drawOpen}) instead
         *                  of the ~70 listed ones: a model that had only seen the listed names answered a held-out "What is my dream
         *                  destination?" with "You told me your dream destination."; wild split only
         */
        public Options {
            kinds = List.copyOf(kinds);
            List<String> known = Phrasings.KINDS.stream().map(Phrasings.Kind::id).toList();
            for (String k : kinds) {
                if (!known.contains(k)) throw new IllegalArgumentException("unknown fact type '" + k + "': use some of " + String.join(", ", known));
            }
            if (kinds.stream().distinct().count() != kinds.size()) throw new IllegalArgumentException("a fact type is listed twice: " + kinds);
            if (openPlans && split != Split.WILD) {
                throw new IllegalArgumentException("open plans are drawn at random, so they exist only for the wild split, not " + split.id());
            }
            if (openAttributes && split != Split.WILD) {
                throw new IllegalArgumentException("open attributes are named at random, so they exist only for the wild split, not " + split.id());
            }
            if (!pieces.isEmpty() && split != Split.WILD) {
                throw new IllegalArgumentException("values glued from vocabulary pieces are random, so they exist only for the wild split, not "
                        + split.id());
            }
            int types = kinds.isEmpty() ? known.size() : kinds.size();
            if (maxFacts < 1 || maxFacts > types) {
                throw new IllegalArgumentException("facts per dialogue must be 1-" + types + " (the number of fact types), got " + maxFacts);
            }
            langs = List.copyOf(langs);
            if (langs.isEmpty()) throw new IllegalArgumentException("no language given");
            if (minDistractors < 0 || maxDistractors < minDistractors || maxDistractors > MAX_DISTRACTORS) {
                throw new IllegalArgumentException("distractors must be a range within 0-" + MAX_DISTRACTORS + ", got " + minDistractors + "-" + maxDistractors);
            }
            if (!(correctionRate >= 0 && correctionRate <= 1) || !(systemRate >= 0 && systemRate <= 1)) {
                throw new IllegalArgumentException("rates must be in [0, 1]");
            }
        }

        public Options(long seed, Split split, List<Lang> langs, int minDistractors, int maxDistractors, double correctionRate, double systemRate,
                       int maxFacts, boolean allPhrasings, List<String> kinds) {
            this(seed, split, langs, minDistractors, maxDistractors, correctionRate, systemRate, maxFacts, allPhrasings, kinds, false);
        }

        public Options(long seed, Split split, List<Lang> langs, int minDistractors, int maxDistractors, double correctionRate, double systemRate,
                       int maxFacts, boolean allPhrasings, List<String> kinds, boolean openPlans) {
            this(seed, split, langs, minDistractors, maxDistractors, correctionRate, systemRate, maxFacts, allPhrasings, kinds, openPlans, Pieces.NONE);
        }

        public Options(long seed, Split split, List<Lang> langs, int minDistractors, int maxDistractors, double correctionRate, double systemRate,
                       int maxFacts, boolean allPhrasings, List<String> kinds, boolean openPlans, Pieces pieces) {
            this(seed, split, langs, minDistractors, maxDistractors, correctionRate, systemRate, maxFacts, allPhrasings, kinds, openPlans, pieces,
                    false);
        }

        public Options(long seed, Split split, List<Lang> langs, int minDistractors, int maxDistractors, double correctionRate, double systemRate,
                       int maxFacts, boolean allPhrasings) {
            this(seed, split, langs, minDistractors, maxDistractors, correctionRate, systemRate, maxFacts, allPhrasings, List.of());
        }

        public Options(long seed, Split split, List<Lang> langs, int minDistractors, int maxDistractors) {
            this(seed, split, langs, minDistractors, maxDistractors, 0.15, 0.3, 1, false);
        }

        /** The fact types drawn from, in {@link Phrasings#KINDS}' order (so all of them give the same draws as before the option). */
        List<Phrasings.Kind> kindList() {
            return kinds.isEmpty() ? Phrasings.KINDS : Phrasings.KINDS.stream().filter(k -> kinds.contains(k.id())).toList();
        }

        public Options(long seed, Split split, List<Lang> langs, int minDistractors, int maxDistractors, double correctionRate, double systemRate,
                       int maxFacts) {
            this(seed, split, langs, minDistractors, maxDistractors, correctionRate, systemRate, maxFacts, false);
        }

        /**
         * The wordings (statements, questions; distractor exchanges when {@code distractor}) dialogues of this split are written
         * with: the split's side, or every wording when {@link #allPhrasings} (values stay on the split's side). The model a
         * user gets should have read every wording; the held-out wordings are for measuring generalisation to new ones.
         */
        List<String> side(List<String> all, boolean distractor) {
            return allPhrasings ? List.copyOf(all) : Phrasings.side(all, split, distractor);
        }

        public Options(long seed, Split split, List<Lang> langs, int minDistractors, int maxDistractors, double correctionRate, double systemRate) {
            this(seed, split, langs, minDistractors, maxDistractors, correctionRate, systemRate, 1, false);
        }

        /** "0-2" or "1" → [min, max]. */
        public static int[] parseRange(String s) {
            String[] p = s.strip().split("-", -1);
            try {
                if (p.length == 1) return new int[] {Integer.parseInt(p[0].strip()), Integer.parseInt(p[0].strip())};
                if (p.length == 2) return new int[] {Integer.parseInt(p[0].strip()), Integer.parseInt(p[1].strip())};
            } catch (NumberFormatException e) {
                // fall through
            }
            throw new IllegalArgumentException("distractors must be N or MIN-MAX (e.g. 0-2), got '" + s + "'");
        }
    }

    private DialogueGenerator() {}

    /** Dialogues 0..count-1. */
    public static List<Dialogue> generate(Options o, int count) {
        if (count < 0) throw new IllegalArgumentException("count must be >= 0, got " + count);
        List<Dialogue> out = new ArrayList<>(count);
        for (int i = 0; i < count; i++) out.add(dialogue(o, i));
        return out;
    }

    /** Writes dialogues 0..count-1 as JSONL (UTF-8, '\n'), through a temporary file renamed into place. */
    public static List<Dialogue> write(Path file, Options o, int count) throws IOException {
        List<Dialogue> ds = generate(o, count);
        Path abs = file.toAbsolutePath();
        if (abs.getParent() != null) Files.createDirectories(abs.getParent());
        Path tmp = abs.resolveSibling(abs.getFileName() + ".tmp");
        try (BufferedWriter w = Files.newBufferedWriter(tmp, StandardCharsets.UTF_8)) {
            for (Dialogue d : ds) {
                w.write(d.toJson());
                w.write('\n');
            }
        }
        Files.move(tmp, abs, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        return ds;
    }

    /** SplitMix64's finalizer: a well-spread seed for dialogue i. */
    static long mix(long seed, Split split, int index) {
        long z = seed * 0x9E3779B97F4A7C15L + (split.ordinal() + 1L) * 0xBF58476D1CE4E5B9L + index * 0x94D049BB133111EBL;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /** Dialogue {@code index} alone. */
    public static Dialogue dialogue(Options o, int index) {
        if (o.maxFacts() > 1) return MultiFact.dialogue(o, index, new Random(mix(o.seed(), o.split(), index) ^ 0x5DEECE66DL));
        Random r = new Random(mix(o.seed(), o.split(), index));
        Split split = o.split();
        Lang lang = o.langs().get(index % o.langs().size());
        int span = o.maxDistractors() - o.minDistractors() + 1;
        int distractors = o.minDistractors() + (index / o.langs().size()) % span;
        Phrasings.Kind kind = Pools.pick(r, o.kindList());
        Phrasings.Texts texts = kind.in(lang);

        MultiFact.Fact drawn = MultiFact.draw(kind, r, o, lang);
        String value = drawn.value(), category = drawn.category(), script = drawn.script();
        final String cat = category;
        final String nameScript = script;

        List<Dialogue.Message> msgs = new ArrayList<>();
        if (r.nextDouble() < o.systemRate()) msgs.add(new Dialogue.Message("system", Pools.pick(r, Phrasings.SYSTEMS.get(lang))));

        // unrelated exchanges, drawn without repeats: an opener (fact in turn 2) and the distractors
        List<Integer> pairs = new ArrayList<>();
        List<String> pool = o.side(pairList(Phrasings.DISTRACTORS.get(lang)), true);
        for (int i = 0; i < pool.size(); i++) pairs.add(i);
        Collections.shuffle(pairs, r);
        int nextPair = 0;

        int factTurn = r.nextInt(4) == 0 ? 2 : 1;
        if (factTurn == 2) nextPair = exchange(msgs, pool.get(pairs.get(nextPair)), nextPair);

        List<String> statements = o.side(texts.statements(), false);
        msgs.add(new Dialogue.Message("user", fill(Pools.pick(r, statements), value, cat)));
        msgs.add(new Dialogue.Message("assistant", fill(Pools.pick(r, texts.acks()), value, cat)));

        String replaced = null;
        if (r.nextDouble() < o.correctionRate()) {
            String fresh = value;
            for (int tries = 0; tries < 100 && fresh.equals(value); tries++) fresh = redraw(kind.id(), r, o, lang, nameScript, cat);
            if (!fresh.equals(value)) {
                replaced = value;
                value = fresh;
                String said = kind.id().equals("name") && r.nextBoolean()
                        ? fill(Pools.pick(r, Phrasings.NAME_CORRECTIONS.get(lang)), value, cat).replace("{old}", replaced)
                        : Pools.pick(r, Phrasings.CORRECTIONS.get(lang)) + fill(Pools.pick(r, statements), value, cat);
                msgs.add(new Dialogue.Message("user", said));
                msgs.add(new Dialogue.Message("assistant", Pools.pick(r, Phrasings.CORRECTION_ACKS.get(lang))));
            }
        }
        for (int d = 0; d < distractors; d++) nextPair = exchange(msgs, pool.get(pairs.get(nextPair)), nextPair);

        msgs.add(new Dialogue.Message("user", fill(Pools.pick(r, o.side(texts.questions(), false)), value, cat)));
        msgs.add(new Dialogue.Message("assistant", fill(Pools.pick(r, texts.answers()), value, cat)));
        String id = split.id() + "-" + o.seed() + "-" + index;
        return new Dialogue(id, lang, split, kind.id(), nameScript, value, replaced, factTurn, distractors, msgs, List.of(value));
    }

    /** Another value of the same kind (and script or category), for a correction. */
    static String redraw(String kind, Random r, Options o, Lang lang, String script, String cat) {
        Split split = o.split();
        return switch (kind) {
            case "name" -> Pools.name(r, split, Pools.Script.valueOf(script.toUpperCase(Locale.ROOT)));
            case "number" -> Pools.number(r, split);
            case "place" -> Pools.place(r, split, lang);
            case "preference" -> {
                var m = lang == Lang.EN ? Pools.PREFERENCES_EN : Pools.PREFERENCES_ZH;
                yield Pools.pick(r, Pools.side(m.get(cat), split));
            }
            case "plan" -> Pools.plan(r, split, lang, o.openPlans(), o.pieces());
            case "date" -> Pools.date(r, split, lang);
            case "code" -> Pools.code(r, split);
            case "address" -> Pools.address(r, split, lang);
            case "attribute" -> Attributes.redraw(r, split, lang, cat, script);
            default -> throw new AssertionError(kind);
        };
    }

    /** user/assistant texts of a flat list joined as "user\u0000assistant", so that pairs split as one entry each. */
    static List<String> pairList(List<String> flat) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < flat.size(); i += 2) out.add(flat.get(i) + "\u0000" + flat.get(i + 1));
        return out;
    }

    static int exchange(List<Dialogue.Message> msgs, String pair, int next) {
        int cut = pair.indexOf('\u0000');
        msgs.add(new Dialogue.Message("user", pair.substring(0, cut)));
        msgs.add(new Dialogue.Message("assistant", pair.substring(cut + 1)));
        return next + 1;
    }

    /** The template filled; an English sentence that starts with a lower-case value gets a capital (answers never start with the value). */
    static String fill(String template, String value, String category) {
        String s = template.replace("{v}", value);
        if (category != null) s = s.replace("{cat}", category);
        char c = s.charAt(0);
        return c >= 'a' && c <= 'z' ? Character.toUpperCase(c) + s.substring(1) : s;
    }
}

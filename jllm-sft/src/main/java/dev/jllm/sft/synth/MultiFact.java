package dev.jllm.sft.synth;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Random;

/**
 * Dialogues with 1..{@code maxFacts} facts of different types: each stated (and acknowledged, some
 * corrected) in turn, unrelated exchanges between and after them, then one question per fact in a
 * shuffled order, each answered with its fact verbatim. Training material: several facts per
 * dialogue put several copy targets in every sample, and asking them out of order teaches to look
 * each one up rather than repeat the last. The record's answer, type and distractors describe the
 * last question (its fact and the unrelated turns since the last fact was given).
 */
final class MultiFact {
    private MultiFact() {}

    /** A fact drawn for one dialogue: its type, texts, value, and a preference's category / a name's script (else null). */
    record Fact(Phrasings.Kind kind, Phrasings.Texts texts, String value, String category, String script) {}

    static Dialogue dialogue(DialogueGenerator.Options o, int index, Random r) {
        Split split = o.split();
        Lang lang = o.langs().get(index % o.langs().size());
        int span = o.maxDistractors() - o.minDistractors() + 1;
        int distractors = o.minDistractors() + (index / o.langs().size()) % span;
        int k = 1 + r.nextInt(o.maxFacts());
        List<Phrasings.Kind> kinds = new ArrayList<>(o.kindList());
        Collections.shuffle(kinds, r);
        List<Fact> facts = new ArrayList<>();
        for (Phrasings.Kind kind : kinds.subList(0, k)) facts.add(draw(kind, r, o, lang));

        List<Dialogue.Message> msgs = new ArrayList<>();
        if (r.nextDouble() < o.systemRate()) msgs.add(new Dialogue.Message("system", Pools.pick(r, Phrasings.SYSTEMS.get(lang))));
        List<String> pool = o.side(DialogueGenerator.pairList(Phrasings.DISTRACTORS.get(lang)), true);
        List<Integer> pairs = new ArrayList<>();
        for (int i = 0; i < pool.size(); i++) pairs.add(i);
        Collections.shuffle(pairs, r);
        int next = 0;
        int factTurn = 0;
        if (r.nextInt(4) == 0) next = DialogueGenerator.exchange(msgs, pool.get(pairs.get(next)), next);
        String replaced = null;
        for (int f = 0; f < facts.size(); f++) {
            Fact x = facts.get(f);
            if (f > 0 && r.nextInt(3) == 0 && next < pool.size()) next = DialogueGenerator.exchange(msgs, pool.get(pairs.get(next)), next);
            if (factTurn == 0) factTurn = userTurns(msgs) + 1;
            List<String> statements = o.side(x.texts().statements(), false);
            msgs.add(new Dialogue.Message("user", DialogueGenerator.fill(Pools.pick(r, statements), x.value(), x.category())));
            msgs.add(new Dialogue.Message("assistant", DialogueGenerator.fill(Pools.pick(r, x.texts().acks()), x.value(), x.category())));
            if (r.nextDouble() < o.correctionRate()) {
                String fresh = x.value();
                for (int tries = 0; tries < 100 && fresh.equals(x.value()); tries++) {
                    fresh = DialogueGenerator.redraw(x.kind().id(), r, o, lang, x.script(), x.category());
                }
                if (!fresh.equals(x.value())) {
                    String said = x.kind().id().equals("name") && r.nextBoolean()
                            ? DialogueGenerator.fill(Pools.pick(r, Phrasings.NAME_CORRECTIONS.get(lang)), fresh, x.category()).replace("{old}", x.value())
                            : Pools.pick(r, Phrasings.CORRECTIONS.get(lang)) + DialogueGenerator.fill(Pools.pick(r, statements), fresh, x.category());
                    msgs.add(new Dialogue.Message("user", said));
                    msgs.add(new Dialogue.Message("assistant", Pools.pick(r, Phrasings.CORRECTION_ACKS.get(lang))));
                    replaced = x.value();
                    facts.set(f, new Fact(x.kind(), x.texts(), fresh, x.category(), x.script()));
                }
            }
        }
        for (int d = 0; d < distractors && next < pool.size(); d++) next = DialogueGenerator.exchange(msgs, pool.get(pairs.get(next)), next);
        Collections.shuffle(facts, r);
        for (Fact x : facts) {
            msgs.add(new Dialogue.Message("user", DialogueGenerator.fill(Pools.pick(r, o.side(x.texts().questions(), false)), x.value(),
                    x.category())));
            msgs.add(new Dialogue.Message("assistant", DialogueGenerator.fill(Pools.pick(r, x.texts().answers()), x.value(), x.category())));
        }
        Fact last = facts.getLast();
        String id = split.id() + "-" + o.seed() + "-" + index;
        return new Dialogue(id, lang, split, last.kind().id(), last.script(), last.value(), replaced, factTurn, distractors, msgs,
                facts.stream().map(Fact::value).toList());
    }

    private static int userTurns(List<Dialogue.Message> msgs) {
        return (int) msgs.stream().filter(m -> m.role().equals("user")).count();
    }

    /** One value of {@code kind} from the split's material (the single-fact generator draws through here too, in the same order). */
    static Fact draw(Phrasings.Kind kind, Random r, DialogueGenerator.Options o, Lang lang) {
        Split split = o.split();
        String script = null, category = null, value;
        switch (kind.id()) {
            case "name" -> {
                Pools.Script s = Pools.script(r, lang);
                script = s.name().toLowerCase(Locale.ROOT);
                value = Pools.name(r, split, s);
            }
            case "number" -> value = Pools.number(r, split);
            case "place" -> value = Pools.place(r, split, lang);
            case "preference" -> {
                String[] p = Pools.preference(r, split, lang, o.pieces());
                category = p[0];
                value = p[1];
            }
            case "plan" -> value = Pools.plan(r, split, lang, o.openPlans(), o.pieces());
            case "date" -> value = Pools.date(r, split, lang);
            case "code" -> value = Pools.code(r, split);
            case "address" -> value = Pools.address(r, split, lang);
            case "attribute" -> {
                String[] a = o.openAttributes() ? Attributes.drawOpen(r, lang) : Attributes.draw(r, split, lang);
                category = a[0];
                value = a[1];
                script = a[2];
            }
            default -> throw new AssertionError(kind.id());
        }
        return new Fact(kind, kind.in(lang), value, category, script);
    }
}

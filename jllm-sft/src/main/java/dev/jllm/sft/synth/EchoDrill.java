package dev.jllm.sft.synth;

import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * The echo drill: "repeat after me" over a tokenizer's own pieces ({@link Pieces}), one to three exchanges per dialogue, the
 * assistant's answer being exactly the span it was given. Every answer token is a copy target, so each piece of the vocabulary is
 * copied ~100 times per SFT run where the memory drills copied it a few times.
 *
 * <p>Why: after twelve runs the default model still wrote 在过园里种番茄 for 在花园里种番茄 and "repcle the kitchen" for "repaint the
 * kitchen", the same tokens every time. Their embeddings had collapsed onto frequent ones (cosine 0.98 between 花 and 过 with the
 * tied embedding's mean in, 0.84 without it; the rare pieces' rows half as long as the average), the representation degeneration of
 * rarely predicted tokens under a tied softmax (Gao et al., 2019): a copy head that has not practised on such tokens cannot tell
 * them apart, and the likelier one wins. The memory drills made each piece a copy target a few times per run; this drill makes it
 * one ~100 times (run 14: held-out recall 86 → 91 %, plans 10/35 → 27/35; docs/TRAINING.md).
 *
 * <p>Held-out material stays out as in {@link Pieces}: the pieces carry no held-out word or name character.
 */
public final class EchoDrill {
    private EchoDrill() {}

    private static final List<String> ASK_EN = List.of("Repeat after me: %s", "Say this back exactly: %s", "Please echo this: %s",
            "Copy this word for word: %s", "Can you repeat this? %s", "Write exactly what I write: %s", "Say it back to me: %s",
            "Echo: %s");
    private static final List<String> ASK_ZH = List.of("请重复：%s", "跟我说一遍：%s", "照着写一遍：%s", "请原样复述：%s", "把这句话原样说出来：%s",
            "请一字不差地重复：%s", "复述：%s");

    /** Dialogue {@code index}: alternating English and Chinese, 1–3 echo exchanges over the pieces. */
    public static Dialogue dialogue(long seed, int index, Pieces pieces) {
        if (pieces.latin().isEmpty() || pieces.han().isEmpty()) {
            throw new IllegalArgumentException("the echo drill needs Latin and Han pieces (a bilingual tokenizer's vocabulary)");
        }
        Random r = new Random(DialogueGenerator.mix(seed, Split.WILD, index) ^ 0xEC40L);
        Lang lang = index % 2 == 0 ? Lang.EN : Lang.ZH;
        List<Dialogue.Message> ms = new ArrayList<>();
        String span = null;
        int turns = 1 + r.nextInt(3);
        for (int t = 0; t < turns; t++) {
            span = lang == Lang.EN ? latinSpan(r, pieces) : pieces.han(r, 4, 16);
            ms.add(new Dialogue.Message("user", String.format(Pools.pick(r, lang == Lang.EN ? ASK_EN : ASK_ZH), span)));
            ms.add(new Dialogue.Message("assistant", span));
        }
        return new Dialogue(Split.WILD.id() + "-echo-" + seed + "-" + index, lang, Split.WILD, "echo", null, span, null, turns, 0, ms,
                List.of(span));
    }

    /** 3–10 words, each glued from 1–3 Latin pieces. */
    static String latinSpan(Random r, Pieces pieces) {
        StringBuilder sb = new StringBuilder();
        for (int i = 3 + r.nextInt(8); i > 0; i--) sb.append(sb.isEmpty() ? "" : " ").append(pieces.word(r));
        return sb.toString();
    }

    /** Writes {@code count} dialogues as JSONL (atomically); returns the answer characters written. */
    public static long write(Path file, long seed, int count, Pieces pieces) throws IOException {
        Path abs = file.toAbsolutePath();
        if (abs.getParent() != null) Files.createDirectories(abs.getParent());
        Path tmp = abs.resolveSibling(abs.getFileName() + ".tmp");
        long chars = 0;
        try (BufferedWriter w = Files.newBufferedWriter(tmp, StandardCharsets.UTF_8)) {
            for (int i = 0; i < count; i++) {
                Dialogue d = dialogue(seed, i, pieces);
                for (Dialogue.Message m : d.messages()) if (m.role().equals("assistant")) chars += m.content().length();
                w.write(d.toJson());
                w.write('\n');
            }
        }
        Files.move(tmp, abs, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        return chars;
    }
}

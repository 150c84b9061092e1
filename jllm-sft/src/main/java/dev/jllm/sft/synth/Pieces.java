package dev.jllm.sft.synth;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.Set;

/**
 * The pieces of a tokenizer's vocabulary, for wild values glued from them: a model that must copy a value token by
 * token can only copy the tokens it has practised copying. After ten SFT runs the default model still wrote "rep大 the
 * kitchen" for "repaint the kitchen" and "烤比柠檬蛋糕" for "烤一个柠檬蛋糕": the frame and the common tokens were
 * copied, a piece it had never had to copy was replaced by a likelier one. Values glued from every piece of the
 * vocabulary make the copy drill cover the whole embedding table.
 *
 * <p>The held-out side stays held out: Latin pieces equal to a word of a held-out plan or preference (case and a
 * leading space ignored) and Han pieces holding a held-out name character are left out, as {@link Wild}'s word lists
 * leave them out. Pieces shared by many words (sub-words such as "aint") stay: they are not held-out material.
 *
 * <p>How often: by default a third of the words of a wild value are glued from pieces, the rest drawn as before. That
 * left each piece copied only a few times per SFT run (~2,900 pieces, a few thousand drill dialogues per run), and after
 * two runs the model still replaced pieces that were in the drill ("aint" in "repaint", "毛" in 羽毛球, " tomato"). With
 * {@link #everyWord()} every word of those values is glued from pieces: a dense drill.
 *
 * @param latin     lower-case Latin pieces (letters only, at least two), without a leading space
 * @param han       pieces of Han characters (U+4E00..U+9FA5) only
 * @param everyWord every word (every Han string) of a wild plan or preference is glued from the pieces, not a third
 */
public record Pieces(List<String> latin, List<String> han, boolean everyWord) {
    public static final Pieces NONE = new Pieces(List.of(), List.of(), false);

    public Pieces {
        latin = List.copyOf(latin);
        han = List.copyOf(han);
    }

    /** A third of the words glued from the pieces. */
    public Pieces(List<String> latin, List<String> han) {
        this(latin, han, false);
    }

    /** The same pieces, glued into every word of a value (the dense drill). */
    public Pieces dense() {
        return new Pieces(latin, han, true);
    }

    /** Whether the next word is glued from the pieces: always in the dense drill, else one time in three. */
    boolean glue(Random r, List<String> kind) {
        return !kind.isEmpty() && (everyWord || r.nextInt(3) == 0);
    }

    public boolean isEmpty() {
        return latin.isEmpty() && han.isEmpty();
    }

    /**
     * Pieces from the decoded text of each token of a vocabulary: the Latin and Han ones, without held-out words and
     * characters, each once, in vocabulary order.
     */
    public static Pieces of(List<String> tokenTexts) {
        Set<String> heldHan = new HashSet<>(Pools.hanPieces(Split.HELDOUT));
        Set<String> heldWords = Wild.heldOutWords();
        Set<String> latin = new LinkedHashSet<>(), han = new LinkedHashSet<>();
        for (String t : tokenTexts) {
            String s = t.strip();
            if (s.length() >= 2 && s.chars().allMatch(c -> (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))) {
                String low = s.toLowerCase(Locale.ROOT);
                if (!heldWords.contains(low)) latin.add(low);
            } else if (!s.isEmpty() && s.codePoints().allMatch(c -> c >= 0x4E00 && c <= 0x9FA5)
                    && s.codePoints().noneMatch(c -> heldHan.contains(Character.toString(c)))) {
                han.add(s);
            }
        }
        return new Pieces(new ArrayList<>(latin), new ArrayList<>(han));
    }

    /** A word of 1..3 Latin pieces glued together. */
    String word(Random r) {
        StringBuilder sb = new StringBuilder();
        for (int i = 1 + r.nextInt(3); i > 0; i--) sb.append(Pools.pick(r, latin));
        return sb.toString();
    }

    /** Han pieces glued until min..max characters (the last one cut if it overshoots). */
    String han(Random r, int min, int max) {
        int n = min + r.nextInt(max - min + 1);
        StringBuilder sb = new StringBuilder();
        while (sb.codePointCount(0, sb.length()) < n) sb.append(Pools.pick(r, han));
        return sb.substring(0, sb.offsetByCodePoints(0, n));
    }
}

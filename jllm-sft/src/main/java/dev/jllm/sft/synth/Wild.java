package dev.jllm.sft.synth;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.Set;

/**
 * Values for {@link Split#WILD}: strings drawn over whole alphabets, so that no distribution of names
 * can be learned and copying is the only way to the answer. Half of the Latin names follow a loose
 * consonant-vowel rhythm over every letter (with accented ones), half are any letters; other scripts
 * draw from their whole letter blocks; Han from the 20,902 unified ideographs of U+4E00..U+9FA5.
 *
 * <p>Half of the Han strings, English words and plans are built from real material instead: the
 * 2,500 most frequent characters of the bundled Chinese text and 3,000 English words of the bundled
 * English text (common-han.txt, common-en.txt, made by scripts/make_wild_lists.py), minus every
 * held-out name character and every word of a held-out preference or plan. Random strings alone
 * taught the model to copy what looks random and to recall from memory what looks like a word, so
 * a held-out "handball" or "云辉街" came back as a memorised value (docs/TRAINING.md).
 */
final class Wild {
    private Wild() {}

    /** Common Han characters without the held-out name pieces. */
    static final List<String> COMMON_HAN;
    /** Common English words without the words of held-out preferences and plans. */
    static final List<String> COMMON_EN;

    static {
        Set<String> heldHan = new HashSet<>(Pools.hanPieces(Split.HELDOUT));
        List<String> han = new ArrayList<>();
        for (String line : lines("common-han.txt")) line.codePoints().mapToObj(Character::toString).filter(c -> !heldHan.contains(c)).forEach(han::add);
        COMMON_HAN = List.copyOf(han);
        Set<String> heldWords = heldOutWords();
        COMMON_EN = lines("common-en.txt").stream().filter(w -> !w.isBlank() && !heldWords.contains(w)).toList();
    }

    /** Every word of a held-out English plan or preference (lower case). */
    static Set<String> heldOutWords() {
        Set<String> heldWords = new HashSet<>();
        List<String> held = new ArrayList<>(Pools.side(Pools.PLANS_EN, Split.HELDOUT));
        for (List<String> l : Pools.PREFERENCES_EN.values()) held.addAll(Pools.side(l, Split.HELDOUT));
        for (String v : held) for (String w : v.split(" ")) heldWords.add(w.toLowerCase(Locale.ROOT));
        return heldWords;
    }

    private static List<String> lines(String resource) {
        try (InputStream in = Wild.class.getResourceAsStream(resource)) {
            if (in == null) throw new IllegalStateException("resource " + resource + " is missing from dev.jllm.sft.synth");
            return new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8)).lines().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static final List<String> PLAN_VERBS_EN = List.of("visit", "learn", "fix", "paint", "write", "clean", "try", "buy", "cook", "read",
            "plant", "sell", "finish", "call", "practice", "repair", "organize", "draw", "sew", "find", "watch", "make", "start", "plan");
    private static final List<String> PLAN_ARTICLES_EN = List.of("", "a ", "the ", "my ", "some ");
    private static final List<String> PLAN_VERBS_ZH = List.of("去", "学", "做", "修", "买", "写", "画", "种", "看", "练", "找", "整理", "参观", "准备");

    /** A plan for the weekend: a verb and 1..3 words (half real, half random); Chinese: a verb and 2..4 characters. */
    static String plan(Random r, Lang lang) {
        if (lang == Lang.ZH) return Pools.pick(r, PLAN_VERBS_ZH) + han(r, 2, 4);
        StringBuilder sb = new StringBuilder(Pools.pick(r, PLAN_VERBS_EN)).append(' ').append(Pools.pick(r, PLAN_ARTICLES_EN));
        int n = 1 + r.nextInt(3);
        for (int i = 0; i < n; i++) sb.append(i == 0 ? "" : " ").append(word(r));
        return sb.toString();
    }

    private static final List<String> PREPOSITIONS_EN = List.of("in", "at", "with", "by", "for", "from", "on", "near", "to", "before", "after");

    /**
     * An open plan: a first word that is any word (common or random letters), not a verb from a list, sometimes an article,
     * up to two more words, sometimes a prepositional tail ("with my …", "by the …"); Chinese: 3..8 characters, any of them first. A model
     * trained on {@link #plan}'s 24 verbs answered a told "bake a lemon cake" with "learn a lemon cake": it recalled the verb.
     */
    static String openPlan(Random r, Lang lang, Pieces pieces) {
        if (lang == Lang.ZH) return han(r, 3, 8, pieces);
        List<String> words = new ArrayList<>(List.of(word(r, pieces)));
        if (r.nextInt(3) == 0) words.add(Pools.pick(r, PLAN_ARTICLES_EN).strip());
        for (int i = r.nextInt(3); i > 0; i--) words.add(word(r, pieces));
        if (r.nextInt(3) == 0) {
            words.add(Pools.pick(r, PREPOSITIONS_EN));
            words.add(Pools.pick(r, PLAN_ARTICLES_EN).strip());
            words.add(word(r, pieces));
        }
        words.removeIf(String::isEmpty);
        return String.join(" ", words);
    }

    /** A preference: one word, sometimes two (half real, half random); Chinese: 2..3 characters. */
    static String preference(Random r, Lang lang) {
        return preference(r, lang, Pieces.NONE);
    }

    /** {@link #preference(Random, Lang)} with a third of the words glued from vocabulary pieces (none: the same draws). */
    static String preference(Random r, Lang lang, Pieces pieces) {
        if (lang == Lang.ZH) return han(r, 2, 3, pieces);
        return r.nextInt(4) == 0 ? word(r, pieces) + " " + word(r, pieces) : word(r, pieces);
    }

    /** With vocabulary pieces: a third of the words (every word: {@link Pieces#everyWord}) glued from them, else {@link #word(Random)}. */
    static String word(Random r, Pieces pieces) {
        return pieces.glue(r, pieces.latin()) ? pieces.word(r) : word(r);
    }

    /** With vocabulary pieces: a third of the strings (every string: {@link Pieces#everyWord}) glued from them, else {@link #han(Random, int, int)}. */
    static String han(Random r, int min, int max, Pieces pieces) {
        return pieces.glue(r, pieces.han()) ? pieces.han(r, min, max) : han(r, min, max);
    }

    private static final String CONSONANTS = "bcdfghjklmnpqrstvwxzbcdfghklmnprstv";
    private static final String VOWELS = "aeiouyaeioueaio";
    private static final String ACCENTED = "áàâäãåæçéèêëíìîïñóòôöõøœúùûüýÿßšžčřłńśźżğı";

    static String name(Random r, Pools.Script script) {
        return switch (script) {
            case LATIN -> r.nextInt(4) == 0 ? capital(Pools.pick(r, COMMON_EN)) : r.nextInt(3) == 0 ? latin(r) + " " + latin(r) : latin(r);
            case CYRILLIC -> capital(block(r, 0x0430, 0x044F, 3, 9));
            case GREEK -> capital(greek(r));
            case ARABIC -> block(r, 0x0628, 0x064A, 3, 7);
            case KATAKANA -> block(r, 0x30A1, 0x30F6, 2, 6);
            case HANGUL -> block(r, 0xAC00, 0xD7A3, 2, 3);
            case HAN -> han(r, 2, 4);
        };
    }

    /** A Latin name of 2..10 letters. */
    static String latin(Random r) {
        int n = 2 + r.nextInt(9);
        StringBuilder sb = new StringBuilder();
        boolean rhythm = r.nextBoolean();
        for (int i = 0; i < n; i++) {
            if (r.nextInt(12) == 0) sb.append(ACCENTED.charAt(r.nextInt(ACCENTED.length())));
            else if (!rhythm) sb.append((char) ('a' + r.nextInt(26)));
            else sb.append(i % 2 == 0 ? CONSONANTS.charAt(r.nextInt(CONSONANTS.length())) : VOWELS.charAt(r.nextInt(VOWELS.length())));
        }
        return capital(sb.toString());
    }

    /** A lower-case word: a common English one or random letters, half and half. */
    static String word(Random r) {
        return r.nextBoolean() ? Pools.pick(r, COMMON_EN) : latin(r).toLowerCase(Locale.ROOT);
    }

    /** min..max Han characters: common ones or any of the block, half and half. */
    static String han(Random r, int min, int max) {
        if (r.nextBoolean()) return block(r, 0x4E00, 0x9FA5, min, max);
        int n = min + r.nextInt(max - min + 1);
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < n; i++) sb.append(Pools.pick(r, COMMON_HAN));
        return sb.toString();
    }

    /** 1 to 9 digits, a leading zero only for a single digit. */
    static String number(Random r) {
        int digits = 1 + r.nextInt(9);
        StringBuilder sb = new StringBuilder().append(digits == 1 ? r.nextInt(10) : 1 + r.nextInt(9));
        for (int i = 1; i < digits; i++) sb.append(r.nextInt(10));
        return sb.toString();
    }

    /** 4..10 characters of A-Z and 0-9 with at least one of each, sometimes with a dash. */
    static String code(Random r) {
        String chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
        while (true) {
            int n = 4 + r.nextInt(7);
            StringBuilder sb = new StringBuilder();
            for (int i = 0; i < n; i++) sb.append(chars.charAt(r.nextInt(chars.length())));
            if (n >= 6 && r.nextInt(4) == 0) sb.insert(2 + r.nextInt(n - 3), '-');
            String s = sb.toString();
            if (s.chars().anyMatch(Character::isLetter) && s.chars().anyMatch(Character::isDigit)) return s;
        }
    }

    private static String greek(Random r) {
        int n = 3 + r.nextInt(7);
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < n; i++) {
            int c = 0x03B1 + r.nextInt(0x03C9 - 0x03B1 + 1);
            sb.appendCodePoint(c == 0x03C2 ? 0x03C3 : c); // final sigma only ends words
        }
        return sb.toString();
    }

    private static String block(Random r, int first, int last, int min, int max) {
        int n = min + r.nextInt(max - min + 1);
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < n; i++) sb.appendCodePoint(first + r.nextInt(last - first + 1));
        return sb.toString();
    }

    private static String capital(String s) {
        int c = s.codePointAt(0);
        return new StringBuilder().appendCodePoint(Character.toUpperCase(c)).append(s.substring(Character.charCount(c))).toString();
    }
}

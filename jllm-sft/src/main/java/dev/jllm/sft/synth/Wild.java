package dev.jllm.sft.synth;

import java.util.Locale;
import java.util.Random;

/**
 * Values for {@link Split#WILD}: strings drawn over whole alphabets, so that no distribution of names
 * can be learned and copying is the only way to the answer. Half of the Latin names follow a loose
 * consonant-vowel rhythm over every letter (with accented ones), half are any letters; other scripts
 * draw from their whole letter blocks; Han from the 20,902 unified ideographs of U+4E00..U+9FA5.
 */
final class Wild {
    private Wild() {}

    private static final String CONSONANTS = "bcdfghjklmnpqrstvwxzbcdfghklmnprstv";
    private static final String VOWELS = "aeiouyaeioueaio";
    private static final String ACCENTED = "áàâäãåæçéèêëíìîïñóòôöõøœúùûüýÿßšžčřłńśźżğı";

    static String name(Random r, Pools.Script script) {
        return switch (script) {
            case LATIN -> r.nextInt(3) == 0 ? latin(r) + " " + latin(r) : latin(r);
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

    /** A lower-case word of 3..9 letters (a preference nobody has: the copy is all there is). */
    static String word(Random r) {
        return latin(r).toLowerCase(Locale.ROOT);
    }

    static String han(Random r, int min, int max) {
        return block(r, 0x4E00, 0x9FA5, min, max);
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

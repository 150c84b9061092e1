package dev.jllm.eval.metrics;

import java.util.ArrayList;
import java.util.List;

/**
 * The few Python {@code str} operations the reference scorers are written with, with Python's own
 * semantics: every reference splits on {@code str.split()} (Python's whitespace set, which differs
 * from Java's {@code Character.isWhitespace}, e.g. NBSP and U+3000 are whitespace in Python) and
 * indexes by code point, not by UTF-16 unit. Getting these wrong changes n-gram counts on real text.
 */
final class PyText {
    private PyText() {}

    /** Python's {@code str.isspace()} for one code point (Unicode White_Space plus the bidi B/S controls U+001C..U+001F). */
    static boolean isSpace(int cp) {
        return switch (cp) {
            case 0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x1C, 0x1D, 0x1E, 0x1F, 0x20, 0x85, 0xA0, 0x1680,
                 0x2028, 0x2029, 0x202F, 0x205F, 0x3000 -> true;
            default -> cp >= 0x2000 && cp <= 0x200A;
        };
    }

    /** {@code s.split()}: runs of whitespace separate, no empty tokens. */
    static List<String> split(String s) {
        List<String> out = new ArrayList<>();
        int n = s.length(), start = -1;
        for (int i = 0; i < n; ) {
            int cp = s.codePointAt(i);
            int next = i + Character.charCount(cp);
            if (isSpace(cp)) {
                if (start >= 0) {
                    out.add(s.substring(start, i));
                    start = -1;
                }
            } else if (start < 0) {
                start = i;
            }
            i = next;
        }
        if (start >= 0) out.add(s.substring(start));
        return out;
    }

    /** {@code ' '.join(s.split())}. */
    static String squeeze(String s) {
        return String.join(" ", split(s));
    }

    /** {@code s.strip()}. */
    static String strip(String s) {
        return rstrip(lstrip(s));
    }

    /** {@code s.rstrip()}. */
    static String rstrip(String s) {
        int end = s.length();
        while (end > 0) {
            int cp = s.codePointBefore(end);
            if (!isSpace(cp)) break;
            end -= Character.charCount(cp);
        }
        return s.substring(0, end);
    }

    static String lstrip(String s) {
        int start = 0;
        while (start < s.length()) {
            int cp = s.codePointAt(start);
            if (!isSpace(cp)) break;
            start += Character.charCount(cp);
        }
        return s.substring(start);
    }

    /** {@code s.lower()}: Unicode default lowercasing, locale-independent (Java's ROOT mapping is Python's, final sigma included). */
    static String lower(String s) {
        return s.toLowerCase(java.util.Locale.ROOT);
    }

    /** The code points of {@code s}, i.e. Python's {@code list(s)}. */
    static String[] chars(String s) {
        return s.codePoints().mapToObj(Character::toString).toArray(String[]::new);
    }

    /** Lexicographic comparison by code point, as Python compares strings (Java's compareTo compares UTF-16 units). */
    static int compare(String a, String b) {
        int i = 0, j = 0;
        while (i < a.length() && j < b.length()) {
            int ca = a.codePointAt(i), cb = b.codePointAt(j);
            if (ca != cb) return Integer.compare(ca, cb);
            i += Character.charCount(ca);
            j += Character.charCount(cb);
        }
        return Boolean.compare(i < a.length(), j < b.length());
    }
}

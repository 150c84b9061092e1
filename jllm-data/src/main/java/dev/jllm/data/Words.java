package dev.jllm.data;

import java.util.ArrayList;
import java.util.List;

/**
 * Word splitting shared by the Gopher, C4 and language rules and by MinHash shingling.
 * Latin-like text splits at white space (punctuation stays attached, as in datatrove's
 * whitespace-based rules); every CJK character (Han, kana, Hangul, CJK punctuation) is a word of
 * its own, because Chinese has no spaces: "rules adapted to characters for CJK".
 */
public final class Words {
    private Words() {}

    public static List<String> split(String s) {
        List<String> out = new ArrayList<>(Math.max(4, s.length() / 5));
        int n = s.length();
        int start = -1;
        for (int i = 0; i < n; ) {
            int cp = s.codePointAt(i);
            int w = Character.charCount(cp);
            int f = CharTable.flags(cp);
            boolean space = cp <= ' ' || (f & CharTable.SPACE) != 0;
            boolean cjk = (f & CharTable.CJK) != 0;
            if (space || cjk) {
                if (start >= 0) out.add(s.substring(start, i));
                start = -1;
                if (cjk && (f & CharTable.SPACE) == 0) out.add(s.substring(i, i + w));
            } else if (start < 0) {
                start = i;
            }
            i += w;
        }
        if (start >= 0) out.add(s.substring(start));
        return out;
    }

    /** Lines at LF, blank lines dropped, surrounding spaces trimmed. */
    public static List<String> lines(String s) {
        List<String> out = new ArrayList<>();
        int n = s.length(), start = 0;
        for (int i = 0; i <= n; i++) {
            if (i == n || s.charAt(i) == '\n') {
                String line = s.substring(start, i).strip();
                if (!line.isEmpty()) out.add(line);
                start = i + 1;
            }
        }
        return out;
    }

    /** True when the word has at least one letter (any script). */
    static boolean hasLetter(String w) {
        for (int i = 0; i < w.length(); ) {
            int cp = w.codePointAt(i);
            if ((CharTable.flags(cp) & CharTable.LETTER) != 0) return true;
            i += Character.charCount(cp);
        }
        return false;
    }
}

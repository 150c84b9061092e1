package dev.jllm.data;

/**
 * Whitespace folding: CRLF/CR → LF; runs of horizontal white space (tabs, NBSP, other Unicode
 * spaces) → one ' '; spaces at line ends removed; three or more line breaks → one blank line
 * (paragraph breaks survive, Gopher's paragraph rules need them); leading/trailing white space of
 * the document removed.
 */
public final class WhitespaceFolder implements TextNormalizer {
    @Override
    public String name() {
        return "whitespace";
    }

    private static boolean hspace(char c) {
        return c == ' ' || c == '\t' || c == 0xA0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200A) || c == 0x202F
                || c == 0x205F || c == 0x3000 || c == 0x0B || c == 0x0C || c == 0x85 || c == 0x2028 || c == 0x2029;
    }

    /** True when the text is already folded (the common case: one scan, no allocation). */
    static boolean isFolded(String s) {
        int n = s.length();
        if (n == 0) return true;
        if (hspace(s.charAt(0)) || s.charAt(0) == '\n' || hspace(s.charAt(n - 1)) || s.charAt(n - 1) == '\n') return false;
        for (int i = 0; i < n; i++) {
            char c = s.charAt(i);
            if (c > ' ' && c < 0x85) continue;
            if (c == '\r' || (c != ' ' && hspace(c))) return false;
            if (c == ' ' && (s.charAt(i + 1) == ' ' || s.charAt(i + 1) == '\n')) return false;
            if (c == '\n' && (hspace(s.charAt(i + 1)) || (s.charAt(i + 1) == '\n' && i + 2 < n && s.charAt(i + 2) == '\n'))) return false;
        }
        return true;
    }

    @Override
    public String apply(String s) {
        if (isFolded(s)) return s;
        int n = s.length();
        StringBuilder b = new StringBuilder(n);
        int newlines = 0;
        boolean pendingSpace = false;
        int i = 0;
        while (i < n) {
            char c = s.charAt(i);
            if (c == '\r' || c == '\n') {
                if (c == '\n' || i + 1 >= n || s.charAt(i + 1) != '\n') newlines++;
                pendingSpace = false;
                i++;
            } else if (hspace(c)) {
                pendingSpace = true;
                i++;
            } else {
                if (b.length() > 0) {
                    if (newlines > 0) b.append(newlines >= 2 ? "\n\n" : "\n");
                    else if (pendingSpace) b.append(' ');
                }
                newlines = 0;
                pendingSpace = false;
                // copy the run of ordinary characters in one call: char-by-char appends were a hot spot
                int j = i + 1;
                while (j < n) {
                    char d = s.charAt(j);
                    if (d == '\r' || d == '\n' || hspace(d)) break;
                    j++;
                }
                b.append(s, i, j);
                i = j;
            }
        }
        return b.toString();
    }
}

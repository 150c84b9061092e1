package dev.jllm.data;

/**
 * Removes control characters (C0 except TAB, LF and CR; DEL; C1) and the byte-order mark U+FEFF.
 * Keeps U+200D (ZWJ) and variation selectors: they are part of emoji and of some scripts.
 * Run after {@link AnsiEscapeStripper}, otherwise the letters of an escape sequence would stay.
 */
public final class ControlCharStripper implements TextNormalizer {
    @Override
    public String name() {
        return "control";
    }

    private static boolean strip(char c) {
        if (c < 0x20) return c != '\t' && c != '\n' && c != '\r';
        return c == 0x7F || (c >= 0x80 && c <= 0x9F) || c == 0xFEFF;
    }

    @Override
    public String apply(String s) {
        int n = s.length();
        int i = 0;
        while (i < n && !strip(s.charAt(i))) i++;
        if (i == n) return s;
        StringBuilder b = new StringBuilder(n);
        b.append(s, 0, i);
        for (; i < n; i++) {
            char c = s.charAt(i);
            if (!strip(c)) b.append(c);
        }
        return b.toString();
    }
}

package dev.jllm.data;

/**
 * Removes ANSI/VT100 escape sequences (colours and cursor moves in terminal dumps such as Debian's
 * fortunes: {@code ESC[33m}): CSI {@code ESC [ params final}, OSC {@code ESC ] ... BEL|ESC \}, and
 * other escapes {@code ESC [0x20-0x2F]* X}. A lone ESC at the end is dropped.
 */
public final class AnsiEscapeStripper implements TextNormalizer {
    private static final char ESC = 0x1B, CSI8 = 0x9B;

    @Override
    public String name() {
        return "ansi";
    }

    @Override
    public String apply(String s) {
        int first = -1;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == ESC || c == CSI8) {
                first = i;
                break;
            }
        }
        if (first < 0) return s;
        StringBuilder b = new StringBuilder(s.length());
        b.append(s, 0, first);
        int n = s.length();
        int i = first;
        while (i < n) {
            char c = s.charAt(i);
            if (c == CSI8) {
                i = skipCsi(s, i + 1);
            } else if (c != ESC) {
                b.append(c);
                i++;
            } else if (i + 1 >= n) {
                i++;
            } else {
                char k = s.charAt(i + 1);
                if (k == '[') {
                    i = skipCsi(s, i + 2);
                } else if (k == ']') {
                    i = skipOsc(s, i + 2);
                } else {
                    // ESC, intermediates 0x20–0x2F, one final byte: ESC ( B selects a charset, ESC = a keypad mode
                    i += 1;
                    while (i < n && s.charAt(i) >= 0x20 && s.charAt(i) <= 0x2F) i++;
                    if (i < n) i++;
                }
            }
        }
        return b.toString();
    }

    /** CSI: parameter bytes 0x30–0x3F, intermediates 0x20–0x2F, one final byte 0x40–0x7E. */
    private static int skipCsi(String s, int i) {
        int n = s.length();
        while (i < n && s.charAt(i) >= 0x20 && s.charAt(i) <= 0x3F) i++;
        if (i < n && s.charAt(i) >= 0x40 && s.charAt(i) <= 0x7E) i++;
        return i;
    }

    /** OSC: up to BEL or ESC \ (string terminator). */
    private static int skipOsc(String s, int i) {
        int n = s.length();
        while (i < n) {
            char c = s.charAt(i);
            if (c == 0x07) return i + 1;
            if (c == ESC && i + 1 < n && s.charAt(i + 1) == '\\') return i + 2;
            i++;
        }
        return n;
    }
}

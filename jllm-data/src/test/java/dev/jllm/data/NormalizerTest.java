package dev.jllm.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class NormalizerTest {
    @Test
    void ansiEscapes() {
        AnsiEscapeStripper a = new AnsiEscapeStripper();
        // the shape of Debian fortunes-zh: colour on, text, colour reset
        assertEquals("    -- Debian 《行为准则》第一条", a.apply("\u001b[33m    -- Debian \u001b[32m《行为准则》\u001b[m第一条\u001b[m"));
        assertEquals("title", a.apply("\u001b]0;x\u0007title"));
        assertEquals("ab", a.apply("a\u001b(Bb"));
        assertEquals("a", a.apply("a\u001b"));
        assertEquals("a1b", a.apply("a\u001b[1;31;40m1\u001b[2Kb"));
        String clean = "no escapes 没有";
        assertSame(clean, a.apply(clean));
    }

    @Test
    void controlCharacters() {
        ControlCharStripper c = new ControlCharStripper();
        assertEquals("a\tb\nc\rd", c.apply("\uFEFFa\tb\nc\rd\u0000\u0007\u007f\u0085"));
        assertEquals("👨‍👩‍👧", c.apply("👨‍👩‍👧"), "ZWJ stays");
    }

    @Test
    void fullwidth() {
        assertEquals("ABC 123，。！", new FullwidthFolder(false).apply("ＡＢＣ　１２３，。！"));
        assertEquals("ABC 123,。!", new FullwidthFolder(true).apply("ＡＢＣ　１２３，。！"));
    }

    @Test
    void whitespace() {
        WhitespaceFolder w = new WhitespaceFolder();
        assertEquals("a b\nc\n\nd", w.apply("  a \t\u00a0 b  \r\nc\n\n\n\n  d  \n"));
        String folded = "a b\nc\n\nd";
        assertSame(folded, w.apply(folded));
        assertEquals("", w.apply(" \n "));
    }

    @Test
    void nfkc() {
        NfkcNormalizer n = new NfkcNormalizer();
        assertEquals("fi 1\u20444 A,!", n.apply("ﬁ ¼ Ａ，！")); // ¼ → 1, FRACTION SLASH, 4
        String s = "already NFKC 中文。";
        assertSame(s, n.apply(s));
    }

    @Test
    void invalidUtf8IsRepaired() {
        byte[] bytes = {'a', (byte) 0xE4, (byte) 0xB8, 'b', (byte) 0xFF, 'c'}; // truncated 3-byte sequence, invalid byte
        String decoded = new String(bytes, StandardCharsets.UTF_8);
        assertEquals("a\uFFFDb\uFFFDc", decoded);
        assertEquals("abc", new ReplacementCharStripper().apply(decoded));
    }
}

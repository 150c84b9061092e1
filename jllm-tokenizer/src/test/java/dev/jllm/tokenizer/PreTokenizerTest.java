package dev.jllm.tokenizer;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class PreTokenizerTest {

    @Test
    void gpt2SplitsWordsAndLeavesTheLastSpaceToTheNextWord() throws Exception {
        PreTokenizer p = PreTokenizer.forGgufPre("gpt-2");
        assertEquals(List.of("Hello", ",", " y", "'", "all", "!", " ", " ok"), p.split("Hello, y'all!  ok"));
    }

    @Test
    void whitespaceIsUnicodeWhiteSpaceNotJustAscii() {
        // NBSP and ideographic space are \s for llama.cpp, Rust regex and Oniguruma; Java's \s alone would not match them
        PreTokenizer p = new PreTokenizer("t", List.of("\\s+|\\S+"));
        assertEquals(List.of("a", "\u00a0\u3000", "b"), p.split("a\u00a0\u3000b"));
    }

    @Test
    void dollarMeansEndOfPieceOnly() {
        // Java's own $ would also match before a final line terminator and split "ab" from "\n"
        assertEquals(List.of("ab\n"), new PreTokenizer("t", List.of("[a-z]+$")).split("ab\n"));
        assertEquals(List.of("a", " \n  "), new PreTokenizer("t", List.of("\\s+$")).split("a \n  "));
    }

    @Test
    void unmatchedStretchesAreKept() {
        PreTokenizer p = new PreTokenizer("digits", List.of("[0-9]{3}"));
        assertEquals(List.of("ab", "123", "456", "7c"), p.split("ab1234567c"));
        assertEquals(List.of(), p.split(""));
    }

    @Test
    void unknownGgufPreTokenizerIsAClearError() {
        var e = assertThrows(TokenizerFormatException.class, () -> PreTokenizer.forGgufPre("no-such-pre"));
        assertEquals(true, e.getMessage().startsWith("tokenizer.ggml.pre 'no-such-pre' is not a known pre-tokenizer"));
    }
}

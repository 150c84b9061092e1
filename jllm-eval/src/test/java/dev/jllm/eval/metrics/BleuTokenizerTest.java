package dev.jllm.eval.metrics;

import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.Test;

/**
 * sacreBLEU ships no test for its zh tokenizer. Two cases are from a downstream project's test of
 * sacreBLEU's tokenizers (flexeval tests: TokenizerZh on 教我中文吧, 13a on "I'm a student."); the rest
 * are worked by hand from tokenizer_zh.py, including its range quirk.
 */
class BleuTokenizerTest {

    @Test
    void zhSplitsChineseCharacters() {
        assertEquals("教 我 中 文 吧", BleuTokenizer.ZH.tokenize("教我中文吧"));
        assertEquals("I'm a student .", BleuTokenizer.T13A.tokenize("I'm a student."));
        // non-Chinese runs go through 13a's regexes; 。 (U+3002, CJK punctuation range) stands alone
        assertEquals("我 爱 Python 3.12 , 真 的 。", BleuTokenizer.ZH.tokenize(" 我爱Python 3.12,真的。 "));
    }

    @Test
    void zhRangesAsPythonComparesThem() {
        assertTrue(BleuTokenizer.isChineseChar("中"));
        assertFalse(BleuTokenizer.isChineseChar("a"));
        // u'\u20000' is U+2000 followed by '0': the "range" starts after U+2000 and ends at U+2A6D
        assertFalse(BleuTokenizer.isChineseChar("\u2000"));
        assertTrue(BleuTokenizer.isChineseChar("\u2001"));
        assertTrue(BleuTokenizer.isChineseChar("…")); // U+2026
        assertTrue(BleuTokenizer.isChineseChar("\u2a6d"));
        assertFalse(BleuTokenizer.isChineseChar("\u2a6e"));
        assertFalse(BleuTokenizer.isChineseChar(new String(Character.toChars(0x20000)))); // Extension B is never matched
        assertEquals("好 …", BleuTokenizer.ZH.tokenize("好…"));
    }

    @Test
    void charAndNone() {
        assertEquals("a b 中 😀", BleuTokenizer.CHAR.tokenize("ab中😀"));
        assertEquals("a  b", BleuTokenizer.NONE.tokenize("a  b"));
        assertThrows(IllegalArgumentException.class, () -> BleuTokenizer.of("ja-mecab"));
    }
}

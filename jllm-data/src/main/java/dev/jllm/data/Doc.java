package dev.jllm.data;

import java.util.List;

/**
 * A document's cleaned text with the measurements filters share, computed on first use: the
 * character counts ({@link TextStats}), the words ({@link Words}) and the lines. Not thread-safe;
 * one worker owns a Doc.
 */
public final class Doc {
    private final String text;
    private TextStats stats;
    private List<String> words;
    private List<String> lines;

    public Doc(String text) {
        this.text = text;
    }

    public String text() {
        return text;
    }

    public TextStats stats() {
        if (stats == null) stats = TextStats.of(text);
        return stats;
    }

    public List<String> words() {
        if (words == null) words = Words.split(text);
        return words;
    }

    /** Lines split at LF, empty lines dropped. */
    public List<String> lines() {
        if (lines == null) lines = Words.lines(text);
        return lines;
    }

    /** True when Han characters make up at least half of the letters: the CJK variants of the rules apply. */
    public boolean isCjk() {
        TextStats s = stats();
        return s.letters() > 0 && (s.han() + s.kana() + s.hangul()) * 2 >= s.letters();
    }
}

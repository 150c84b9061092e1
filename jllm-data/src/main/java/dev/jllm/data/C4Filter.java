package dev.jllm.data;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * C4's line rules (Raffel et al. 2020) as in datatrove's C4QualityFilter, with its defaults. Lines
 * are dropped when they have a word longer than {@code maxWordLength}, do not end in terminal
 * punctuation (or end in "..."), have fewer than {@code minWordsPerLine} words, mention
 * "javascript", or mention a cookie/terms/privacy policy; citation marks [1] [edit] are removed.
 * The whole document is dropped for "lorem ipsum", a curly brace, or fewer than
 * {@code minSentences} sentences in the kept lines.
 *
 * <p>Chinese adaptation: terminal punctuation also includes 。！？…」』”’ (full-width forms), words are
 * characters for CJK lines ({@link Words}), and sentences are counted at . ! ? 。！？ (a run of
 * them ends one sentence; a kept line has at least one) instead of NLTK's English splitter.
 */
public record C4Filter(boolean enabled, boolean removeCitations, boolean terminalPunctuation, int minSentences,
                       int minWordsPerLine, int maxWordLength, boolean loremIpsum, boolean javascript,
                       boolean curlyBracket, boolean policy) {
    private static final Pattern CITATION = Pattern.compile("\\[\\d*]|\\[edit]|\\[citation needed]");
    private static final String TERMINAL = ".?!\"'。！？…」』”’";
    private static final String[] POLICY = {"terms of use", "privacy policy", "cookie policy", "uses cookies", "use of cookies", "use cookies"};

    public String name() {
        return "c4";
    }

    /** The kept text and the number of dropped lines, or the reason the whole document goes. */
    public record Result(String text, int linesDropped, String reject) {}

    public Result apply(String text) {
        List<String> kept = new ArrayList<>();
        int sentences = 0, dropped = 0;
        for (String raw : text.split("\n")) {
            String line = raw.strip();
            if (line.isEmpty()) continue;
            if (maxWordLength > 0 && hasLongWord(line)) { dropped++; continue; }
            if (removeCitations && line.indexOf('[') >= 0) line = CITATION.matcher(line).replaceAll("");
            if (terminalPunctuation && (line.isEmpty() || TERMINAL.indexOf(line.charAt(line.length() - 1)) < 0 || line.endsWith("..."))) { dropped++; continue; }
            if (Words.split(line).size() < minWordsPerLine) { dropped++; continue; }
            String lower = line.toLowerCase(Locale.ROOT);
            if (loremIpsum && lower.contains("lorem ipsum")) return new Result(null, dropped, "lorem_ipsum");
            if (javascript && lower.contains("javascript")) { dropped++; continue; }
            if (curlyBracket && line.indexOf('{') >= 0) return new Result(null, dropped, "curly_bracket");
            if (policy && containsPolicy(lower)) { dropped++; continue; }
            sentences += sentences(line);
            kept.add(line);
        }
        if (sentences < minSentences) return new Result(null, dropped, "too_few_sentences " + sentences + " < " + minSentences);
        return new Result(String.join("\n", kept), dropped, null);
    }

    private boolean hasLongWord(String line) {
        int run = 0;
        for (int i = 0; i < line.length(); i++) {
            run = Character.isWhitespace(line.charAt(i)) ? 0 : run + 1;
            if (run > maxWordLength) return true;
        }
        return false;
    }

    private static boolean containsPolicy(String lower) {
        for (String p : POLICY) if (lower.contains(p)) return true;
        return false;
    }

    /** Runs of . ! ? 。！？ each end a sentence; a line counts at least one. */
    static int sentences(String line) {
        int count = 0;
        boolean inRun = false;
        for (int i = 0; i < line.length(); i++) {
            char c = line.charAt(i);
            boolean end = c == '.' || c == '!' || c == '?' || c == '。' || c == '！' || c == '？';
            if (end && !inRun) count++;
            inRun = end;
        }
        return Math.max(1, count);
    }
}

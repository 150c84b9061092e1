package dev.jllm.data;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Drops documents containing more than {@code maxHits} entries of a word list (one entry per line,
 * '#' comments). Entries without CJK characters match whole words, case-insensitively; entries with
 * CJK characters match as substrings (Chinese has no word boundaries).
 */
public final class WordListFilter implements Filter {
    private final String source;
    private final int maxHits;
    private final Set<String> words = new HashSet<>();
    /** CJK entries by their first char, for substring search. */
    private final Map<Character, List<String>> cjk = new HashMap<>();

    public WordListFilter(Path file, int maxHits) throws IOException {
        if (maxHits < 0) throw new IllegalArgumentException("filters.wordlist.max_hits must be >= 0, got " + maxHits);
        this.source = file.getFileName().toString();
        this.maxHits = maxHits;
        List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        for (String l : lines) {
            String w = l.strip();
            if (w.isEmpty() || w.startsWith("#")) continue;
            if (TextStats.of(w).cjk() > 0) cjk.computeIfAbsent(w.charAt(0), k -> new ArrayList<>()).add(w);
            else words.add(w.toLowerCase(Locale.ROOT));
        }
        if (words.isEmpty() && cjk.isEmpty()) throw new IllegalArgumentException(file + ": word list is empty");
    }

    @Override
    public String name() {
        return "wordlist";
    }

    @Override
    public String reject(Doc doc) {
        int hits = 0;
        String first = null;
        if (!words.isEmpty()) {
            for (String w : doc.words()) {
                String core = w.toLowerCase(Locale.ROOT).replaceAll("^\\p{Punct}+|\\p{Punct}+$", "");
                if (words.contains(core)) {
                    hits++;
                    if (first == null) first = core;
                }
            }
        }
        if (!cjk.isEmpty()) {
            String t = doc.text();
            for (int i = 0; i < t.length(); i++) {
                List<String> cands = cjk.get(t.charAt(i));
                if (cands == null) continue;
                for (String c : cands) {
                    if (t.startsWith(c, i)) {
                        hits++;
                        if (first == null) first = c;
                        break;
                    }
                }
            }
        }
        return hits > maxHits ? hits + " hits in " + source + " > " + maxHits + ", first '" + first + "'" : null;
    }
}

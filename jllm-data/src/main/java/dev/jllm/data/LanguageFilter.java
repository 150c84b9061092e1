package dev.jllm.data;

import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Language identification restricted to a configured set ({@code allowed}, ISO 639-1 codes).
 *
 * <p>Method, chosen to be fast and explainable rather than a statistical model such as fastText:
 * <ol>
 *   <li>Count letters by script: Han, kana, Hangul, Cyrillic, Arabic, Latin.</li>
 *   <li>Kana present (≥ 10% of Han + kana) → ja; Hangul dominant → ko; Han dominant → zh;
 *       Cyrillic → ru; Arabic → ar.</li>
 *   <li>Latin dominant → the language among en, fr, de, es, it, pt, nl whose 20 most common
 *       function words cover most of the words; "und" when none covers ≥ 2% of them.</li>
 *   <li>The score is the dominant script's share of the letters (1.0 for a monolingual text);
 *       the document is kept when its language is allowed and the score ≥ {@code minScore}.</li>
 * </ol>
 * It tells Chinese from English reliably, and the Latin-script European languages apart on
 * ordinary prose; it cannot tell close languages (zh-yue, no/da) or very short texts apart.
 */
public record LanguageFilter(boolean enabled, List<String> allowed, double minScore) implements Filter {
    private static final Map<String, Set<String>> FUNCTION_WORDS = Map.of(
            "en", Set.of("the", "of", "and", "to", "a", "in", "is", "that", "it", "was", "for", "on", "are", "with", "as", "i", "his", "they", "be", "at"),
            "fr", Set.of("le", "la", "les", "de", "des", "et", "est", "un", "une", "du", "en", "que", "qui", "dans", "pour", "pas", "sur", "au", "il", "ne"),
            "de", Set.of("der", "die", "und", "in", "den", "von", "zu", "das", "mit", "sich", "des", "auf", "für", "ist", "im", "dem", "nicht", "ein", "eine", "als"),
            "es", Set.of("el", "la", "de", "que", "y", "en", "los", "se", "del", "las", "un", "por", "con", "no", "una", "su", "para", "es", "al", "lo"),
            "it", Set.of("il", "di", "che", "e", "la", "per", "un", "in", "non", "una", "sono", "del", "della", "si", "le", "da", "gli", "con", "ha", "è"),
            "pt", Set.of("o", "de", "a", "que", "e", "do", "da", "em", "um", "para", "com", "não", "uma", "os", "no", "se", "na", "por", "mais", "as"),
            "nl", Set.of("de", "het", "een", "en", "van", "ik", "te", "dat", "die", "in", "is", "niet", "op", "zijn", "voor", "met", "hij", "was", "aan", "er"));
    private static final Set<String> KNOWN = Set.of("zh", "ja", "ko", "ru", "ar", "en", "fr", "de", "es", "it", "pt", "nl", "und");

    public LanguageFilter {
        allowed = List.copyOf(allowed);
        for (String a : allowed) {
            if (!KNOWN.contains(a)) throw new IllegalArgumentException("filters.language.allowed: unknown language '" + a + "' (known: " + new java.util.TreeSet<>(KNOWN) + ")");
        }
        if (!(minScore >= 0 && minScore <= 1)) throw new IllegalArgumentException("filters.language.min_score must be in [0, 1], got " + minScore);
    }

    @Override
    public String name() {
        return "language";
    }

    /** Identified language and score. */
    public record Guess(String language, double score) {}

    public static Guess identify(Doc doc) {
        TextStats s = doc.stats();
        int letters = s.letters();
        if (letters == 0) return new Guess("und", 0);
        int hanKana = s.han() + s.kana();
        int other = letters - hanKana - s.hangul() - s.cyrillic() - s.arabic() - s.latin();
        int[] counts = {hanKana, s.hangul(), s.cyrillic(), s.arabic(), s.latin(), other};
        int best = 0;
        for (int i = 1; i < counts.length; i++) if (counts[i] > counts[best]) best = i;
        double score = counts[best] / (double) letters;
        switch (best) {
            case 0: return new Guess(s.kana() * 10 >= hanKana ? "ja" : "zh", score);
            case 1: return new Guess("ko", score);
            case 2: return new Guess("ru", score);
            case 3: return new Guess("ar", score);
            case 4: return new Guess(latinLanguage(doc.words()), score);
            default: return new Guess("und", score);
        }
    }

    private static String latinLanguage(List<String> words) {
        String bestLang = "und";
        int bestHits = 0;
        for (Map.Entry<String, Set<String>> e : FUNCTION_WORDS.entrySet()) {
            int hits = 0;
            for (String w : words) if (e.getValue().contains(w.toLowerCase(Locale.ROOT))) hits++;
            if (hits > bestHits || (hits == bestHits && hits > 0 && e.getKey().compareTo(bestLang) < 0)) {
                bestHits = hits;
                bestLang = e.getKey();
            }
        }
        return bestHits * 50 >= words.size() && bestHits > 0 ? bestLang : "und";
    }

    @Override
    public String reject(Doc doc) {
        Guess g = identify(doc);
        if (!allowed.contains(g.language())) return g.language() + " not in " + allowed;
        if (g.score() < minScore) return String.format(Locale.ROOT, "%s score %.2f < %.2f (mixed scripts)", g.language(), g.score(), minScore);
        return null;
    }
}

package dev.jllm.eval.metrics;

import java.util.Map;

/**
 * NLTK's PorterStemmer in its default NLTK_EXTENSIONS mode (nltk/stem/porter.py), the stemmer
 * rouge-score uses for {@code use_stemmer=True}. Martin Porter's published algorithm plus NLTK's
 * changes (irregular forms, "ies"/"ied" on 4-letter words, y→i only after a consonant, alli/fulli/logi
 * rules, the 2-letter cvc case); words of up to two letters are returned as they are.
 * Works on lowercase ASCII words, which is all rouge-score's tokenizer hands it.
 */
public final class PorterStemmer {
    private static final Map<String, String> POOL = Map.ofEntries(
            Map.entry("sky", "sky"), Map.entry("skies", "sky"), Map.entry("dying", "die"), Map.entry("lying", "lie"),
            Map.entry("tying", "tie"), Map.entry("news", "news"), Map.entry("innings", "inning"), Map.entry("inning", "inning"),
            Map.entry("outings", "outing"), Map.entry("outing", "outing"), Map.entry("cannings", "canning"),
            Map.entry("canning", "canning"), Map.entry("howe", "howe"), Map.entry("proceed", "proceed"),
            Map.entry("exceed", "exceed"), Map.entry("succeed", "succeed"));

    /** A rule: replace {@code suffix} by {@code replacement} if the condition holds on the stem; "*d" is a double consonant. */
    private record Rule(String suffix, String replacement, java.util.function.Predicate<String> condition) {}

    public String stem(String word) {
        String stem = PyText.lower(word);
        if (POOL.containsKey(word)) return POOL.get(stem); // NLTK looks up the word as given, returns by the lowercased one
        if (word.length() <= 2) return stem;
        stem = step1a(stem);
        stem = step1b(stem);
        stem = step1c(stem);
        stem = step2(stem);
        stem = step3(stem);
        stem = step4(stem);
        stem = step5a(stem);
        stem = step5b(stem);
        return stem;
    }

    private static boolean isConsonant(String w, int i) {
        char c = w.charAt(i);
        if (c == 'a' || c == 'e' || c == 'i' || c == 'o' || c == 'u') return false;
        if (c == 'y') return i == 0 || !isConsonant(w, i - 1);
        return true;
    }

    /** m in [C](VC){m}[V]: the number of vowel→consonant transitions. */
    static int measure(String stem) {
        int m = 0;
        for (int i = 1; i < stem.length(); i++) if (!isConsonant(stem, i - 1) && isConsonant(stem, i)) m++;
        return m;
    }

    private static boolean positiveMeasure(String stem) {
        return measure(stem) > 0;
    }

    private static boolean containsVowel(String stem) {
        for (int i = 0; i < stem.length(); i++) if (!isConsonant(stem, i)) return true;
        return false;
    }

    private static boolean endsDoubleConsonant(String w) {
        int n = w.length();
        return n >= 2 && w.charAt(n - 1) == w.charAt(n - 2) && isConsonant(w, n - 1);
    }

    /** *o: ends consonant-vowel-consonant, the last not w, x or y; NLTK also accepts a 2-letter vowel-consonant word. */
    private static boolean endsCvc(String w) {
        int n = w.length();
        if (n >= 3 && isConsonant(w, n - 3) && !isConsonant(w, n - 2) && isConsonant(w, n - 1)) {
            char last = w.charAt(n - 1);
            if (last != 'w' && last != 'x' && last != 'y') return true;
        }
        return n == 2 && !isConsonant(w, 0) && isConsonant(w, 1);
    }

    private static String cut(String w, String suffix) {
        return w.substring(0, w.length() - suffix.length());
    }

    /** The first rule whose suffix matches decides: applied if its condition holds, else the word is left alone. */
    private static String applyRules(String word, Rule... rules) {
        for (Rule r : rules) {
            if (r.suffix.equals("*d") && endsDoubleConsonant(word)) {
                String stem = word.substring(0, word.length() - 2);
                return r.condition == null || r.condition.test(stem) ? stem + r.replacement : word;
            }
            if (word.endsWith(r.suffix)) {
                String stem = cut(word, r.suffix);
                return r.condition == null || r.condition.test(stem) ? stem + r.replacement : word;
            }
        }
        return word;
    }

    private String step1a(String w) {
        if (w.endsWith("ies") && w.length() == 4) return cut(w, "ies") + "ie";
        return applyRules(w, new Rule("sses", "ss", null), new Rule("ies", "i", null), new Rule("ss", "ss", null), new Rule("s", "", null));
    }

    private String step1b(String w) {
        if (w.endsWith("ied")) return cut(w, "ied") + (w.length() == 4 ? "ie" : "i");
        if (w.endsWith("eed")) {
            String stem = cut(w, "eed");
            return measure(stem) > 0 ? stem + "ee" : w;
        }
        String inter = null;
        for (String suffix : new String[] {"ed", "ing"}) {
            if (w.endsWith(suffix) && containsVowel(cut(w, suffix))) {
                inter = cut(w, suffix);
                break;
            }
        }
        if (inter == null) return w;
        String s = inter;
        char last = s.isEmpty() ? 0 : s.charAt(s.length() - 1);
        return applyRules(s,
                new Rule("at", "ate", null), new Rule("bl", "ble", null), new Rule("iz", "ize", null),
                new Rule("*d", String.valueOf(last), stem -> last != 'l' && last != 's' && last != 'z'),
                new Rule("", "e", stem -> measure(stem) == 1 && endsCvc(stem)));
    }

    private String step1c(String w) {
        return applyRules(w, new Rule("y", "i", stem -> stem.length() > 1 && isConsonant(stem, stem.length() - 1)));
    }

    private String step2(String w) {
        if (w.endsWith("alli") && positiveMeasure(cut(w, "alli"))) return step2(cut(w, "alli") + "al");
        java.util.function.Predicate<String> m0 = PorterStemmer::positiveMeasure;
        return applyRules(w,
                new Rule("ational", "ate", m0), new Rule("tional", "tion", m0), new Rule("enci", "ence", m0),
                new Rule("anci", "ance", m0), new Rule("izer", "ize", m0), new Rule("bli", "ble", m0),
                new Rule("alli", "al", m0), new Rule("entli", "ent", m0), new Rule("eli", "e", m0),
                new Rule("ousli", "ous", m0), new Rule("ization", "ize", m0), new Rule("ation", "ate", m0),
                new Rule("ator", "ate", m0), new Rule("alism", "al", m0), new Rule("iveness", "ive", m0),
                new Rule("fulness", "ful", m0), new Rule("ousness", "ous", m0), new Rule("aliti", "al", m0),
                new Rule("iviti", "ive", m0), new Rule("biliti", "ble", m0), new Rule("fulli", "ful", m0),
                // the 'l' of logi stays with the stem for the measure, so that geo-, theo- work like archaeo-
                new Rule("logi", "log", stem -> positiveMeasure(w.substring(0, w.length() - 3))));
    }

    private String step3(String w) {
        java.util.function.Predicate<String> m0 = PorterStemmer::positiveMeasure;
        return applyRules(w, new Rule("icate", "ic", m0), new Rule("ative", "", m0), new Rule("alize", "al", m0),
                new Rule("iciti", "ic", m0), new Rule("ical", "ic", m0), new Rule("ful", "", m0), new Rule("ness", "", m0));
    }

    private String step4(String w) {
        java.util.function.Predicate<String> m1 = stem -> measure(stem) > 1;
        return applyRules(w, new Rule("al", "", m1), new Rule("ance", "", m1), new Rule("ence", "", m1), new Rule("er", "", m1),
                new Rule("ic", "", m1), new Rule("able", "", m1), new Rule("ible", "", m1), new Rule("ant", "", m1),
                new Rule("ement", "", m1), new Rule("ment", "", m1), new Rule("ent", "", m1),
                new Rule("ion", "", stem -> measure(stem) > 1 && !stem.isEmpty() && "st".indexOf(stem.charAt(stem.length() - 1)) >= 0),
                new Rule("ou", "", m1), new Rule("ism", "", m1), new Rule("ate", "", m1), new Rule("iti", "", m1),
                new Rule("ous", "", m1), new Rule("ive", "", m1), new Rule("ize", "", m1));
    }

    private String step5a(String w) {
        if (w.endsWith("e")) {
            String stem = cut(w, "e");
            if (measure(stem) > 1) return stem;
            if (measure(stem) == 1 && !endsCvc(stem)) return stem;
        }
        return w;
    }

    private String step5b(String w) {
        return applyRules(w, new Rule("ll", "l", stem -> measure(w.substring(0, w.length() - 1)) > 1));
    }
}

package dev.jllm.eval.metrics;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Tokenizers for ROUGE. {@link #english} is rouge-score's DefaultTokenizer (rouge/tokenize.py):
 * lowercase, every run of characters outside [a-z0-9] becomes a space, optional Porter stemming of
 * tokens longer than 3 characters, tokens that are not [a-z0-9]+ dropped. That tokenizer deletes
 * Chinese entirely, so {@link #chinese} is jllm's character-level variant: each Han character is a
 * token, runs of [a-z0-9] are tokens as in the English one, everything else separates.
 */
public final class RougeTokenizer {
    private static final Pattern NON_ALPHANUM = Pattern.compile("[^a-z0-9]+");
    private static final Pattern SPACES = Pattern.compile("\\s+", Pattern.UNICODE_CHARACTER_CLASS);
    private static final Pattern VALID = Pattern.compile("[a-z0-9]+");

    private final boolean chinese;
    private final PorterStemmer stemmer;

    private RougeTokenizer(boolean chinese, boolean stem) {
        this.chinese = chinese;
        this.stemmer = stem ? new PorterStemmer() : null;
    }

    /** rouge-score's default tokenizer; {@code stem} = its use_stemmer. */
    public static RougeTokenizer english(boolean stem) {
        return new RougeTokenizer(false, stem);
    }

    /** Character level for Chinese: one token per Han character (ASCII words as in the English tokenizer). */
    public static RougeTokenizer chinese(boolean stem) {
        return new RougeTokenizer(true, stem);
    }

    public List<String> tokenize(String text) {
        String lower = PyText.lower(text);
        if (chinese) return tokenizeChinese(lower);
        List<String> out = new ArrayList<>();
        for (String t : SPACES.split(NON_ALPHANUM.matcher(lower).replaceAll(" "), -1)) addToken(out, t);
        return out;
    }

    private List<String> tokenizeChinese(String lower) {
        List<String> out = new ArrayList<>();
        StringBuilder word = new StringBuilder();
        for (int i = 0; i < lower.length(); ) {
            int cp = lower.codePointAt(i);
            i += Character.charCount(cp);
            if ((cp >= 'a' && cp <= 'z') || (cp >= '0' && cp <= '9')) {
                word.append((char) cp);
                continue;
            }
            addToken(out, word.toString());
            word.setLength(0);
            if (Character.UnicodeScript.of(cp) == Character.UnicodeScript.HAN && Character.isLetter(cp)) out.add(Character.toString(cp));
        }
        addToken(out, word.toString());
        return out;
    }

    private void addToken(List<String> out, String t) {
        if (stemmer != null && t.length() > 3) t = stemmer.stem(t);
        if (VALID.matcher(t).matches()) out.add(t);
    }
}

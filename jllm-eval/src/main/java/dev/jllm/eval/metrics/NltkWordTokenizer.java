package dev.jllm.eval.metrics;

import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * NLTK's NLTKWordTokenizer (nltk/tokenize/destructive.py), the improved Treebank tokenizer behind
 * {@code nltk.word_tokenize}: an ordered list of regex rewrites, then a whitespace split. The
 * CMRC 2018 evaluation script runs it on the non-Chinese stretches of an answer. Python 3 {@code re}
 * semantics: Unicode \w \d \s \b (UNICODE_CHARACTER_CLASS), only \n ends a line for $ (UNIX_LINES).
 */
final class NltkWordTokenizer {
    private NltkWordTokenizer() {}

    private record Rule(Pattern pattern, String replacement) {
        String apply(String text) {
            Matcher m = pattern.matcher(text);
            return m.replaceAll(replacement);
        }
    }

    private static final int FLAGS = Pattern.UNICODE_CHARACTER_CLASS | Pattern.UNIX_LINES;
    private static final int ICASE = FLAGS | Pattern.CASE_INSENSITIVE | Pattern.UNICODE_CASE;

    private static Rule rule(String regex, String replacement) {
        return new Rule(Pattern.compile(regex, FLAGS), replacement);
    }

    private static Rule ruleI(String regex, String replacement) {
        return new Rule(Pattern.compile(regex, ICASE), replacement);
    }

    private static final List<Rule> STARTING_QUOTES = List.of(
            rule("([«“‘„]|[`]+)", " $1 "),
            rule("^\"", "``"),
            rule("(``)", " $1 "),
            rule("([ (\\[{<])(\"|'{2})", "$1 `` "),
            ruleI("(')(?!re|ve|ll|m|t|s|d|n)(\\w)\\b", "$1 $2"));

    private static final List<Rule> PUNCTUATION = List.of(
            rule("([^.])(\\.)([\\])}>\"'»”’ ]*)\\s*$", "$1 $2 $3 "),
            rule("([:,])([^\\d])", " $1 $2"),
            rule("([:,])$", " $1 "),
            rule("\\.{2,}", " $0 "),
            rule("[;@#$%&]", " $0 "),
            rule("([^.])(\\.)([\\])}>\"']*)\\s*$", "$1 $2$3 "),
            rule("[?!]", " $0 "),
            rule("([^'])' ", "$1 ' "),
            rule("[*]", " $0 "));

    private static final Rule PARENS_BRACKETS = rule("[\\]\\[(){}<>]", " $0 ");
    private static final Rule DOUBLE_DASHES = rule("--", " -- ");

    private static final List<Rule> ENDING_QUOTES = List.of(
            rule("([»”’])", " $1 "),
            rule("''", " '' "),
            rule("\"", " '' "),
            rule("([^' ])('[sS]|'[mM]|'[dD]|') ", "$1 $2 "),
            rule("([^' ])('ll|'LL|'re|'RE|'ve|'VE|n't|N'T) ", "$1 $2 "));

    // MacIntyre's contractions (CONTRACTIONS2 and 3); Python's (?#X) comments dropped, Java has none.
    private static final List<Rule> CONTRACTIONS = List.of(
            ruleI("\\b(can)(not)\\b", " $1 $2 "),
            ruleI("\\b(d)('ye)\\b", " $1 $2 "),
            ruleI("\\b(gim)(me)\\b", " $1 $2 "),
            ruleI("\\b(gon)(na)\\b", " $1 $2 "),
            ruleI("\\b(got)(ta)\\b", " $1 $2 "),
            ruleI("\\b(lem)(me)\\b", " $1 $2 "),
            ruleI("\\b(more)('n)\\b", " $1 $2 "),
            ruleI("\\b(wan)(na)(?=\\s)", " $1 $2 "),
            ruleI(" ('t)(is)\\b", " $1 $2 "),
            ruleI(" ('t)(was)\\b", " $1 $2 "));

    /** {@code NLTKWordTokenizer().tokenize(text)} (one sentence: Punkt sentence splitting is not part of it). */
    static List<String> tokenize(String text) {
        for (Rule r : STARTING_QUOTES) text = r.apply(text);
        for (Rule r : PUNCTUATION) text = r.apply(text);
        text = PARENS_BRACKETS.apply(text);
        text = DOUBLE_DASHES.apply(text);
        text = " " + text + " ";
        for (Rule r : ENDING_QUOTES) text = r.apply(text);
        for (Rule r : CONTRACTIONS) text = r.apply(text);
        return PyText.split(text);
    }
}

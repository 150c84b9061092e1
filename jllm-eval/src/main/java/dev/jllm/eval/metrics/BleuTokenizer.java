package dev.jllm.eval.metrics;

import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * sacreBLEU's tokenizers (sacrebleu/tokenizers/), each returning the space-joined tokens exactly as the
 * Python one does, since BLEU's n-grams are then read back with {@code str.split()}.
 */
public enum BleuTokenizer {
    /** {@code none}: the line as is. */
    NONE("none"),
    /** {@code 13a}: mteval-v13a.pl's tokenizer, sacreBLEU's default. */
    T13A("13a"),
    /** {@code zh}: every "Chinese" character (sacreBLEU's ranges, quirks included) apart, the rest as 13a's regexes. */
    ZH("zh"),
    /** {@code intl}: mteval-v14's international tokenizer (Unicode punctuation and symbols). */
    INTL("intl"),
    /** {@code char}: every character a token. */
    CHAR("char");

    private final String signature;

    BleuTokenizer(String signature) {
        this.signature = signature;
    }

    /** The name sacreBLEU prints in its signature ({@code tok:13a}). */
    public String signature() {
        return signature;
    }

    /** By sacreBLEU name: none, 13a, zh, intl, char. */
    public static BleuTokenizer of(String name) {
        for (BleuTokenizer t : values()) if (t.signature.equals(name.toLowerCase(Locale.ROOT))) return t;
        throw new IllegalArgumentException("unknown BLEU tokenizer '" + name + "' (none, 13a, zh, intl, char)");
    }

    public String tokenize(String line) {
        return switch (this) {
            case NONE -> line;
            case T13A -> tokenize13a(line);
            case ZH -> tokenizeZh(line);
            case INTL -> tokenizeIntl(line);
            case CHAR -> String.join(" ", PyText.chars(line));
        };
    }

    // TokenizerRegexp, shared by 13a and zh. The first class is [{-~ [-` space-& (-+ :-@ /]: ASCII punctuation
    // except . , - ' which the following rules treat by context.
    private static final Pattern PUNCT = Pattern.compile("([\\{-\\~\\[-\\` -\\&\\(-\\+\\:-\\@\\/])");
    private static final Pattern PERIOD_COMMA_AFTER_NON_DIGIT = Pattern.compile("([^0-9])([\\.,])");
    private static final Pattern PERIOD_COMMA_BEFORE_NON_DIGIT = Pattern.compile("([\\.,])([^0-9])");
    private static final Pattern DASH_AFTER_DIGIT = Pattern.compile("([0-9])(-)");

    static String regexpPost(String line) {
        line = PUNCT.matcher(line).replaceAll(" $1 ");
        line = PERIOD_COMMA_AFTER_NON_DIGIT.matcher(line).replaceAll("$1 $2 ");
        line = PERIOD_COMMA_BEFORE_NON_DIGIT.matcher(line).replaceAll(" $1 $2");
        line = DASH_AFTER_DIGIT.matcher(line).replaceAll("$1 $2 ");
        return PyText.squeeze(line);
    }

    private static String tokenize13a(String line) {
        line = line.replace("<skipped>", "").replace("-\n", "").replace("\n", " ");
        if (line.contains("&")) {
            line = line.replace("&quot;", "\"").replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">");
        }
        return regexpPost(" " + line + " ");
    }

    // tokenizer_zh.py's _UCODE_RANGES, as the Python string literals they are. Some are not what their comments
    // say: u'\u20000' is the two characters U+2000 '0', so that "range" really is U+2001..U+2A6D (general
    // punctuation, arrows, maths...), and likewise U+2F81..U+2FA1; Extension B is never matched. Python compares
    // the one-character string with these by code point, which PyText.compare reproduces.
    private static final String[][] ZH_RANGES = {
        {"\u3400", "\u4db5"}, {"\u4e00", "\u9fa5"}, {"\u9fa6", "\u9fbb"}, {"\uf900", "\ufa2d"}, {"\ufa30", "\ufa6a"},
        {"\ufa70", "\ufad9"}, {"\u2000" + "0", "\u2a6d" + "6"}, {"\u2f80" + "0", "\u2fa1" + "d"}, {"\uff00", "\uffef"},
        {"\u2e80", "\u2eff"}, {"\u3000", "\u303f"}, {"\u31c0", "\u31ef"}, {"\u2f00", "\u2fdf"}, {"\u2ff0", "\u2fff"},
        {"\u3100", "\u312f"}, {"\u31a0", "\u31bf"}, {"\ufe10", "\ufe1f"}, {"\ufe30", "\ufe4f"}, {"\u2600", "\u26ff"},
        {"\u2700", "\u27bf"}, {"\u3200", "\u32ff"}, {"\u3300", "\u33ff"},
    };

    static boolean isChineseChar(String ch) {
        for (String[] r : ZH_RANGES) {
            if (PyText.compare(r[0], ch) <= 0 && PyText.compare(ch, r[1]) <= 0) return true;
        }
        return false;
    }

    private static String tokenizeZh(String line) {
        StringBuilder sb = new StringBuilder();
        for (String ch : PyText.chars(PyText.strip(line))) {
            if (isChineseChar(ch)) sb.append(' ').append(ch).append(' ');
            else sb.append(ch);
        }
        return regexpPost(sb.toString()); // no " line " padding here, unlike 13a
    }

    // tokenizer_intl.py uses the `regex` module's Unicode general categories; Java's \p{..} are the same categories.
    private static final Pattern INTL_P_AFTER_NON_DIGIT = Pattern.compile("(\\P{N})(\\p{P})");
    private static final Pattern INTL_P_BEFORE_NON_DIGIT = Pattern.compile("(\\p{P})(\\P{N})");
    private static final Pattern INTL_SYMBOL = Pattern.compile("(\\p{S})");

    private static String tokenizeIntl(String line) {
        line = INTL_P_AFTER_NON_DIGIT.matcher(line).replaceAll(m -> Matcher.quoteReplacement(m.group(1) + " " + m.group(2) + " "));
        line = INTL_P_BEFORE_NON_DIGIT.matcher(line).replaceAll(m -> Matcher.quoteReplacement(" " + m.group(1) + " " + m.group(2)));
        line = INTL_SYMBOL.matcher(line).replaceAll(m -> Matcher.quoteReplacement(" " + m.group(1) + " "));
        return PyText.squeeze(line);
    }

    /** The tokens of an already tokenized line, as {@code str.split()}. */
    static List<String> words(String tokenized) {
        return PyText.split(tokenized);
    }
}

package dev.jllm.chat;

import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Rewrites the few Jinja2 (Python) constructs that Jinjava parses differently into equivalents it
 * understands, before compiling. Only the inside of {@code {{ }}} and {@code {% %}} is rewritten;
 * template text, comments and {@code {% raw %}} blocks pass through, apart from the whitespace that
 * trim_blocks/lstrip_blocks remove.
 *
 * <ul>
 *   <li>trim_blocks and lstrip_blocks are applied here, with Jinja's lexer rules, instead of by Jinjava:
 *       Jinjava's lstrip also strips spaces that follow text on the same line ({@code a, {% endif %}}).</li>
 *   <li>One trailing newline of the source is dropped, as Jinja's keep_trailing_newline=False does
 *       (Jinjava's option strips the output's instead).</li>
 *   <li>{@code xs[::-1]} → {@code (xs|reverse)}: Jinjava has no slice step.</li>
 *   <li>{@code f(name=a - 1)} → {@code f(name=(a - 1))}: in Jinjava a keyword argument binds tighter
 *       than arithmetic, so {@code namespace(i=messages|length - 1)} would compute {@code (i=...) - 1}.</li>
 *   <li>{@code not a == b} → {@code not (a == b)}: Jinja's {@code not} binds looser than comparisons.</li>
 *   <li>{@code {% for x in xs if cond %}} → a first loop collecting the items that pass, then the
 *       real loop over them: Jinja filters before looping, so {@code loop.last}/{@code loop.index}
 *       count only the kept items, and Jinjava has no loop filter.</li>
 * </ul>
 */
final class SourceRewriter {

    private SourceRewriter() {}

    private static final Pattern RAW_START = Pattern.compile("\\{%-?\\s*raw\\s*-?%\\}");
    private static final Pattern RAW_END = Pattern.compile("\\{%-?\\s*endraw\\s*-?%\\}");
    private static final Pattern FOR_IF = Pattern.compile(
            "^(\\s*)for\\s+([\\w\\s,]+?)\\s+in\\s+(.+?)\\s+if\\s+(.+?)(\\s*)$", Pattern.DOTALL);

    static String rewrite(String source) {
        // Jinja drops one trailing newline of the template source (keep_trailing_newline=False)
        if (source.endsWith("\r\n")) source = source.substring(0, source.length() - 2);
        else if (source.endsWith("\n")) source = source.substring(0, source.length() - 1);
        StringBuilder out = new StringBuilder(source.length() + 64);
        int[] counter = {0};
        int i = 0;
        while (i < source.length()) {
            int open = nextOpen(source, i);
            if (open < 0) {
                out.append(source, i, source.length());
                break;
            }
            char kind = source.charAt(open + 1);
            appendText(out, source, i, open, kind != '{' && source.charAt(open + 2) != '+');
            if (kind == '#') {
                int close = source.indexOf("#}", open + 2);
                int end = close < 0 ? source.length() : close + 2;
                out.append(source, open, end);
                i = trimBlock(source, end);
                continue;
            }
            Matcher raw = RAW_START.matcher(source).region(open, source.length());
            if (kind == '%' && raw.lookingAt()) {
                Matcher endRaw = RAW_END.matcher(source);
                int end = endRaw.find(raw.end()) ? endRaw.end() : source.length();
                out.append(source, open, end);
                i = trimBlock(source, end);
                continue;
            }
            int close = closeOf(source, open + 2, kind == '{' ? "}}" : "%}");
            if (close < 0) {               // unterminated: leave it for the parser to report
                out.append(source, open, source.length());
                break;
            }
            // delimiters with their whitespace-control marks: "{%-" ... "-%}"
            int bodyStart = open + 2 + (source.charAt(open + 2) == '-' || source.charAt(open + 2) == '+' ? 1 : 0);
            int bodyEnd = close - (source.charAt(close - 1) == '-' || source.charAt(close - 1) == '+' ? 1 : 0);
            if (bodyEnd < bodyStart) bodyEnd = bodyStart;
            String openDelim = source.substring(open, bodyStart);
            String closeDelim = source.substring(bodyEnd, close + 2);
            String body = expressions(source.substring(bodyStart, bodyEnd));
            Matcher forIf = kind == '%' ? FOR_IF.matcher(body) : null;
            if (forIf != null && forIf.matches() && !forIf.group(4).contains(" else ")) {
                String vars = forIf.group(2).trim();
                String list = "__jllm_kept" + (++counter[0]);
                String item = vars.contains(",") ? "[" + vars + "]" : vars;
                // a namespace, because a plain {% set %} inside the loop would not outlive it
                out.append(openDelim).append(" set ").append(list).append(" = namespace(items=[]) %}")
                        .append("{% for ").append(vars).append(" in ").append(forIf.group(3)).append(" %}")
                        .append("{% if ").append(forIf.group(4)).append(" %}")
                        .append("{% set ").append(list).append(".items = ").append(list).append(".items + [")
                        .append(item).append("] %}")
                        .append("{% endif %}{% endfor %}")
                        .append("{%").append(forIf.group(1)).append("for ").append(vars).append(" in ").append(list).append(".items")
                        .append(forIf.group(5)).append(closeDelim);
            } else {
                out.append(openDelim).append(body).append(closeDelim);
            }
            i = kind == '%' ? trimBlock(source, close + 2) : close + 2;
        }
        return out.toString();
    }

    /**
     * Template text before a tag, with lstrip_blocks applied: spaces and tabs between the start of a line
     * and a block or comment tag go (not before {@code {%+}, not before {@code {{}). Jinja's lexer rule,
     * done here because Jinjava's lstrip also eats whitespace after text on the same line.
     */
    private static void appendText(StringBuilder out, String source, int from, int to, boolean lstrip) {
        int end = to;
        if (lstrip) {
            int run = to;
            while (run > from && (source.charAt(run - 1) == ' ' || source.charAt(run - 1) == '\t')) run--;
            boolean lineStart = run > from ? source.charAt(run - 1) == '\n' : (run == 0 || source.charAt(run - 1) == '\n');
            if (lineStart) end = run;
        }
        out.append(source, from, end);
    }

    /** trim_blocks: the first newline after a block or comment tag goes, unless the tag ends with {@code +%}}. */
    private static int trimBlock(String source, int afterTag) {
        boolean keep = afterTag >= 3 && source.charAt(afterTag - 3) == '+';
        return !keep && afterTag < source.length() && source.charAt(afterTag) == '\n' ? afterTag + 1 : afterTag;
    }

    private static int nextOpen(String s, int from) {
        for (int i = s.indexOf('{', from); i >= 0 && i + 1 < s.length(); i = s.indexOf('{', i + 1)) {
            char c = s.charAt(i + 1);
            if (c == '{' || c == '%' || c == '#') return i;
        }
        return -1;
    }

    /** Index of the closing delimiter, skipping string literals. */
    private static int closeOf(String s, int from, String close) {
        char quote = 0;
        for (int i = from; i + 1 < s.length(); i++) {
            char c = s.charAt(i);
            if (quote != 0) {
                if (c == '\\') i++;
                else if (c == quote) quote = 0;
            } else if (c == '\'' || c == '"') {
                quote = c;
            } else if (s.startsWith(close, i)) {
                return i;
            }
        }
        return -1;
    }

    /** The expression rewrites on one tag body. */
    static String expressions(String body) {
        return unaryNot(keywordArguments(reverseSlices(body)));
    }

    private static final Pattern WORD = Pattern.compile("[A-Za-z_]\\w*");
    private static final java.util.Set<String> BEFORE_UNARY = java.util.Set.of(
            "and", "or", "not", "if", "elif", "else", "in", "return", "set", "do", "print");
    private static final java.util.Set<String> ENDS_NOT_OPERAND = java.util.Set.of("and", "or", "if", "else");

    /**
     * {@code not a == b} → {@code not (a == b)}: in Jinja {@code not} binds looser than comparisons and
     * tests, in Jinjava tighter. The operand runs to the next {@code and}/{@code or}/{@code if}/
     * {@code else} or closing bracket at its own depth. {@code is not} and {@code not in} are left alone.
     */
    private static String unaryNot(String body) {
        TreeMap<Integer, String> inserts = new TreeMap<>();
        char quote = 0;
        String previous = "";      // previous token: a word, or the punctuation char
        for (int i = 0; i < body.length(); i++) {
            char c = body.charAt(i);
            if (quote != 0) {
                if (c == '\\') i++;
                else if (c == quote) { quote = 0; previous = "\"\""; }
                continue;
            }
            if (c == '\'' || c == '"') { quote = c; continue; }
            if (Character.isWhitespace(c)) continue;
            Matcher w = WORD.matcher(body).region(i, body.length());
            if (w.lookingAt() && (i == 0 || !Character.isLetterOrDigit(body.charAt(i - 1)) && body.charAt(i - 1) != '_' && body.charAt(i - 1) != '.')) {
                String word = w.group();
                boolean unary = word.equals("not") && (previous.isEmpty() || BEFORE_UNARY.contains(previous)
                        || (previous.length() == 1 && "([{,=:~+-*/%<>!|".contains(previous)));
                if (unary) {
                    int start = w.end();
                    int end = notOperandEnd(body, start);
                    if (end > start && !body.substring(start, end).isBlank()) {
                        int trimmed = end;
                        while (trimmed > start && Character.isWhitespace(body.charAt(trimmed - 1))) trimmed--;
                        int first = start;
                        while (first < trimmed && Character.isWhitespace(body.charAt(first))) first++;
                        inserts.merge(first, "(", String::concat);
                        inserts.merge(trimmed, ")", (a, b) -> b + a);
                    }
                }
                previous = word;
                i = w.end() - 1;
                continue;
            }
            previous = String.valueOf(c);
        }
        return applyInserts(body, inserts);
    }

    private static int notOperandEnd(String s, int from) {
        return scanEnd(s, from, true);
    }

    /**
     * The end of an expression starting at {@code from}: a ',' or an unmatched closing bracket at
     * depth 0, skipping strings; with {@code keywordStops}, also a word that ends a {@code not}
     * operand (and, or, if, ...).
     */
    private static int scanEnd(String s, int from, boolean keywordStops) {
        int depth = 0;
        char quote = 0;
        for (int i = from; i < s.length(); i++) {
            char c = s.charAt(i);
            if (quote != 0) {
                if (c == '\\') i++;
                else if (c == quote) quote = 0;
                continue;
            }
            switch (c) {
                case '\'', '"' -> { quote = c; continue; }
                case '(', '[', '{' -> { depth++; continue; }
                case ')', ']', '}' -> { if (depth-- == 0) return i; continue; }
                case ',' -> { if (depth == 0) return i; continue; }
                default -> { }
            }
            if (keywordStops && depth == 0 && (i == 0 || !Character.isLetterOrDigit(s.charAt(i - 1)) && s.charAt(i - 1) != '_')) {
                Matcher w = WORD.matcher(s).region(i, s.length());
                if (w.lookingAt()) {
                    if (ENDS_NOT_OPERAND.contains(w.group())) return i;
                    i = w.end() - 1;
                }
            }
        }
        return s.length();
    }

    private static String reverseSlices(String body) {
        int at;
        while ((at = indexOutsideStrings(body, "[::-1]")) >= 0) {
            int start = primaryStart(body, at);
            body = body.substring(0, start) + "(" + body.substring(start, at) + "|reverse)" + body.substring(at + 6);
        }
        return body;
    }

    /** Start of the primary expression that ends just before {@code end} (names, dots, calls, subscripts). */
    private static int primaryStart(String s, int end) {
        int i = end;
        while (i > 0) {
            char c = s.charAt(i - 1);
            if (c == ')' || c == ']') {
                char open = c == ')' ? '(' : '[';
                int depth = 0;
                do {
                    char d = s.charAt(--i);
                    if (d == c) depth++;
                    else if (d == open) depth--;
                } while (depth > 0 && i > 0);
            } else if (Character.isLetterOrDigit(c) || c == '_' || c == '.') {
                i--;
            } else {
                break;
            }
        }
        return i;
    }

    private static int indexOutsideStrings(String s, String needle) {
        char quote = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (quote != 0) {
                if (c == '\\') i++;
                else if (c == quote) quote = 0;
            } else if (c == '\'' || c == '"') {
                quote = c;
            } else if (s.startsWith(needle, i)) {
                return i;
            }
        }
        return -1;
    }

    private static final Pattern KEYWORD = Pattern.compile("\\s*[A-Za-z_]\\w*\\s*=(?!=)");

    /** Wraps the value of every {@code name=value} argument inside parentheses in parentheses. */
    private static String keywordArguments(String body) {
        TreeMap<Integer, String> inserts = new TreeMap<>();
        List<Character> stack = new ArrayList<>();
        char quote = 0;
        for (int i = 0; i < body.length(); i++) {
            char c = body.charAt(i);
            if (quote != 0) {
                if (c == '\\') i++;
                else if (c == quote) quote = 0;
                continue;
            }
            switch (c) {
                case '\'', '"' -> quote = c;
                case '(', '[', '{' -> stack.add(c);
                case ')', ']', '}' -> { if (!stack.isEmpty()) stack.removeLast(); }
                default -> { }
            }
            boolean argumentStart = (c == '(' || c == ',') && !stack.isEmpty() && stack.getLast() == '(';
            if (!argumentStart) continue;
            Matcher m = KEYWORD.matcher(body).region(i + 1, body.length());
            if (!m.lookingAt()) continue;
            int valueStart = m.end();
            int valueEnd = argumentEnd(body, valueStart);
            while (valueEnd > valueStart && Character.isWhitespace(body.charAt(valueEnd - 1))) valueEnd--;
            inserts.merge(valueStart, "(", String::concat);
            inserts.merge(valueEnd, ")", (a, b) -> b + a);
        }
        return applyInserts(body, inserts);
    }

    /** End of an argument: the next ',' or ')' at its own nesting depth (no keyword stops). */
    private static int argumentEnd(String s, int from) {
        return scanEnd(s, from, false);
    }

    /** Inserts text at the given offsets, highest offset first so earlier offsets stay valid. */
    private static String applyInserts(String body, java.util.NavigableMap<Integer, String> inserts) {
        if (inserts.isEmpty()) return body;
        StringBuilder out = new StringBuilder(body);
        for (var e : inserts.descendingMap().entrySet()) out.insert(e.getKey().intValue(), e.getValue());
        return out.toString();
    }

    /** A filter ({@code x|name}) or test ({@code x is name}) named in a template, with its 1-based line. */
    record NameUse(String name, boolean filter, int line) {}

    private static final Pattern TAG = Pattern.compile("\\{\\{.*?\\}\\}|\\{%.*?%\\}", Pattern.DOTALL);
    private static final Pattern STRING = Pattern.compile("'(?:\\\\.|[^'\\\\])*'|\"(?:\\\\.|[^\"\\\\])*\"");
    private static final Pattern FILTER = Pattern.compile("\\|\\s*([A-Za-z_]\\w*)");
    private static final Pattern TEST = Pattern.compile("\\bis\\s+(?:not\\s+)?([A-Za-z_]\\w*)");

    /** Every filter and test name used inside {@code {{ }}} and {@code {% %}} (string literals skipped). */
    static List<NameUse> filtersAndTests(String source) {
        List<NameUse> uses = new ArrayList<>();
        Matcher tag = TAG.matcher(source);
        while (tag.find()) {
            String body = STRING.matcher(tag.group()).replaceAll("''");
            int line = 1 + (int) source.substring(0, tag.start()).chars().filter(c -> c == '\n').count();
            Matcher f = FILTER.matcher(body);
            while (f.find()) uses.add(new NameUse(f.group(1), true, line));
            Matcher t = TEST.matcher(body);
            while (t.find()) uses.add(new NameUse(t.group(1), false, line));
        }
        return uses;
    }
}

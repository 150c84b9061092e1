package dev.jllm.grammar;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.BinaryOperator;

/**
 * A JSON Schema {@code pattern} (an anchored regular expression) → a GBNF rule for the JSON string,
 * llama.cpp's _pattern_to_rule: mostly a 1:1 translation (GBNF is close to regex syntax), with
 * {@code {m,n}} quantifiers expanded through sub-rules. llama.cpp falls back to "any string" for
 * what it cannot translate; here that is an error naming the construct (lookarounds, backreferences,
 * unanchored patterns, escapes like \d inside brackets), because the output would not be guaranteed
 * to match.
 */
final class SchemaPattern {
    private static final int MAX_DEPTH = 100;
    private static final Set<Character> NON_LITERAL = Set.of('|', '.', '(', ')', '[', ']', '{', '}', '*', '+', '?', '^', '$');
    private static final Set<Character> ESCAPED_IN_REGEX_NOT_LITERAL = Set.of('^', '$', '.', '[', ']', '(', ')', '|', '{', '}', '*', '+', '?');

    private record Piece(String text, boolean literal) {}

    private final String p;
    private final String name;
    private final BinaryOperator<String> addRule; // (name, rule) -> final rule name
    private final Map<String, String> subRuleIds = new HashMap<>();
    private int i;
    private int depth;

    private SchemaPattern(String p, String name, BinaryOperator<String> addRule) {
        this.p = p;
        this.name = name;
        this.addRule = addRule;
    }

    static String toRule(String pattern, String name, BinaryOperator<String> addRule) {
        if (pattern.length() < 2 || pattern.charAt(0) != '^' || pattern.charAt(pattern.length() - 1) != '$') {
            throw unsupported(pattern, "it must be anchored with '^' at the start and '$' at the end");
        }
        SchemaPattern sp = new SchemaPattern(pattern.substring(1, pattern.length() - 1), name, addRule);
        String rule;
        try {
            rule = toRule(sp.transform());
        } catch (IllegalStateException e) {
            throw unsupported(pattern, e.getMessage());
        }
        if (sp.depth != 0) throw unsupported(pattern, "unbalanced parentheses");
        return addRule.apply(name, "\"\\\"\" (" + rule + ") \"\\\"\"");
    }

    private static GrammarException unsupported(String pattern, String why) {
        return new GrammarException("pattern \"" + pattern + "\" cannot be compiled: " + why);
    }

    private static String toRule(Piece s) {
        return s.literal ? "\"" + s.text + "\"" : s.text;
    }

    private Piece transform() {
        List<Piece> seq = new ArrayList<>();
        int length = p.length();
        while (i < length) {
            char c = p.charAt(i);
            if (c == '.') {
                seq.add(new Piece(addRule.apply("dot", "[^\\x0A\\x0D]"), false));
                i++;
            } else if (c == '(') {
                i++;
                if (i < length && p.charAt(i) == '?') {
                    if (i + 1 < length && p.charAt(i + 1) == ':') i += 2;
                    else throw new IllegalStateException("lookarounds, named groups and inline flags are not supported");
                }
                if (++depth > MAX_DEPTH) throw new IllegalStateException("nesting deeper than " + MAX_DEPTH);
                seq.add(new Piece("(" + toRule(transform()) + ")", false));
            } else if (c == ')') {
                i++;
                if (depth == 0) throw new IllegalStateException("unbalanced parentheses");
                depth--;
                return join(seq);
            } else if (c == '^' || c == '$') {
                throw new IllegalStateException("anchors inside the pattern are not supported");
            } else if (c == '[') {
                StringBuilder sq = new StringBuilder("[");
                i++;
                while (i < length && p.charAt(i) != ']') {
                    if (p.charAt(i) == '\\') {
                        int n = escapeLength(i);
                        if (n == 0) throw new IllegalStateException("unsupported escape in a character class: " + p.substring(i, Math.min(length, i + 2)));
                        sq.append(p, i, i + n);
                        i += n;
                    } else {
                        sq.append(p.charAt(i++));
                    }
                }
                if (i >= length) throw new IllegalStateException("unterminated character class");
                sq.append(']');
                i++;
                seq.add(new Piece(sq.toString(), false));
            } else if (c == '|') {
                seq.add(new Piece("|", false));
                i++;
            } else if (c == '*' || c == '+' || c == '?') {
                if (seq.isEmpty()) throw new IllegalStateException("nothing to repeat before '" + c + "'");
                seq.set(seq.size() - 1, new Piece(toRule(seq.getLast()) + c, false));
                i++;
            } else if (c == '{') {
                int start = i;
                i++;
                while (i < length && p.charAt(i) != '}') i++;
                if (i >= length) throw new IllegalStateException("unterminated '{'");
                String inner = p.substring(start + 1, i);
                i++;
                String[] nums = inner.split(",", -1);
                int min, max;
                try {
                    if (nums.length == 1) {
                        min = max = Integer.parseInt(nums[0].trim());
                    } else if (nums.length == 2) {
                        min = nums[0].isBlank() ? 0 : Integer.parseInt(nums[0].trim());
                        max = nums[1].isBlank() ? -1 : Integer.parseInt(nums[1].trim());
                    } else {
                        throw new IllegalStateException("wrong number of values in {" + inner + "}");
                    }
                } catch (NumberFormatException e) {
                    throw new IllegalStateException("invalid number in {" + inner + "}");
                }
                if (seq.isEmpty()) throw new IllegalStateException("nothing to repeat before '{'");
                Piece last = seq.getLast();
                String sub = last.text;
                if (!last.literal) {
                    String id = subRuleIds.get(sub);
                    if (id == null) {
                        id = addRule.apply(name + "-" + (subRuleIds.size() + 1), sub);
                        subRuleIds.put(sub, id);
                    }
                    sub = id;
                }
                seq.set(seq.size() - 1, new Piece(SchemaRules.repetition(last.literal ? "\"" + sub + "\"" : sub, min, max, ""), false));
            } else {
                StringBuilder lit = new StringBuilder();
                while (i < length) {
                    char x = p.charAt(i);
                    if (x == '\\') {
                        if (i == length - 1) throw new IllegalStateException("trailing backslash");
                        char next = p.charAt(i + 1);
                        if (ESCAPED_IN_REGEX_NOT_LITERAL.contains(next)) {
                            lit.append(next);
                            i += 2;
                        } else {
                            int n = escapeLength(i);
                            if (n == 0) throw new IllegalStateException("unsupported escape " + p.substring(i, i + 2) + " (write a class such as [0-9])");
                            lit.append(p, i, i + n);
                            i += n;
                        }
                    } else if (x == '"') {
                        lit.append("\\\"");
                        i++;
                    } else if (!NON_LITERAL.contains(x)
                            && (i == length - 1 || lit.isEmpty() || p.charAt(i + 1) == '.' || !NON_LITERAL.contains(p.charAt(i + 1)))) {
                        lit.append(x);
                        i++;
                    } else {
                        break;
                    }
                }
                if (lit.isEmpty()) throw new IllegalStateException("unsupported character '" + c + "'");
                seq.add(new Piece(lit.toString(), true));
            }
        }
        return join(seq);
    }

    /** Joins a sequence, merging consecutive literals. */
    private static Piece join(List<Piece> seq) {
        List<String> out = new ArrayList<>();
        StringBuilder lit = new StringBuilder();
        for (Piece item : seq) {
            if (item.literal) {
                lit.append(item.text);
            } else {
                if (!lit.isEmpty()) {
                    out.add("\"" + lit + "\"");
                    lit.setLength(0);
                }
                out.add(item.text);
            }
        }
        if (!lit.isEmpty()) out.add("\"" + lit + "\"");
        return new Piece(String.join(" ", out), false);
    }

    /** Length of a GBNF-compatible escape at {@code pos} (x, u, U with 2/4/8 hex digits; t r n and escaped quote, backslash, brackets), 0 if not one. */
    private int escapeLength(int pos) {
        if (pos + 1 >= p.length() || p.charAt(pos) != '\\') return 0;
        int hex = switch (p.charAt(pos + 1)) {
            case 'x' -> 2;
            case 'u' -> 4;
            case 'U' -> 8;
            case 't', 'r', 'n', '\\', '"', '[', ']' -> -1;
            default -> 0;
        };
        if (hex == -1) return 2;
        if (hex == 0 || pos + 2 + hex > p.length()) return 0;
        for (int k = pos + 2; k < pos + 2 + hex; k++) if (Character.digit(p.charAt(k), 16) < 0) return 0;
        return 2 + hex;
    }
}

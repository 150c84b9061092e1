package dev.jllm.grammar;

import java.util.List;
import java.util.Map;

/**
 * The fixed pieces of llama.cpp's json-schema-to-grammar: primitive and string-format rules, the
 * whitespace rule, repetition and integer-range builders, literal escaping and JSON text of
 * constants — ported so the generated GBNF is the same text llama.cpp produces.
 */
final class SchemaRules {
    private SchemaRules() {}

    record Builtin(String content, List<String> deps) {}

    /** Whitespace between tokens, bounded so a model cannot run away in it (llama.cpp's SPACE_RULE). */
    static final String SPACE_RULE = "| \" \" | \"\\n\"{1,2} [ \\t]{0,20}";

    static final Map<String, Builtin> PRIMITIVES = Map.ofEntries(
            Map.entry("boolean", new Builtin("(\"true\" | \"false\")", List.of())),
            Map.entry("decimal-part", new Builtin("[0-9]{1,16}", List.of())),
            Map.entry("integral-part", new Builtin("[0] | [1-9] [0-9]{0,15}", List.of())),
            Map.entry("number", new Builtin("(\"-\"? integral-part) (\".\" decimal-part)? ([eE] [-+]? integral-part)?",
                    List.of("integral-part", "decimal-part"))),
            Map.entry("integer", new Builtin("(\"-\"? integral-part)", List.of("integral-part"))),
            Map.entry("value", new Builtin("object | array | string | number | boolean | null",
                    List.of("object", "array", "string", "number", "boolean", "null"))),
            Map.entry("object", new Builtin("\"{\" space ( string \":\" space value (\",\" space string \":\" space value)* )? space \"}\"",
                    List.of("string", "value"))),
            Map.entry("array", new Builtin("\"[\" space ( value (\",\" space value)* )? space \"]\"", List.of("value"))),
            Map.entry("uuid", new Builtin("\"\\\"\" [0-9a-fA-F]{8} \"-\" [0-9a-fA-F]{4} \"-\" [0-9a-fA-F]{4} \"-\" [0-9a-fA-F]{4} \"-\" [0-9a-fA-F]{12} \"\\\"\"",
                    List.of())),
            Map.entry("char", new Builtin("[^\"\\\\\\x7F\\x00-\\x1F] | [\\\\] ([\"\\\\bfnrt] | \"u\" [0-9a-fA-F]{4})", List.of())),
            Map.entry("string", new Builtin("\"\\\"\" char* \"\\\"\"", List.of("char"))),
            Map.entry("null", new Builtin("\"null\"", List.of())));

    static final Map<String, Builtin> STRING_FORMATS = Map.ofEntries(
            Map.entry("date", new Builtin("[0-9]{4} \"-\" ( \"0\" [1-9] | \"1\" [0-2] ) \"-\" ( \"0\" [1-9] | [1-2] [0-9] | \"3\" [0-1] )", List.of())),
            Map.entry("time", new Builtin("([01] [0-9] | \"2\" [0-3]) \":\" [0-5] [0-9] \":\" [0-5] [0-9] ( \".\" [0-9]{3} )? ( \"Z\" | ( \"+\" | \"-\" ) ( [01] [0-9] | \"2\" [0-3] ) \":\" [0-5] [0-9] )",
                    List.of())),
            Map.entry("date-time", new Builtin("date \"T\" time", List.of("date", "time"))),
            Map.entry("date-string", new Builtin("\"\\\"\" date \"\\\"\"", List.of("date"))),
            Map.entry("time-string", new Builtin("\"\\\"\" time \"\\\"\"", List.of("time"))),
            Map.entry("date-time-string", new Builtin("\"\\\"\" date-time \"\\\"\"", List.of("date-time"))));

    static boolean isReserved(String name) {
        return name.equals("root") || PRIMITIVES.containsKey(name) || STRING_FORMATS.containsKey(name);
    }

    /** A GBNF literal: {@code "..."} with \r \n " \ escaped. */
    static String literal(String s) {
        StringBuilder b = new StringBuilder(s.length() + 2).append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '\r' -> b.append("\\r");
                case '\n' -> b.append("\\n");
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                default -> b.append(c);
            }
        }
        return b.append('"').toString();
    }

    /** {@code item} repeated min..max times (max &lt; 0: unbounded), with an optional separator between items. */
    static String repetition(String item, int min, int max, String separator) {
        boolean hasMax = max >= 0;
        if (max == 0) return "";
        if (min == 0 && max == 1) return item + "?";
        if (separator.isEmpty()) {
            if (min == 1 && !hasMax) return item + "+";
            if (min == 0 && !hasMax) return item + "*";
            return item + "{" + min + "," + (hasMax ? Integer.toString(max) : "") + "}";
        }
        String result = item + " " + repetition("(" + separator + " " + item + ")", min == 0 ? 0 : min - 1, hasMax ? max - 1 : max, "");
        return min == 0 ? "(" + result + ")?" : result;
    }

    /** Appends a GBNF fragment matching the integers in [min, max] (null = unbounded), llama.cpp's build_min_max_int. */
    static void intRange(Long min, Long max, StringBuilder out, int decimalsLeft, boolean topLevel) {
        if (min != null && max != null) {
            long lo = min, hi = max;
            if (lo < 0 && hi < 0) {
                out.append("\"-\" (");
                intRange(-hi, -lo, out, decimalsLeft, true);
                out.append(")");
                return;
            }
            if (lo < 0) {
                out.append("\"-\" (");
                intRange(0L, -lo, out, decimalsLeft, true);
                out.append(") | ");
                lo = 0;
            }
            String minS = Long.toString(lo), maxS = Long.toString(hi);
            for (int digits = minS.length(); digits < maxS.length(); digits++) {
                uniformRange(minS, "9".repeat(digits), out);
                minS = "1" + "0".repeat(digits);
                out.append(" | ");
            }
            uniformRange(minS, maxS, out);
            return;
        }
        int lessDecimals = Math.max(decimalsLeft - 1, 1);
        if (min != null) {
            long lo = min;
            if (lo < 0) {
                out.append("\"-\" (");
                intRange(null, -lo, out, decimalsLeft, false);
                out.append(") | [0] | [1-9] ");
                moreDigits(0, decimalsLeft - 1, out);
            } else if (lo == 0) {
                if (topLevel) {
                    out.append("[0] | [1-9] ");
                    moreDigits(0, lessDecimals, out);
                } else {
                    moreDigits(1, decimalsLeft, out);
                }
            } else if (lo <= 9) {
                char c = (char) ('0' + lo);
                char rangeStart = topLevel ? '1' : '0';
                if (c > rangeStart) {
                    digitRange(rangeStart, (char) (c - 1), out);
                    out.append(" ");
                    moreDigits(1, lessDecimals, out);
                    out.append(" | ");
                }
                digitRange(c, '9', out);
                out.append(" ");
                moreDigits(0, lessDecimals, out);
            } else {
                String minS = Long.toString(lo);
                int len = minS.length();
                char c = minS.charAt(0);
                if (c > '1') {
                    digitRange(topLevel ? '1' : '0', (char) (c - 1), out);
                    out.append(" ");
                    moreDigits(len, lessDecimals, out);
                    out.append(" | ");
                }
                digitRange(c, c, out);
                out.append(" (");
                intRange(Long.parseLong(minS.substring(1)), null, out, lessDecimals, false);
                out.append(")");
                if (c < '9') {
                    out.append(" | ");
                    digitRange((char) (c + 1), '9', out);
                    out.append(" ");
                    moreDigits(len - 1, lessDecimals, out);
                }
            }
            return;
        }
        if (max != null) {
            long hi = max;
            if (hi >= 0) {
                if (topLevel) {
                    out.append("\"-\" [1-9] ");
                    moreDigits(0, lessDecimals, out);
                    out.append(" | ");
                }
                intRange(0L, hi, out, decimalsLeft, true);
            } else {
                out.append("\"-\" (");
                intRange(-hi, null, out, decimalsLeft, false);
                out.append(")");
            }
            return;
        }
        throw new IllegalArgumentException("at least one of min or max must be set");
    }

    private static void digitRange(char from, char to, StringBuilder out) {
        out.append('[');
        if (from == to) out.append(from);
        else out.append(from).append('-').append(to);
        out.append(']');
    }

    private static void moreDigits(int minDigits, int maxDigits, StringBuilder out) {
        out.append("[0-9]");
        if (minDigits == maxDigits && minDigits == 1) return;
        out.append('{').append(minDigits);
        if (maxDigits != minDigits) {
            out.append(',');
            if (maxDigits != Integer.MAX_VALUE) out.append(maxDigits);
        }
        out.append('}');
    }

    private static void uniformRange(String from, String to, StringBuilder out) {
        int i = 0;
        while (i < from.length() && i < to.length() && from.charAt(i) == to.charAt(i)) i++;
        if (i > 0) out.append('"').append(from, 0, i).append('"');
        if (i < from.length() && i < to.length()) {
            if (i > 0) out.append(' ');
            int subLen = from.length() - i - 1;
            if (subLen > 0) {
                String fromSub = from.substring(i + 1), toSub = to.substring(i + 1);
                String zeros = "0".repeat(subLen), nines = "9".repeat(subLen);
                boolean toReached = false;
                out.append('(');
                if (fromSub.equals(zeros)) {
                    digitRange(from.charAt(i), (char) (to.charAt(i) - 1), out);
                    out.append(' ');
                    moreDigits(subLen, subLen, out);
                } else {
                    out.append('[').append(from.charAt(i)).append("] (");
                    uniformRange(fromSub, nines, out);
                    out.append(')');
                    if (from.charAt(i) < to.charAt(i) - 1) {
                        out.append(" | ");
                        if (toSub.equals(nines)) {
                            digitRange((char) (from.charAt(i) + 1), to.charAt(i), out);
                            toReached = true;
                        } else {
                            digitRange((char) (from.charAt(i) + 1), (char) (to.charAt(i) - 1), out);
                        }
                        out.append(' ');
                        moreDigits(subLen, subLen, out);
                    }
                }
                if (!toReached) {
                    out.append(" | ");
                    digitRange(to.charAt(i), to.charAt(i), out);
                    out.append(' ');
                    uniformRange(zeros, toSub, out);
                }
                out.append(')');
            } else {
                out.append('[').append(from.charAt(i)).append('-').append(to.charAt(i)).append(']');
            }
        }
    }
}

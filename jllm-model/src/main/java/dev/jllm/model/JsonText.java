package dev.jllm.model;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The JSON that {@link Safetensors} headers and PEFT's {@code adapter_config.json} need, without a
 * JSON library (jllm-model has no third-party dependency and may not use jllm-tokenizer's reader):
 * a strict RFC 8259 reader, and two writers that reproduce byte for byte what the other side writes —
 * serde_json's compact form (the Rust safetensors crate's header) and Python's
 * {@code json.dumps(obj, indent=2, sort_keys=True)} (PEFT's {@code PeftConfigMixin.save_pretrained}).
 *
 * <p>Values: objects are {@code LinkedHashMap<String, Object>} (order kept, duplicate keys refused —
 * the safetensors spec forbids them), arrays {@code List<Object>}, numbers {@link BigDecimal} (the
 * exact text, so a float32 written as its shortest decimal reads back to the same float), strings,
 * booleans and {@code null}.
 */
final class JsonText {
    private static final int MAX_DEPTH = 64;

    private final String s;
    private final String source;
    private int pos;
    private int depth;

    private JsonText(String s, String source) {
        this.s = s;
        this.source = source;
    }

    /** A JSON syntax error; the message names the source, line and column. */
    static final class SyntaxException extends Exception {
        SyntaxException(String message) {
            super(message);
        }
    }

    /** Parses a whole document (trailing whitespace allowed); {@code source} names it in errors. */
    static Object parse(String text, String source) throws SyntaxException {
        JsonText p = new JsonText(text, source);
        p.ws();
        Object v = p.value();
        p.ws();
        if (p.pos != text.length()) throw p.error("expected the end of the document");
        return v;
    }

    private void ws() {
        while (pos < s.length()) {
            char c = s.charAt(pos);
            if (c != ' ' && c != '\t' && c != '\n' && c != '\r') return;
            pos++;
        }
    }

    private Object value() throws SyntaxException {
        if (pos >= s.length()) throw error("expected a value");
        char c = s.charAt(pos);
        return switch (c) {
            case '{' -> object();
            case '[' -> array();
            case '"' -> string();
            case 't' -> literal("true", Boolean.TRUE);
            case 'f' -> literal("false", Boolean.FALSE);
            case 'n' -> literal("null", null);
            default -> {
                if (c == '-' || (c >= '0' && c <= '9')) yield number();
                throw error("expected a value");
            }
        };
    }

    private Map<String, Object> object() throws SyntaxException {
        if (++depth > MAX_DEPTH) throw error("nesting deeper than " + MAX_DEPTH);
        pos++;
        Map<String, Object> m = new LinkedHashMap<>();
        ws();
        if (peek() == '}') {
            pos++;
            depth--;
            return m;
        }
        while (true) {
            ws();
            if (peek() != '"') throw error("expected a string key");
            int at = pos;
            String k = string();
            ws();
            if (peek() != ':') throw error("expected ':'");
            pos++;
            ws();
            Object v = value();
            if (m.containsKey(k)) {
                pos = at;
                throw error("duplicate key '" + k + "'");
            }
            m.put(k, v);
            ws();
            char c = peek();
            pos++;
            if (c == '}') break;
            if (c != ',') {
                pos--;
                throw error("expected ',' or '}'");
            }
        }
        depth--;
        return m;
    }

    private List<Object> array() throws SyntaxException {
        if (++depth > MAX_DEPTH) throw error("nesting deeper than " + MAX_DEPTH);
        pos++;
        List<Object> a = new ArrayList<>();
        ws();
        if (peek() == ']') {
            pos++;
            depth--;
            return a;
        }
        while (true) {
            ws();
            a.add(value());
            ws();
            char c = peek();
            pos++;
            if (c == ']') break;
            if (c != ',') {
                pos--;
                throw error("expected ',' or ']'");
            }
        }
        depth--;
        return a;
    }

    private String string() throws SyntaxException {
        pos++;
        StringBuilder b = new StringBuilder();
        while (true) {
            if (pos >= s.length()) throw error("unterminated string");
            char c = s.charAt(pos++);
            if (c == '"') return b.toString();
            if (c < 0x20) {
                pos--;
                throw error("control character U+" + String.format("%04X", (int) c) + " in a string");
            }
            if (c != '\\') {
                b.append(c);
                continue;
            }
            if (pos >= s.length()) throw error("unterminated string");
            char e = s.charAt(pos++);
            switch (e) {
                case '"' -> b.append('"');
                case '\\' -> b.append('\\');
                case '/' -> b.append('/');
                case 'b' -> b.append('\b');
                case 'f' -> b.append('\f');
                case 'n' -> b.append('\n');
                case 'r' -> b.append('\r');
                case 't' -> b.append('\t');
                case 'u' -> {
                    if (pos + 4 > s.length()) throw error("truncated \\u escape");
                    int cp = 0;
                    for (int i = 0; i < 4; i++) {
                        int d = Character.digit(s.charAt(pos + i), 16);
                        if (d < 0) throw error("bad \\u escape");
                        cp = cp * 16 + d;
                    }
                    pos += 4;
                    b.append((char) cp);
                }
                default -> {
                    pos -= 2;
                    throw error("bad escape '\\" + e + "'");
                }
            }
        }
    }

    private BigDecimal number() throws SyntaxException {
        int start = pos;
        if (peek() == '-') pos++;
        if (peek() == '0') pos++;
        else if (Character.isDigit(peek())) {
            while (Character.isDigit(peek())) pos++;
        } else throw error("bad number");
        if (peek() == '.') {
            pos++;
            if (!Character.isDigit(peek())) throw error("bad number: a digit must follow '.'");
            while (Character.isDigit(peek())) pos++;
        }
        if (peek() == 'e' || peek() == 'E') {
            pos++;
            if (peek() == '+' || peek() == '-') pos++;
            if (!Character.isDigit(peek())) throw error("bad number: a digit must follow the exponent");
            while (Character.isDigit(peek())) pos++;
        }
        return new BigDecimal(s.substring(start, pos));
    }

    private Object literal(String word, Object v) throws SyntaxException {
        if (!s.startsWith(word, pos)) throw error("expected a value");
        pos += word.length();
        return v;
    }

    private char peek() {
        return pos < s.length() ? s.charAt(pos) : '\0';
    }

    private SyntaxException error(String what) {
        int line = 1, col = 1;
        for (int i = 0; i < Math.min(pos, s.length()); i++) {
            if (s.charAt(i) == '\n') {
                line++;
                col = 1;
            } else col++;
        }
        String found = pos >= s.length() ? "the end of the text" : "'" + s.charAt(pos) + "'";
        return new SyntaxException(source + ": JSON syntax error at line " + line + ", column " + col + ": " + what + " but found " + found);
    }

    // ---------------------------------------------------------------- writers

    /**
     * serde_json's {@code to_string}: no whitespace, keys in map order, strings with {@code \" \\ \b \f
     * \n \r \t} and other control characters as lowercase {@code \\u00xx}, everything else (non-ASCII
     * included) raw. Numbers: integers only (header offsets and shapes).
     */
    static String compact(Object v) {
        StringBuilder b = new StringBuilder();
        compact(v, b);
        return b.toString();
    }

    private static void compact(Object v, StringBuilder b) {
        switch (v) {
            case null -> b.append("null");
            case Map<?, ?> m -> {
                b.append('{');
                boolean first = true;
                for (var e : m.entrySet()) {
                    if (!first) b.append(',');
                    first = false;
                    quote((String) e.getKey(), false, b);
                    b.append(':');
                    compact(e.getValue(), b);
                }
                b.append('}');
            }
            case List<?> l -> {
                b.append('[');
                for (int i = 0; i < l.size(); i++) {
                    if (i > 0) b.append(',');
                    compact(l.get(i), b);
                }
                b.append(']');
            }
            case long[] a -> {
                b.append('[');
                for (int i = 0; i < a.length; i++) {
                    if (i > 0) b.append(',');
                    b.append(a[i]);
                }
                b.append(']');
            }
            case String str -> quote(str, false, b);
            case Boolean x -> b.append(x);
            case Integer x -> b.append(x);
            case Long x -> b.append(x);
            default -> throw new IllegalArgumentException("compact JSON of " + v.getClass().getSimpleName());
        }
    }

    /**
     * Python's {@code json.dumps(v, indent=2, sort_keys=True)} (defaults otherwise: ensure_ascii,
     * separators {@code (",", ": ")} with an indent): empty containers as {@code {}} / {@code []}, keys
     * sorted by code point, non-ASCII as lowercase {@code \\uxxxx}, {@link Double}/{@link Float} as
     * Python's {@code repr} ({@link #pyFloat}). No trailing newline.
     */
    static String pythonDumps(Object v) {
        StringBuilder b = new StringBuilder();
        py(v, 0, b);
        return b.toString();
    }

    private static void py(Object v, int level, StringBuilder b) {
        switch (v) {
            case null -> b.append("null");
            case Map<?, ?> m -> {
                if (m.isEmpty()) {
                    b.append("{}");
                    return;
                }
                // sort_keys sorts str keys by code point; TreeMap's String order is by UTF-16 unit, the same for BMP keys
                Map<String, Object> sorted = new TreeMap<>();
                for (var e : m.entrySet()) sorted.put((String) e.getKey(), e.getValue());
                b.append('{');
                boolean first = true;
                for (var e : sorted.entrySet()) {
                    if (!first) b.append(',');
                    first = false;
                    newline(level + 1, b);
                    quote(e.getKey(), true, b);
                    b.append(": ");
                    py(e.getValue(), level + 1, b);
                }
                newline(level, b);
                b.append('}');
            }
            case List<?> l -> {
                if (l.isEmpty()) {
                    b.append("[]");
                    return;
                }
                b.append('[');
                for (int i = 0; i < l.size(); i++) {
                    if (i > 0) b.append(',');
                    newline(level + 1, b);
                    py(l.get(i), level + 1, b);
                }
                newline(level, b);
                b.append(']');
            }
            case String str -> quote(str, true, b);
            case Boolean x -> b.append(x ? "true" : "false");
            case Integer x -> b.append(x);
            case Long x -> b.append(x);
            case Double x -> b.append(pyFloat(x));
            case Float x -> b.append(pyFloat(x));
            default -> throw new IllegalArgumentException("Python JSON of " + v.getClass().getSimpleName());
        }
    }

    private static void newline(int level, StringBuilder b) {
        b.append('\n');
        b.append(" ".repeat(2 * level));
    }

    private static void quote(String str, boolean asciiOnly, StringBuilder b) {
        b.append('"');
        for (int i = 0; i < str.length(); i++) {
            char c = str.charAt(i);
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\b' -> b.append("\\b");
                case '\f' -> b.append("\\f");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                default -> {
                    if (c < 0x20 || (asciiOnly && c > 0x7e)) b.append(String.format("\\u%04x", (int) c));
                    else b.append(c);
                }
            }
        }
        b.append('"');
    }

    /**
     * Python's {@code repr(float)}: the shortest decimal that reads back to the same double (Java's
     * {@link Double#toString} picks the same digits since JDK 19), written positionally with at least
     * one digit after the point when 1e-4 ≤ |x| < 1e16, else as {@code d[.ddd]e±XX}; {@code NaN} and
     * {@code Infinity} as json.dumps writes them.
     */
    static String pyFloat(double x) {
        if (Double.isNaN(x)) return "NaN";
        if (Double.isInfinite(x)) return x > 0 ? "Infinity" : "-Infinity";
        if (x == 0) return (1 / x < 0) ? "-0.0" : "0.0";
        return pyDigits(new BigDecimal(Double.toString(x)));
    }

    /** As {@link #pyFloat(double)} for the double a Python program gets from this float's shortest decimal. */
    static String pyFloat(float x) {
        if (Float.isNaN(x) || Float.isInfinite(x) || x == 0) return pyFloat((double) x);
        return pyDigits(new BigDecimal(Float.toString(x)));
    }

    private static String pyDigits(BigDecimal d) {
        d = d.stripTrailingZeros();
        String sign = d.signum() < 0 ? "-" : "";
        String digits = d.unscaledValue().abs().toString();
        int exp10 = digits.length() - 1 - d.scale(); // value = 0.digits × 10^(exp10+1) = d.ddd × 10^exp10
        if (exp10 < -4 || exp10 >= 16) {
            String mant = digits.length() == 1 ? digits : digits.charAt(0) + "." + digits.substring(1);
            return sign + mant + "e" + (exp10 < 0 ? "-" : "+") + (Math.abs(exp10) < 10 ? "0" : "") + Math.abs(exp10);
        }
        String out;
        if (exp10 < 0) out = "0." + "0".repeat(-exp10 - 1) + digits;
        else if (digits.length() <= exp10 + 1) out = digits + "0".repeat(exp10 + 1 - digits.length()) + ".0";
        else out = digits.substring(0, exp10 + 1) + "." + digits.substring(exp10 + 1);
        return sign + out;
    }
}

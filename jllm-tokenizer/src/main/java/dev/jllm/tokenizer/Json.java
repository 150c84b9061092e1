package dev.jllm.tokenizer;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A small strict JSON reader (RFC 8259) for tokenizer files, so the module needs no JSON library.
 * Objects become {@code LinkedHashMap<String,Object>} (key order kept, duplicate keys rejected),
 * arrays {@code ArrayList<Object>}, numbers {@code Long} when integral and in range else
 * {@code Double}, plus {@code String}, {@code Boolean} and {@code null}.
 *
 * <p>Example: {@code Json.parse("{\"a\": [1, 2.5, \"x\"]}", "t.json")} → {@code {a=[1, 2.5, x]}};
 * {@code Json.parse("[1,]", "t.json")} throws
 * {@code t.json: JSON syntax error at line 1, column 4: expected a value but found ']'}.
 */
public final class Json {
    private static final int MAX_DEPTH = 512;

    private final String s;
    private final String source;
    private int pos;
    private int depth;

    private Json(String s, String source) {
        this.s = s;
        this.source = source;
    }

    /** Parses a whole document; {@code source} names the file in error messages. */
    public static Object parse(String text, String source) throws TokenizerFormatException {
        Json p = new Json(text, source);
        p.skipWs();
        if (p.pos < text.length() && text.charAt(p.pos) == '\uFEFF') p.pos++; // tolerate a BOM
        p.skipWs();
        Object v = p.value();
        p.skipWs();
        if (p.pos != text.length()) throw p.error("expected end of input");
        return v;
    }

    private Object value() throws TokenizerFormatException {
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

    private Map<String, Object> object() throws TokenizerFormatException {
        enter();
        pos++;
        Map<String, Object> m = new LinkedHashMap<>();
        skipWs();
        if (peek() == '}') {
            pos++;
            depth--;
            return m;
        }
        while (true) {
            skipWs();
            if (peek() != '"') throw error("expected a string key");
            int keyAt = pos;
            String k = string();
            skipWs();
            expect(':');
            skipWs();
            if (m.containsKey(k)) {
                pos = keyAt;
                throw error("duplicate key \"" + k + "\"");
            }
            m.put(k, value());
            skipWs();
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

    private List<Object> array() throws TokenizerFormatException {
        enter();
        pos++;
        List<Object> a = new ArrayList<>();
        skipWs();
        if (peek() == ']') {
            pos++;
            depth--;
            return a;
        }
        while (true) {
            skipWs();
            a.add(value());
            skipWs();
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

    private String string() throws TokenizerFormatException {
        pos++; // opening quote
        StringBuilder sb = null;
        int start = pos;
        while (true) {
            if (pos >= s.length()) throw error("unterminated string");
            char c = s.charAt(pos);
            if (c == '"') {
                String out = sb == null ? s.substring(start, pos) : sb.append(s, start, pos).toString();
                pos++;
                return out;
            }
            if (c < 0x20) throw error("control character U+" + String.format("%04X", (int) c) + " in string");
            if (c != '\\') {
                pos++;
                continue;
            }
            if (sb == null) sb = new StringBuilder();
            sb.append(s, start, pos);
            pos++;
            if (pos >= s.length()) throw error("unterminated escape");
            char e = s.charAt(pos++);
            switch (e) {
                case '"', '\\', '/' -> sb.append(e);
                case 'b' -> sb.append('\b');
                case 'f' -> sb.append('\f');
                case 'n' -> sb.append('\n');
                case 'r' -> sb.append('\r');
                case 't' -> sb.append('\t');
                case 'u' -> {
                    if (pos + 4 > s.length()) throw error("truncated \\u escape");
                    int v = 0;
                    for (int i = 0; i < 4; i++) {
                        int d = Character.digit(s.charAt(pos + i), 16);
                        if (d < 0) throw error("bad hex digit in \\u escape");
                        v = v * 16 + d;
                    }
                    pos += 4;
                    sb.append((char) v); // surrogate pairs arrive as two escapes and join naturally
                }
                default -> {
                    pos--;
                    throw error("invalid escape '\\" + e + "'");
                }
            }
            start = pos;
        }
    }

    private Object number() throws TokenizerFormatException {
        int start = pos;
        if (peek() == '-') pos++;
        if (peek() == '0') {
            pos++;
        } else if (peek() >= '1' && peek() <= '9') {
            while (peek() >= '0' && peek() <= '9') pos++;
        } else {
            throw error("expected a digit");
        }
        boolean integral = true;
        if (peek() == '.') {
            integral = false;
            pos++;
            if (!(peek() >= '0' && peek() <= '9')) throw error("expected a digit after '.'");
            while (peek() >= '0' && peek() <= '9') pos++;
        }
        if (peek() == 'e' || peek() == 'E') {
            integral = false;
            pos++;
            if (peek() == '+' || peek() == '-') pos++;
            if (!(peek() >= '0' && peek() <= '9')) throw error("expected a digit in exponent");
            while (peek() >= '0' && peek() <= '9') pos++;
        }
        String t = s.substring(start, pos);
        if (integral && t.length() <= 18) return Long.parseLong(t);
        return Double.parseDouble(t);
    }

    private Object literal(String word, Object v) throws TokenizerFormatException {
        if (!s.startsWith(word, pos)) throw error("expected a value");
        pos += word.length();
        return v;
    }

    private void enter() throws TokenizerFormatException {
        if (++depth > MAX_DEPTH) throw error("nesting deeper than " + MAX_DEPTH);
    }

    private void expect(char c) throws TokenizerFormatException {
        if (peek() != c) throw error("expected '" + c + "'");
        pos++;
    }

    private char peek() {
        return pos < s.length() ? s.charAt(pos) : '\0';
    }

    private void skipWs() {
        while (pos < s.length()) {
            char c = s.charAt(pos);
            if (c != ' ' && c != '\t' && c != '\n' && c != '\r') return;
            pos++;
        }
    }

    private TokenizerFormatException error(String what) {
        int line = 1;
        int col = 1;
        for (int i = 0; i < Math.min(pos, s.length()); i++) {
            if (s.charAt(i) == '\n') {
                line++;
                col = 1;
            } else {
                col++;
            }
        }
        String found = pos >= s.length() ? "end of input" : "'" + s.charAt(pos) + "'";
        return new TokenizerFormatException(source + ": JSON syntax error at line " + line + ", column " + col + ": " + what + " but found " + found);
    }
}

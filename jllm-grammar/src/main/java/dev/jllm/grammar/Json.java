package dev.jllm.grammar;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.List;
import java.util.Map;

/**
 * Compact JSON text of a schema value (maps, lists, strings, numbers, booleans, null), as
 * nlohmann::json's dump() writes it — the text llama.cpp puts in const/enum literals and property keys.
 */
final class Json {
    private Json() {}

    static String write(Object v) {
        StringBuilder b = new StringBuilder();
        write(v, b);
        return b.toString();
    }

    private static void write(Object v, StringBuilder b) {
        switch (v) {
            case null -> b.append("null");
            case String s -> string(s, b);
            case Boolean x -> b.append(x);
            case Integer x -> b.append(x);
            case Long x -> b.append(x);
            case Short x -> b.append(x);
            case BigInteger x -> b.append(x);
            case BigDecimal x -> number(x.doubleValue(), b);
            case Number x -> number(x.doubleValue(), b);
            case Map<?, ?> m -> {
                b.append('{');
                boolean first = true;
                for (Map.Entry<?, ?> e : m.entrySet()) {
                    if (!first) b.append(',');
                    first = false;
                    string(String.valueOf(e.getKey()), b);
                    b.append(':');
                    write(e.getValue(), b);
                }
                b.append('}');
            }
            case List<?> l -> {
                b.append('[');
                for (int i = 0; i < l.size(); i++) {
                    if (i > 0) b.append(',');
                    write(l.get(i), b);
                }
                b.append(']');
            }
            default -> throw new GrammarException("a schema value must be JSON (object, array, string, number, boolean, null), got "
                    + v.getClass().getSimpleName());
        }
    }

    private static void number(double d, StringBuilder b) {
        if (Double.isNaN(d) || Double.isInfinite(d)) {
            b.append("null");
            return;
        }
        String s = Double.toString(d);
        int e = s.indexOf('E');
        if (e >= 0) {
            String mant = s.substring(0, e);
            if (mant.endsWith(".0")) mant = mant.substring(0, mant.length() - 2);
            String exp = s.substring(e + 1);
            s = mant + "e" + (exp.startsWith("-") ? exp : "+" + exp);
        }
        b.append(s);
    }

    static void string(String s, StringBuilder b) {
        b.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\b' -> b.append("\\b");
                case '\f' -> b.append("\\f");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                default -> {
                    if (c < 0x20) b.append(String.format("\\u%04x", (int) c));
                    else b.append(c);
                }
            }
        }
        b.append('"');
    }
}

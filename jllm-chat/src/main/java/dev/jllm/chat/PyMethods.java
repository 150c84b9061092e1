package dev.jllm.chat;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * The Python methods chat templates call on strings and dicts ({@code content.startswith('<tool')},
 * {@code tool.items()}, {@code text.split('</think>')[-1].lstrip('\n')}), with Python's semantics.
 *
 * <p>This is an allow-list on purpose: templates come from model files, and Jinjava would otherwise
 * call any public Java method on any object. Only these names exist; everything else is "unknown".
 * None of them mutates anything, like Jinja's ImmutableSandboxedEnvironment that transformers uses.
 */
final class PyMethods {

    private PyMethods() {}

    /** A method's result; {@code value} may be null (Python's None). */
    record Found(Object value) {}

    /** Calls {@code base.name(args)}; empty if no such method exists for that kind of value. */
    static Optional<Found> call(Object base, String name, Object[] args) {
        base = PyValues.unwrap(base);
        Object[] a = args == null ? new Object[0] : args;
        for (int i = 0; i < a.length; i++) a[i] = PyValues.unwrap(a[i]);
        if (base instanceof String s) return string(s, name, a);
        if (base instanceof Map<?, ?> m) return dict(m, name, a);
        return Optional.empty();
    }

    private static Optional<Found> string(String s, String name, Object[] a) {
        Object r = switch (name) {
            case "startswith" -> anyAffix(a, 0, p -> s.startsWith(p));
            case "endswith" -> anyAffix(a, 0, p -> s.endsWith(p));
            case "strip" -> strip(s, arg(a, 0), true, true);
            case "lstrip" -> strip(s, arg(a, 0), true, false);
            case "rstrip" -> strip(s, arg(a, 0), false, true);
            case "split" -> split(s, arg(a, 0), a.length > 1 ? PyValues.toInt(a[1], "maxsplit") : -1);
            case "upper" -> s.toUpperCase(Locale.ROOT);
            case "lower" -> s.toLowerCase(Locale.ROOT);
            case "capitalize" -> s.isEmpty() ? s
                    : s.substring(0, 1).toUpperCase(Locale.ROOT) + s.substring(1).toLowerCase(Locale.ROOT);
            case "title" -> title(s);
            case "replace" -> replace(s, (String) arg(a, 0), (String) arg(a, 1),
                    a.length > 2 ? PyValues.toInt(a[2], "count") : -1);
            case "find" -> s.indexOf((String) arg(a, 0));
            case "rfind" -> s.lastIndexOf((String) arg(a, 0));
            case "count" -> count(s, (String) arg(a, 0));
            case "join" -> join(s, arg(a, 0));
            case "isdigit" -> !s.isEmpty() && s.chars().allMatch(Character::isDigit);
            case "isspace" -> !s.isEmpty() && s.chars().allMatch(PyMethods::isPySpace);
            default -> null;
        };
        return r == null ? Optional.empty() : Optional.of(new Found(r));
    }

    private static Optional<Found> dict(Map<?, ?> m, String name, Object[] a) {
        Object r = switch (name) {
            // items() yields [key, value] pairs: Jinjava's for-loop unpacks lists into `for k, v in ...`
            case "items" -> {
                List<Object> pairs = new ArrayList<>(m.size());
                m.forEach((k, v) -> pairs.add(new ArrayList<>(java.util.Arrays.asList(k, v))));
                yield pairs;
            }
            case "keys" -> new ArrayList<>(m.keySet());
            case "values" -> new ArrayList<>(m.values());
            case "get" -> new Found(m.containsKey(arg(a, 0)) ? m.get(arg(a, 0)) : arg(a, 1));
            default -> null;
        };
        if (r == null) return Optional.empty();
        return Optional.of(r instanceof Found f ? f : new Found(r));
    }

    private static Object arg(Object[] a, int i) {
        return i < a.length ? a[i] : null;
    }

    private static boolean anyAffix(Object[] a, int i, java.util.function.Predicate<String> test) {
        Object affix = arg(a, i);
        if (affix instanceof Collection<?> c) {   // Python allows a tuple of prefixes
            return c.stream().anyMatch(p -> test.test(String.valueOf(p)));
        }
        if (!(affix instanceof String p)) throw new IllegalArgumentException("startswith/endswith need a string");
        return test.test(p);
    }

    /** Python's str.isspace() set (Unicode White_Space plus the ASCII separators \x1c-\x1f). */
    static boolean isPySpace(int c) {
        return Character.isWhitespace(c) || Character.isSpaceChar(c) || (c >= 0x1c && c <= 0x1f) || c == 0x85;
    }

    static String strip(String s, Object chars, boolean left, boolean right) {
        java.util.function.IntPredicate drop = chars == null
                ? PyMethods::isPySpace
                : c -> ((String) chars).indexOf(c) >= 0;
        int start = 0, end = s.length();
        if (left) while (start < end && drop.test(s.charAt(start))) start++;
        if (right) while (end > start && drop.test(s.charAt(end - 1))) end--;
        return s.substring(start, end);
    }

    static List<String> split(String s, Object sep, int maxsplit) {
        List<String> parts = new ArrayList<>();
        if (sep == null) {  // runs of whitespace, no empty strings
            int i = 0, n = s.length();
            while (true) {
                while (i < n && isPySpace(s.charAt(i))) i++;
                if (i >= n) break;
                if (maxsplit >= 0 && parts.size() == maxsplit) {
                    parts.add(strip(s.substring(i), null, false, true));
                    break;
                }
                int j = i;
                while (j < n && !isPySpace(s.charAt(j))) j++;
                parts.add(s.substring(i, j));
                i = j;
            }
            return parts;
        }
        String separator = (String) sep;
        if (separator.isEmpty()) throw new IllegalArgumentException("empty separator");
        int from = 0;
        while (maxsplit < 0 || parts.size() < maxsplit) {
            int at = s.indexOf(separator, from);
            if (at < 0) break;
            parts.add(s.substring(from, at));
            from = at + separator.length();
        }
        parts.add(s.substring(from));
        return parts;
    }

    private static String replace(String s, String old, String repl, int count) {
        if (count < 0) return s.replace(old, repl);
        StringBuilder out = new StringBuilder();
        int from = 0;
        for (int n = 0; n < count; n++) {
            int at = s.indexOf(old, from);
            if (at < 0) break;
            out.append(s, from, at).append(repl);
            from = at + old.length();
            if (old.isEmpty()) {
                if (from < s.length()) out.append(s.charAt(from));
                from++;
            }
        }
        return from <= s.length() ? out.append(s.substring(from)).toString() : out.toString();
    }

    private static int count(String s, String sub) {
        if (sub.isEmpty()) return s.length() + 1;
        int n = 0;
        for (int at = s.indexOf(sub); at >= 0; at = s.indexOf(sub, at + sub.length())) n++;
        return n;
    }

    private static String join(String sep, Object items) {
        List<String> parts = new ArrayList<>();
        if (items instanceof Iterable<?> it) {
            for (Object o : it) parts.add(PyValues.str(o));
        } else if (items instanceof String str) {
            str.codePoints().forEach(c -> parts.add(Character.toString(c)));
        } else {
            throw new IllegalArgumentException("join needs an iterable");
        }
        return String.join(sep, parts);
    }

    private static String title(String s) {
        StringBuilder out = new StringBuilder(s.length());
        boolean prevCased = false;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            out.append(prevCased ? Character.toLowerCase(c) : Character.toUpperCase(c));
            prevCased = Character.isLetter(c);
        }
        return out.toString();
    }
}

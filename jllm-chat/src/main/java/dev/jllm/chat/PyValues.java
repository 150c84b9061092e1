package dev.jllm.chat;

import com.hubspot.jinjava.objects.SafeString;
import java.util.Collection;
import java.util.Map;

/** Python views of the values templates handle: unwrapping Jinjava's wrappers, iterable-ness. */
final class PyValues {

    private PyValues() {}

    static Object unwrap(Object value) {
        return value instanceof SafeString s ? s.toString() : value;
    }

    /** Python's {@code is iterable}: strings, lists, dicts and tuples all are (Jinjava says no to strings). */
    static boolean isIterable(Object value) {
        value = unwrap(value);
        return value instanceof CharSequence || value instanceof Iterable<?> || value instanceof Map<?, ?>
                || (value != null && value.getClass().isArray());
    }

    /** Python's {@code is sequence}: anything with a length and items (strings included). */
    static boolean isSequence(Object value) {
        value = unwrap(value);
        return value instanceof CharSequence || value instanceof Collection<?> || value instanceof Map<?, ?>
                || (value != null && value.getClass().isArray());
    }

    static String str(Object value) {
        value = unwrap(value);
        if (value == null) return "None";
        if (value instanceof Boolean b) return b ? "True" : "False";
        return value.toString();
    }

    static int toInt(Object value, String what) {
        value = unwrap(value);
        if (value instanceof Number n) return n.intValue();
        throw new IllegalArgumentException(what + " must be an integer, got " + value);
    }
}

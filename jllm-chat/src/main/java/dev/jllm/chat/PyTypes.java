package dev.jllm.chat;

import java.util.Collection;
import java.util.Map;

/** Python type names for error messages ("'str' object has no attribute ..."). */
final class PyTypes {
    private PyTypes() {}

    static String name(Object value) {
        value = PyValues.unwrap(value);
        return switch (value) {
            case null -> "NoneType";
            case CharSequence s -> "str";
            case Boolean b -> "bool";
            case Double d -> "float";
            case Float f -> "float";
            case Number n -> "int";
            case Map<?, ?> m -> "dict";
            case Collection<?> c -> "list";
            default -> value.getClass().getSimpleName();
        };
    }
}

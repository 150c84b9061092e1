package dev.jllm.sft;

import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code {{name}}}-style variables in record texts, filled from the caller's map (LLaMA-Factory's
 * identity.json ships {@code {{name}}} and {@code {{author}}} for the user to fill). Only applied when
 * the caller gave variables: then a placeholder without a value is an error naming it, because
 * training a model to say "I am {{name}}" is never what was meant. Without variables, texts are kept
 * as they are (code data legitimately contains {@code {{ x }}}).
 */
final class Placeholders {
    private static final Pattern PLACEHOLDER = Pattern.compile("\\{\\{\\s*([A-Za-z_][A-Za-z0-9_]*)\\s*\\}\\}");

    private final Map<String, String> values;

    /** @param values variable → text; null = leave texts alone */
    Placeholders(Map<String, String> values) {
        this.values = values == null ? null : new TreeMap<>(values);
    }

    String fill(String text, String path) {
        if (values == null || text == null || text.indexOf("{{") < 0) return text;
        Matcher m = PLACEHOLDER.matcher(text);
        StringBuilder out = new StringBuilder(text.length());
        while (m.find()) {
            String v = values.get(m.group(1));
            if (v == null) {
                throw new RecordError(path + ": placeholder {{" + m.group(1) + "}} has no value (variables given: "
                        + (values.isEmpty() ? "none" : String.join(", ", values.keySet())) + ")");
            }
            m.appendReplacement(out, Matcher.quoteReplacement(v));
        }
        m.appendTail(out);
        return out.toString();
    }
}

package dev.jllm.sft.synth;

import java.util.Locale;

/** The language a dialogue is written in (its values may come from any script). */
public enum Lang {
    EN, ZH;

    public static Lang parse(String s) {
        return switch (s.strip().toLowerCase(Locale.ROOT)) {
            case "en" -> EN;
            case "zh" -> ZH;
            default -> throw new IllegalArgumentException("language must be en or zh, got '" + s + "'");
        };
    }

    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }
}

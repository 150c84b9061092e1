package dev.jllm.data;

/**
 * One normalization step. Each step first checks whether it has anything to do and returns the
 * same String when not: most web text is already clean, and the check is a fast scan without
 * allocation.
 */
public interface TextNormalizer {
    /** Name used in configs and reports, e.g. {@code ansi}. */
    String name();

    String apply(String text);
}

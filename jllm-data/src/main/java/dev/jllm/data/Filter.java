package dev.jllm.data;

/**
 * One document filter. {@link #reject} returns null to keep the document, or a short reason that
 * the report shows beside the filter's {@link #name} (e.g. {@code length: 97 < 100}).
 */
public interface Filter {
    String name();

    String reject(Doc doc);
}

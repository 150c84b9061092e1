package dev.jllm.data;

/**
 * Invalid UTF-8 repair, second half. Readers decode with the JDK's UTF-8 decoder, which replaces
 * every malformed byte sequence with U+FFFD (so no document is lost to one bad byte); this step
 * removes those U+FFFD. Off by default: a real U+FFFD in the source cannot be told apart.
 */
public final class ReplacementCharStripper implements TextNormalizer {
    @Override
    public String name() {
        return "utf8_repair";
    }

    @Override
    public String apply(String s) {
        return s.indexOf('\uFFFD') < 0 ? s : s.replace("\uFFFD", "");
    }
}

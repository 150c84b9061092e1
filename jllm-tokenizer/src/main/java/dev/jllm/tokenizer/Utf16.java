package dev.jllm.tokenizer;

/**
 * The invalid-input policy of every tokenizer here: text is encoded as UTF-8, and what cannot be
 * encoded becomes U+FFFD (the replacement character) — never an exception. For a Java string that
 * means a lone surrogate (half of a pair) becomes U+FFFD before tokenization (Java's own encoder
 * would write '?'); invalid UTF-8 read from files becomes U+FFFD when decoded (readers use
 * {@code new String(bytes, UTF_8)}), and token bytes that do not form UTF-8 decode to U+FFFD.
 *
 * <p>Example: {@code replaceLoneSurrogates("a\uD800b")} is {@code "a\uFFFDb"}; a valid pair such as
 * {@code "\uD83D\uDE00"} (😀) is kept.
 */
final class Utf16 {
    private Utf16() {}

    static String replaceLoneSurrogates(String s) {
        StringBuilder sb = null;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (!Character.isSurrogate(c)) continue;
            if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                i++;
                continue;
            }
            if (sb == null) sb = new StringBuilder(s);
            sb.setCharAt(i, '\uFFFD');
        }
        return sb == null ? s : sb.toString();
    }
}

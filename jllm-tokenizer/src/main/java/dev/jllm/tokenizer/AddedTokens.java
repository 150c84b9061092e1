package dev.jllm.tokenizer;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Splits text around tokens that are matched literally before the BPE model runs: control tokens
 * such as {@code <|im_start|>} (only when special parsing is requested) and user-defined /
 * non-special added tokens such as {@code <think>} (always, as llama.cpp and HF tokenizers do).
 *
 * <p>Example: with {@code <|im_end|>} (special) and {@code <think>} (not special),
 * {@code split("a<think>b<|im_end|>", false)} gives {@code [Text("a"), Token(<think>), Text("b<|im_end|>")]}
 * and with {@code parseSpecial = true} the last fragment becomes {@code Text("b"), Token(<|im_end|>)}.
 *
 * <p>Two match orders exist because the reference implementations differ:
 * {@link Order#LONGEST_TOKEN_FIRST} is llama.cpp's {@code tokenizer_st_partition} (each token, longest
 * first, splits every remaining text fragment), {@link Order#LEFTMOST_LONGEST} is HF tokenizers'
 * Aho-Corasick scan. They only disagree on overlapping tokens.
 */
final class AddedTokens {

    enum Order { LONGEST_TOKEN_FIRST, LEFTMOST_LONGEST }

    /** One literal token. {@code special} ones are only matched when special parsing is on. */
    record Entry(int id, String text, boolean special, boolean lstrip, boolean rstrip, boolean singleWord) {
        Entry {
            if (text == null || text.isEmpty()) throw new IllegalArgumentException("added token " + id + " has empty text");
        }
    }

    /** A piece of the split input: raw text still to be tokenized, or a finished token id. */
    sealed interface Fragment permits Text, Token {}
    record Text(String text) implements Fragment {}
    record Token(int id) implements Fragment {}

    private static final class Node {
        final Map<Character, Node> next = new HashMap<>(4);
        int entry = -1;
    }

    private final List<Entry> entries;
    private final Order order;
    private final Node root = new Node();
    // filters that let the scans skip most positions without a map lookup
    private final java.util.BitSet firstChars = new java.util.BitSet();
    private final boolean anyPlain;

    AddedTokens(List<Entry> entries, Order order) {
        this.entries = List.copyOf(entries);
        this.order = order;
        boolean plain = false;
        for (int i = 0; i < this.entries.size(); i++) {
            firstChars.set(this.entries.get(i).text().charAt(0));
            plain |= !this.entries.get(i).special();
            Node n = root;
            for (char c : this.entries.get(i).text().toCharArray()) n = n.next.computeIfAbsent(c, k -> new Node());
            if (n.entry < 0) n.entry = i; // first definition of a duplicate text wins
        }
        this.anyPlain = plain;
    }

    boolean isEmpty() {
        return entries.isEmpty();
    }

    List<Fragment> split(String text, boolean parseSpecial) {
        return split(text, parseSpecial, null);
    }

    /**
     * @param literal chars (by index) that no special token may cover: client-written text inside a
     *                rendered chat prompt, which is plain text even where it spells a control token;
     *                null for none. Non-special added tokens are matched there as anywhere.
     */
    List<Fragment> split(String text, boolean parseSpecial, java.util.BitSet literal) {
        List<Fragment> out = new ArrayList<>();
        if (text.isEmpty()) return out;
        if (entries.isEmpty() || !parseSpecial && !anyPlain) {
            out.add(new Text(text));
            return out;
        }
        return order == Order.LEFTMOST_LONGEST ? leftmostLongest(text, parseSpecial, literal, out) : longestFirst(text, parseSpecial, literal, out);
    }

    private boolean usable(int entry, boolean parseSpecial) {
        return entry >= 0 && (parseSpecial || !entries.get(entry).special());
    }

    /** Whether a match of {@code entry} over {@code [start, end)} is allowed by the literal ranges. */
    private boolean allowedAt(int entry, java.util.BitSet literal, int start, int end) {
        if (literal == null || !entries.get(entry).special()) return true;
        int next = literal.nextSetBit(start);
        return next < 0 || next >= end;
    }

    private List<Fragment> leftmostLongest(String s, boolean parseSpecial, java.util.BitSet literal, List<Fragment> out) {
        int textStart = 0;
        int i = 0;
        while (i < s.length()) {
            if (!firstChars.get(s.charAt(i))) {
                i++;
                continue;
            }
            int best = -1;
            int bestEnd = -1;
            Node n = root;
            for (int j = i; j < s.length() && (n = n.next.get(s.charAt(j))) != null; j++) {
                if (usable(n.entry, parseSpecial) && allowedAt(n.entry, literal, i, j + 1) && wordBoundaryOk(s, i, j + 1, entries.get(n.entry))) {
                    best = n.entry;
                    bestEnd = j + 1;
                }
            }
            if (best < 0) {
                i++;
                continue;
            }
            Entry e = entries.get(best);
            int textEnd = i;
            if (e.lstrip()) while (textEnd > textStart && Character.isWhitespace(s.charAt(textEnd - 1))) textEnd--;
            if (textEnd > textStart) out.add(new Text(s.substring(textStart, textEnd)));
            out.add(new Token(e.id()));
            i = bestEnd;
            if (e.rstrip()) while (i < s.length() && Character.isWhitespace(s.charAt(i))) i++;
            textStart = i;
        }
        if (textStart < s.length()) out.add(new Text(s.substring(textStart)));
        return out;
    }

    // HF single_word: the match must not touch a word character on either side.
    private static boolean wordBoundaryOk(String s, int start, int end, Entry e) {
        if (!e.singleWord()) return true;
        boolean before = start > 0 && isWordChar(s.codePointBefore(start));
        boolean after = end < s.length() && isWordChar(s.codePointAt(end));
        return !before && !after;
    }

    private static boolean isWordChar(int cp) {
        return Character.isLetterOrDigit(cp) || cp == '_';
    }

    /** A stretch {@code [start, end)} of the input not yet matched (offsets kept so literal ranges can be checked). */
    private record Span(int start, int end) {}

    private List<Fragment> longestFirst(String s, boolean parseSpecial, java.util.BitSet literal, List<Fragment> out) {
        // Only tokens that occur at all take part; finding them with the trie keeps this linear in the text.
        boolean[] present = new boolean[entries.size()];
        for (int i = 0; i < s.length(); i++) {
            if (!firstChars.get(s.charAt(i))) continue;
            Node n = root;
            for (int j = i; j < s.length() && (n = n.next.get(s.charAt(j))) != null; j++) {
                if (usable(n.entry, parseSpecial)) present[n.entry] = true;
            }
        }
        List<Integer> order = new ArrayList<>();
        for (int i = 0; i < present.length; i++) if (present[i]) order.add(i);
        order.sort(Comparator.comparingInt((Integer i) -> -entries.get(i).text().length()).thenComparingInt(i -> entries.get(i).id()));
        List<Object> frags = new ArrayList<>(List.of(new Span(0, s.length()))); // Spans and Tokens
        for (int idx : order) {
            Entry e = entries.get(idx);
            int len = e.text().length();
            List<Object> next = new ArrayList<>(frags.size() + 4);
            for (Object f : frags) {
                if (!(f instanceof Span(int start, int end))) {
                    next.add(f);
                    continue;
                }
                int from = start;
                int search = start;
                int at;
                while ((at = s.indexOf(e.text(), search)) >= 0 && at + len <= end) {
                    if (!allowedAt(idx, literal, at, at + len)) {
                        search = at + 1;
                        continue;
                    }
                    int leftEnd = at;
                    if (e.lstrip()) while (leftEnd > from && isAsciiSpace(s.charAt(leftEnd - 1))) leftEnd--;
                    if (leftEnd > from) next.add(new Span(from, leftEnd));
                    next.add(new Token(e.id()));
                    from = at + len;
                    if (e.rstrip()) while (from < end && isAsciiSpace(s.charAt(from))) from++;
                    search = from;
                }
                if (from < end) next.add(new Span(from, end));
            }
            frags = next;
        }
        for (Object f : frags) out.add(f instanceof Span(int start, int end) ? new Text(s.substring(start, end)) : (Token) f);
        return out;
    }

    // llama.cpp strips with C isspace()
    private static boolean isAsciiSpace(char c) {
        return c == ' ' || (c >= '\t' && c <= '\r');
    }
}

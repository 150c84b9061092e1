package dev.jllm.grammar;

import java.util.Arrays;

/**
 * A parsed GBNF grammar in llama.cpp's element encoding, every rule flattened into one array so a
 * position in the grammar is a single int.
 *
 * <p>A rule is a sequence of elements; alternatives are separated by {@link #ALT} and the rule ends
 * with {@link #END}. A character class is {@link #CHAR} (or {@link #CHAR_NOT}) followed by
 * {@link #CHAR_RNG_UPPER} (making the previous char a range start) and {@link #CHAR_ALT} elements;
 * a literal "ab" is two one-char classes. {@link #RULE_REF} calls another rule. Repetitions and
 * groups were already rewritten into generated rules by the parser, as llama.cpp does.
 *
 * <p>Immutable and thread-safe; obtain one with {@link Gbnf#parse}.
 */
public final class Grammar {
    static final int END = 0, ALT = 1, RULE_REF = 2, CHAR = 3, CHAR_NOT = 4, CHAR_RNG_UPPER = 5, CHAR_ALT = 6, CHAR_ANY = 7;

    final int[] type;
    final int[] value;
    final int[] ruleStart;
    final String[] ruleNames;
    final int root;
    private final String source;

    Grammar(int[] type, int[] value, int[] ruleStart, String[] ruleNames, int root, String source) {
        this.type = type;
        this.value = value;
        this.ruleStart = ruleStart;
        this.ruleNames = ruleNames;
        this.root = root;
        this.source = source;
    }

    /** The GBNF text this grammar was parsed from. */
    public String source() {
        return source;
    }

    /** Rules, generated ones (repetitions, groups) included. */
    public int ruleCount() {
        return ruleStart.length;
    }

    boolean isEndOfSequence(int pos) {
        return type[pos] == END || type[pos] == ALT;
    }

    boolean isCharElement(int pos) {
        int t = type[pos];
        return t == CHAR || t == CHAR_NOT || t == CHAR_ANY;
    }

    /** Whether the character class starting at {@code pos} accepts code point {@code c} (llama_grammar_match_char). */
    boolean matches(int pos, int c) {
        boolean positive = type[pos] != CHAR_NOT;
        boolean found = false;
        do {
            if (type[pos + 1] == CHAR_RNG_UPPER) {
                found |= value[pos] <= c && c <= value[pos + 1];
                pos += 2;
            } else if (type[pos] == CHAR_ANY) {
                found = true;
                pos += 1;
            } else {
                found |= value[pos] == c;
                pos += 1;
            }
        } while (type[pos] == CHAR_ALT);
        return found == positive;
    }

    /** The position after the character class starting at {@code pos}. */
    int afterClass(int pos) {
        do {
            pos += type[pos + 1] == CHAR_RNG_UPPER ? 2 : 1;
        } while (type[pos] == CHAR_ALT);
        return pos;
    }

    /**
     * Whether some completion of a partial UTF-8 sequence (its bits so far, {@code remain} bytes to
     * come) could satisfy the class at {@code pos} (llama_grammar_match_partial_char): lets the
     * vocabulary walk drop a token at its first impossible byte.
     */
    boolean matchesPartial(int pos, int partial, int remain) {
        boolean positive = type[pos] != CHAR_NOT;
        if (remain == 1 && partial < 2) return false; // overlong 2-byte form of an ASCII char
        int low = partial << (remain * 6);
        int high = low | ((1 << (remain * 6)) - 1);
        if (low == 0) {
            if (remain == 2) low = 1 << 11;
            else if (remain == 3) low = 1 << 16;
        }
        do {
            if (type[pos + 1] == CHAR_RNG_UPPER) {
                if (value[pos] <= high && low <= value[pos + 1]) return positive;
                pos += 2;
            } else if (type[pos] == CHAR_ANY) {
                return true;
            } else {
                if (low <= value[pos] && value[pos] <= high) return positive;
                pos += 1;
            }
        } while (type[pos] == CHAR_ALT);
        return !positive;
    }

    @Override
    public String toString() {
        return "Grammar[" + ruleNames.length + " rules, root " + ruleNames[root] + ", " + type.length + " elements]";
    }

    /** The element arrays of rule {@code r} (for tests and debugging). */
    int[] ruleTypes(int r) {
        int end = r + 1 < ruleStart.length ? ruleStart[r + 1] : type.length;
        return Arrays.copyOfRange(type, ruleStart[r], end);
    }
}

package dev.jllm.tokenizer;

/**
 * Hand-written scanners with exactly the meaning of the common split regexes (as java.util.regex
 * runs them after {@link PreTokenizer#translate}), about 5-10× faster and allocation-free. The
 * regexes stay the reference: {@code FastSplitTest} compares both on whole corpora and random
 * Unicode, and a {@link PreTokenizer} whose regex is not one of these keeps using the regex.
 *
 * <p>Each scanner answers "where does the match starting at i end": every alternative is tried in
 * the regex's order with the regex's greedy/backtracking outcome worked out by hand (comments give
 * the alternative). Every character is matched by some alternative of these patterns, so there are
 * no gaps between pieces.
 *
 * <p>Character classes follow the JDK's regex definitions: {@code \p{L}}, {@code \p{N}},
 * {@code \p{M}} by {@link Character#getType}, {@code \s} as White_Space (Zs, Zl, Zp, U+0009-000D,
 * U+0085); {@code (?i)} without UNICODE_CASE folds ASCII only.
 */
final class FastSplit {

    /** The patterns with a scanner. */
    enum Kind {
        /** GPT-2 / HF ByteLevel: {@code 's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+}. */
        GPT2,
        /** LLaMA 3: letter runs with one leading non-letter, {@code \p{N}{1,3}}, newline-aware whitespace. */
        LLAMA3,
        /** Qwen2: as LLAMA3 with single digits. */
        QWEN2,
        /** tiktoken cl100k_base: as LLAMA3 plus {@code \s++$} and {@code \s*[\r\n]}. */
        CL100K,
        /** tiktoken o200k_base: case-aware words with trailing contractions. */
        O200K
    }

    /** Receives pieces [start, end) of the text in order. */
    interface Sink {
        void piece(int start, int end);
    }

    private static final int L = 1, N = 2, WS = 4, U = 8, W = 16;
    private static final byte[] BMP = new byte[65536];

    static {
        for (int c = 0; c < 65536; c++) BMP[c] = (byte) compute(c);
    }

    private FastSplit() {}

    private static int compute(int cp) {
        int t = Character.getType(cp);
        int f = 0;
        boolean mark = t == Character.NON_SPACING_MARK || t == Character.ENCLOSING_MARK || t == Character.COMBINING_SPACING_MARK;
        switch (t) {
            case Character.UPPERCASE_LETTER, Character.TITLECASE_LETTER -> f |= L | U;
            case Character.LOWERCASE_LETTER -> f |= L | W;
            case Character.MODIFIER_LETTER, Character.OTHER_LETTER -> f |= L | U | W;
            case Character.DECIMAL_DIGIT_NUMBER, Character.LETTER_NUMBER, Character.OTHER_NUMBER -> f |= N;
            default -> { }
        }
        if (mark) f |= U | W;
        boolean ws = t == Character.SPACE_SEPARATOR || t == Character.LINE_SEPARATOR || t == Character.PARAGRAPH_SEPARATOR
                || (cp >= 0x9 && cp <= 0xd) || cp == 0x85;
        if (ws) f |= WS;
        return f;
    }

    /** The scanner for a regex source, or null when the regex has none. */
    static Kind forRegex(String regex) {
        if (regex.equals(PreTokenizer.GPT2) || regex.equals(PreTokenizer.GPT2_NO_TAIL)) return Kind.GPT2;
        if (regex.equals(PreTokenizer.LLAMA3)) return Kind.LLAMA3;
        if (regex.equals(PreTokenizer.QWEN2)) return Kind.QWEN2;
        if (regex.equals(TiktokenLoader.CL100K)) return Kind.CL100K;
        if (regex.equals(TiktokenLoader.O200K)) return Kind.O200K;
        return null;
    }

    static void split(Kind k, String s, int from, int to, Sink sink) {
        int i = from;
        while (i < to) {
            int e = switch (k) {
                case GPT2 -> gpt2(s, i, to);
                case LLAMA3, QWEN2, CL100K -> llama3(k, s, i, to);
                case O200K -> o200k(s, i, to);
            };
            sink.piece(i, e);
            i = e;
        }
    }

    private static int cp(String s, int i, int to) {
        char c = s.charAt(i);
        if (Character.isHighSurrogate(c) && i + 1 < to) {
            char d = s.charAt(i + 1);
            if (Character.isLowSurrogate(d)) return Character.toCodePoint(c, d);
        }
        return c;
    }

    /** The code point ending at k (not reaching before p), pairing surrogates as {@link #cp} does. */
    private static int cpBefore(String s, int k, int p) {
        char c = s.charAt(k - 1);
        if (Character.isLowSurrogate(c) && k - 2 >= p && Character.isHighSurrogate(s.charAt(k - 2))) {
            return Character.toCodePoint(s.charAt(k - 2), c);
        }
        return c;
    }

    private static int cls(int cp) {
        return cp < 65536 ? BMP[cp] : compute(cp);
    }

    private static int len(int cp) {
        return cp >= 0x10000 ? 2 : 1;
    }

    /** Not \s, \p{L} or \p{N}: the "punctuation" class {@code [^\s\p{L}\p{N}]}. */
    private static boolean isP(int f) {
        return (f & (L | N | WS)) == 0;
    }

    /** End of the run of code points starting at i whose class has one of {@code mask}'s bits. */
    private static int run(String s, int i, int to, int mask) {
        while (i < to) {
            char c = s.charAt(i);
            if (c < 0x80) { // ASCII fast path
                if ((BMP[c] & mask) == 0) break;
                i++;
                continue;
            }
            int cp = cp(s, i, to);
            if ((cls(cp) & mask) == 0) break;
            i += len(cp);
        }
        return i;
    }

    /** End of the run of {@code [^\s\p{L}\p{N}]} code points from i. */
    private static int runP(String s, int i, int to) {
        while (i < to) {
            int cp = cp(s, i, to);
            if (!isP(cls(cp))) break;
            i += len(cp);
        }
        return i;
    }

    /** At most {@code max} \p{N} code points from i. */
    private static int runN(String s, int i, int to, int max) {
        for (int n = 0; n < max && i < to; n++) {
            int cp = cp(s, i, to);
            if ((cls(cp) & N) == 0) break;
            i += len(cp);
        }
        return i;
    }

    /** {@code 's|'t|'re|'ve|'m|'ll|'d} at i (s[i] is the apostrophe): its end, or -1. */
    private static int contraction(String s, int i, int to, boolean ignoreCase) {
        if (i >= to || s.charAt(i) != '\'' || i + 1 >= to) return -1;
        char a = s.charAt(i + 1);
        if (ignoreCase && a >= 'A' && a <= 'Z') a += 32;
        if (a == 's' || a == 't' || a == 'm' || a == 'd') return i + 2;
        if (i + 2 >= to) return -1;
        char b = s.charAt(i + 2);
        if (ignoreCase && b >= 'A' && b <= 'Z') b += 32;
        if ((a == 'r' || a == 'v') && b == 'e' || a == 'l' && b == 'l') return i + 3;
        return -1;
    }

    /** End of the White_Space run from i. */
    private static int runWs(String s, int i, int to) {
        while (i < to && (cls(s.charAt(i)) & WS) != 0) i++; // all White_Space is in the BMP
        return i;
    }

    private static int gpt2(String s, int i, int to) {
        char c = s.charAt(i);
        if (c == '\'') {
            int e = contraction(s, i, to, false);
            if (e > 0) return e;
        }
        // ` ?\p{L}+`, ` ?\p{N}+`, ` ?[^\s\p{L}\p{N}]+`: the optional space only helps when a match follows it
        int p = i;
        if (c == ' ' && i + 1 < to && (cls(cp(s, i + 1, to)) & WS) == 0) p = i + 1;
        int f = cls(cp(s, p, to));
        if ((f & L) != 0) return run(s, p, to, L);
        if ((f & N) != 0) return run(s, p, to, N);
        if (isP(f)) return runP(s, p, to);
        return whitespace(s, i, to, false, false);
    }

    /**
     * The whitespace alternatives. {@code newline}: {@code \s*[\r\n]+} (or cl100k's {@code \s*[\r\n]})
     * first — both end after the last CR/LF of the run; {@code endAnchor}: cl100k's {@code \s++$} before
     * that. Then {@code \s+(?!\S)}: the run, minus its last character unless the run ends the text;
     * then {@code \s+}/{@code \s}: one character.
     */
    private static int whitespace(String s, int i, int to, boolean newline, boolean endAnchor) {
        int j = runWs(s, i, to);
        if (endAnchor && j == to) return j;
        if (newline) {
            for (int k = j - 1; k >= i; k--) {
                char c = s.charAt(k);
                if (c == '\n' || c == '\r') return k + 1;
            }
        }
        if (j == to) return j;
        if (j - i >= 2) return j - 1;
        return j;
    }

    private static int llama3(Kind k, String s, int i, int to) {
        int c = cp(s, i, to);
        if (c == '\'') {
            int e = contraction(s, i, to, true);
            if (e > 0) return e;
        }
        int f = cls(c);
        // [^\r\n\p{L}\p{N}]?\p{L}+
        if ((f & L) != 0) return run(s, i, to, L);
        int n = i + len(c);
        if (c != '\r' && c != '\n' && (f & N) == 0 && n < to && (cls(cp(s, n, to)) & L) != 0) return run(s, n, to, L);
        // \p{N}{1,3} (qwen2: \p{N})
        if ((f & N) != 0) return runN(s, i, to, k == Kind.QWEN2 ? 1 : 3);
        // ` ?[^\s\p{L}\p{N}]+[\r\n]*`
        int p = i;
        if (c == ' ' && n < to && isP(cls(cp(s, n, to)))) p = n;
        if (isP(cls(cp(s, p, to)))) {
            int e = runP(s, p, to);
            while (e < to && (s.charAt(e) == '\r' || s.charAt(e) == '\n')) e++;
            return e;
        }
        return whitespace(s, i, to, true, k == Kind.CL100K);
    }

    private static int o200k(String s, int i, int to) {
        int c = cp(s, i, to);
        int f = cls(c);
        int n = i + len(c);
        // prefix [^\r\n\p{L}\p{N}]? before both word alternatives (taken first, then without)
        boolean prefix = c != '\r' && c != '\n' && (f & (L | N)) == 0 && n < to;
        int e;
        if (prefix && (e = o200kLowerTail(s, n, to)) > 0) return e;
        if ((e = o200kLowerTail(s, i, to)) > 0) return e;
        if (prefix && (e = o200kUpperHead(s, n, to)) > 0) return e;
        if ((e = o200kUpperHead(s, i, to)) > 0) return e;
        if ((f & N) != 0) return runN(s, i, to, 3);
        // ` ?[^\s\p{L}\p{N}]+[\r\n/]*`
        int p = i;
        if (c == ' ' && n < to && isP(cls(cp(s, n, to)))) p = n;
        if (isP(cls(cp(s, p, to)))) {
            e = runP(s, p, to);
            while (e < to && (s.charAt(e) == '\r' || s.charAt(e) == '\n' || s.charAt(e) == '/')) e++;
            return e;
        }
        return whitespace(s, i, to, true, false);
    }

    /**
     * {@code [\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|...)?} from p: the upper
     * run is given back one code point at a time until the lower run can start, i.e. at the run's end
     * if a lower-class character follows, else at the last character of the run that is in both classes.
     */
    private static int o200kLowerTail(String s, int p, int to) {
        int u = run(s, p, to, U);
        int w;
        if (u < to && (cls(cp(s, u, to)) & W) != 0) {
            w = run(s, u, to, W);
        } else {
            int k = u;
            w = -1;
            while (k > p) {
                int prev = cpBefore(s, k, p);
                k -= len(prev);
                if ((cls(prev) & W) != 0) {
                    w = run(s, k, to, W);
                    break;
                }
            }
            if (w < 0) return -1;
        }
        int e = contraction(s, w, to, true);
        return e > 0 ? e : w;
    }

    /** {@code [\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|...)?} from p, or -1. */
    private static int o200kUpperHead(String s, int p, int to) {
        int u = run(s, p, to, U);
        if (u == p) return -1;
        int w = run(s, u, to, W);
        int e = contraction(s, w, to, true);
        return e > 0 ? e : w;
    }
}

package dev.jllm.tokenizer;

import java.util.Arrays;

/**
 * Token texts of a vocabulary for the SentencePiece merge loop: {@link #find} looks up a range of a
 * string without making a substring (open addressing on the string's own hash, then a region
 * compare), and {@link #adjacent} says whether two code points ever stand next to each other inside a
 * token — if not, no merge can join them, which is where {@link SentencePieceBpe} cuts its input.
 *
 * <p>Example (llama-spm): {@code find("x▁the", 1, 5)} is the id of "▁the"; {@code adjacent('e', '▁')}
 * is false, so "▁the▁cat" can be cut before the second '▁'.
 */
final class PieceTable {
    private final String[] pieces;
    private final int[] slots; // id + 1, 0 = empty
    private final int mask;
    private final int maxLength;
    private final long[] pairs; // (left code point << 32 | right code point), -1 = empty
    private final int pairMask;
    // the pairs of ASCII and '▁' (nearly every pair of English text) as a 129 × 129 bit matrix, so the
    // per-character cut test needs no probe of the large hash set
    private final long[] small = new long[(SMALL * SMALL + 63) / 64];
    private static final int SMALL = 129;

    PieceTable(Vocabulary v) {
        int n = v.size();
        pieces = new String[n];
        int cap = Integer.highestOneBit(Math.max(16, n * 2) - 1) << 1;
        slots = new int[cap];
        mask = cap - 1;
        int longest = 0, pairCount = 0;
        for (int id = 0; id < n; id++) {
            String p = v.piece(id);
            pieces[id] = p;
            longest = Math.max(longest, p.length());
            pairCount += p.length();
            int i = mix(p.hashCode()) & mask;
            while (slots[i] != 0) i = (i + 1) & mask;
            slots[i] = id + 1;
        }
        maxLength = longest;
        int pcap = Integer.highestOneBit(Math.max(16, pairCount * 2) - 1) << 1;
        long[] set = new long[pcap];
        Arrays.fill(set, -1L);
        for (String p : pieces) {
            for (int i = 0; i < p.length(); ) {
                int a = p.codePointAt(i);
                i += Character.charCount(a);
                if (i >= p.length()) break;
                int b = p.codePointAt(i);
                int sa = small(a), sb = small(b);
                if (sa >= 0 && sb >= 0) small[(sa * SMALL + sb) >>> 6] |= 1L << (sa * SMALL + sb);
                long k = key(a, b);
                int s = mix(Long.hashCode(k)) & (pcap - 1);
                while (set[s] != -1L && set[s] != k) s = (s + 1) & (pcap - 1);
                set[s] = k;
            }
        }
        pairs = set;
        pairMask = pcap - 1;
    }

    private static long key(int a, int b) {
        return ((long) a << 32) | (b & 0xffffffffL);
    }

    private static int mix(int h) {
        h *= 0x9E3779B9;
        return h ^ (h >>> 16);
    }

    /** The id of the token whose text is t[from, to), or -1. */
    int find(String t, int from, int to) {
        int len = to - from;
        if (len > maxLength) return -1;
        int h = 0;
        for (int i = from; i < to; i++) h = 31 * h + t.charAt(i); // String.hashCode of the range
        int i = mix(h) & mask, s;
        while ((s = slots[i]) != 0) {
            String p = pieces[s - 1];
            if (p.length() == len && p.regionMatches(0, t, from, len)) return s - 1;
            i = (i + 1) & mask;
        }
        return -1;
    }

    /** Index in the small matrix: ASCII as itself, '▁' as 128, else -1. */
    private static int small(int cp) {
        return cp < 128 ? cp : cp == '▁' ? 128 : -1;
    }

    /** True if code point a is directly followed by code point b in some token. */
    boolean adjacent(int a, int b) {
        int sa = small(a), sb = small(b);
        if (sa >= 0 && sb >= 0) return (small[(sa * SMALL + sb) >>> 6] & 1L << (sa * SMALL + sb)) != 0;
        long k = key(a, b);
        int s = mix(Long.hashCode(k)) & pairMask;
        long cur;
        while ((cur = pairs[s]) != -1L) {
            if (cur == k) return true;
            s = (s + 1) & pairMask;
        }
        return false;
    }
}

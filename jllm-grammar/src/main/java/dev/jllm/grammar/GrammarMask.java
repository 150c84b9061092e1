package dev.jllm.grammar;

import dev.jllm.engine.TokenMask;
import dev.jllm.tokenizer.Tokenizer;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The engine's {@link TokenMask} for a grammar: only tokens whose bytes continue a match are
 * allowed; end-of-generation tokens only when the text so far is a complete match (and then, if
 * the grammar allows nothing more, only they are).
 *
 * <p>How it stays fast on a 150k vocabulary: the {@link VocabTrie} shares the work of common
 * prefixes and skips every token under a rejected prefix; the {@link Matcher} computes each
 * (state, code point) step once; and the allowed set is cached per state, because grammar states
 * repeat (inside a JSON string every character leads back to the same state), so most steps cost
 * one map lookup and one pass over the logits.
 *
 * <p>A state is (matcher state, pending UTF-8 bits, bytes still expected): a token may end inside a
 * multi-byte character and the next one completes it.
 *
 * <p>Shared between requests: the matcher and the per-state allowed sets live in a {@link Table} per
 * (grammar text, vocabulary), kept in a small LRU ({@value #TABLES} tables, each holding at most
 * {@link #TABLE_BYTES} of allowed sets, least recently used dropped first), so the second request
 * with the same schema starts with every state the first one walked. A mask holds only its own
 * state; it locks its table for each apply/accept (requests decode on the scheduler's one thread,
 * so the lock is uncontended there). One instance per request; not thread-safe itself.
 */
public final class GrammarMask implements TokenMask {
    static final long DEAD = -1;
    /** Bytes of allowed sets one table keeps (8 MiB ≈ 440 dense states of a 151k vocabulary, or far more sparse ones). */
    static final long TABLE_BYTES = 8L << 20;
    static final int TABLES = 16;

    private final Table table;
    private long state;
    private boolean ended; // an end-of-generation token was accepted

    /** A (grammar, vocabulary) pair's matcher and allowed-set cache; guarded by its own monitor. */
    static final class Table {
        private record Key(String grammar, VocabTrie trie) {}

        private static final Map<Key, Table> ALL = new LinkedHashMap<>(16, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<Key, Table> e) {
                return size() > TABLES;
            }
        };

        final Matcher m;
        final VocabTrie trie;
        final LinkedHashMap<Long, Allowed> cache = new LinkedHashMap<>(64, 0.75f, true); // LRU, at most TABLE_BYTES of sets
        long cacheBytes;
        long[] walkStates = new long[0];
        long walks; // statistics: trie walks done (cache misses)

        private Table(Grammar g, VocabTrie trie) {
            this.m = new Matcher(g);
            this.trie = trie;
        }

        static Table of(Grammar g, VocabTrie trie) {
            synchronized (ALL) {
                return ALL.computeIfAbsent(new Key(g.source(), trie), k -> new Table(g, trie));
            }
        }
    }

    /**
     * An allowed set: a bitset over the vocabulary, or — when few tokens are allowed, as in most
     * states of a JSON structure — their sorted ids (4 bytes each instead of V/8 for the state).
     */
    record Allowed(long[] bits, int[] ids) {
        long bytes() {
            return 32 + (bits != null ? 8L * bits.length : 4L * ids.length);
        }
    }

    public GrammarMask(Grammar grammar, Tokenizer tok) {
        this.table = Table.of(grammar, VocabTrie.of(tok));
        synchronized (table) {
            this.state = pack(table.m.initial(), 0, 0, 0);
        }
    }

    /** Whether the text accepted so far is a complete match of the grammar. */
    public boolean isComplete() {
        synchronized (table) {
            return ended || (remain(state) == 0 && table.m.isComplete(set(state)));
        }
    }

    @Override
    public void apply(float[] logits) {
        VocabTrie trie = table.trie;
        Allowed a = allowedSet();
        int n = Math.min(logits.length, trie.vocabSize);
        if (a.ids() != null) {
            int[] ids = a.ids();
            float[] keep = new float[ids.length];
            for (int i = 0; i < ids.length; i++) keep[i] = ids[i] < logits.length ? logits[ids[i]] : 0f;
            java.util.Arrays.fill(logits, Float.NEGATIVE_INFINITY);
            for (int i = 0; i < ids.length; i++) if (ids[i] < logits.length) logits[ids[i]] = keep[i];
            return;
        }
        long[] allowed = a.bits();
        for (int w = 0, base = 0; base < n; w++, base += 64) {
            long bits = allowed[w];
            if (bits == -1L) continue;
            int end = Math.min(64, n - base);
            for (int b = 0; b < end; b++) if ((bits & (1L << b)) == 0) logits[base + b] = Float.NEGATIVE_INFINITY;
        }
        for (int i = trie.vocabSize; i < logits.length; i++) logits[i] = Float.NEGATIVE_INFINITY;
    }

    @Override
    public void accept(int token) {
        VocabTrie trie = table.trie;
        if (isEog(token)) {
            if (!isComplete()) throw new IllegalStateException("end-of-generation token " + token + " sampled before the grammar was complete");
            ended = true;
            return;
        }
        byte[] b = token >= 0 && token < trie.vocabSize ? trie.bytes[token] : null;
        if (b == null || ended) throw new IllegalStateException("token " + token + " is not allowed by the grammar here");
        long s = state;
        synchronized (table) {
            for (byte x : b) {
                s = step(s, x & 0xFF);
                if (s == DEAD) throw new IllegalStateException("token " + token + " is not allowed by the grammar here");
            }
        }
        state = s;
    }

    /** The allowed tokens in the current state as a bitset over the vocabulary. */
    long[] allowed() {
        Allowed a = allowedSet();
        if (a.bits() != null) return a.bits();
        long[] bits = new long[(table.trie.vocabSize + 63) >>> 6];
        for (int id : a.ids()) bits[id >>> 6] |= 1L << id;
        return bits;
    }

    private Allowed allowedSet() {
        if (ended) return new Allowed(null, table.trie.eog.clone());
        synchronized (table) {
            Allowed a = table.cache.get(state);
            if (a == null) {
                a = compact(walk(state));
                table.cache.put(state, a);
                table.cacheBytes += a.bytes();
                for (var it = table.cache.values().iterator(); table.cacheBytes > TABLE_BYTES && table.cache.size() > 1; ) {
                    table.cacheBytes -= it.next().bytes(); // least recently used first
                    it.remove();
                }
            }
            return a;
        }
    }

    /** Ids when they take less room than the bitset (fewer than V/32 allowed), else the bitset. */
    private static Allowed compact(long[] bits) {
        int count = 0;
        for (long w : bits) count += Long.bitCount(w);
        if (count >= bits.length * 2) return new Allowed(bits, null);
        int[] ids = new int[count];
        int k = 0;
        for (int w = 0; w < bits.length; w++) {
            for (long x = bits[w]; x != 0; x &= x - 1) ids[k++] = (w << 6) + Long.numberOfTrailingZeros(x);
        }
        return new Allowed(null, ids);
    }

    /** Walks the vocabulary trie from {@code start}; tokens whose every byte is accepted are allowed. */
    private long[] walk(long start) {
        VocabTrie trie = table.trie;
        Matcher m = table.m;
        table.walks++;
        long[] walkStates = table.walkStates;
        long[] bits = new long[(trie.vocabSize + 63) >>> 6];
        if (walkStates.length < trie.maxDepth + 1) walkStates = table.walkStates = new long[trie.maxDepth + 1];
        long[] at = walkStates;
        at[0] = start;
        byte[] label = trie.label;
        int[] depth = trie.depth, next = trie.next, tokStart = trie.tokStart, tokIds = trie.tokIds;
        int n = label.length;
        for (int i = 0; i < n; ) {
            int d = depth[i];
            long s = step(at[d - 1], label[i] & 0xFF);
            if (s == DEAD) {
                i = next[i];
                continue;
            }
            at[d] = s;
            for (int t = tokStart[i], e = tokStart[i + 1]; t < e; t++) {
                int id = tokIds[t];
                bits[id >>> 6] |= 1L << id;
            }
            i++;
        }
        if (remain(start) == 0 && m.isComplete(set(start))) {
            for (int id : trie.eog) bits[id >>> 6] |= 1L << id;
        }
        return bits;
    }

    /** One byte: UTF-8 decoding with llama.cpp's partial-character check, then the matcher for each complete code point. */
    long step(long s, int b) {
        Matcher m = table.m;
        int set = set(s), remain = remain(s), partial = partial(s), len = length(s);
        if (remain == 0) {
            if (b < 0x80) {
                int n = m.accept(set, b);
                return n == 0 ? DEAD : pack(n, 0, 0, 0);
            }
            if ((b & 0xE0) == 0xC0) {
                len = 2;
                partial = b & 0x1F;
            } else if ((b & 0xF0) == 0xE0) {
                len = 3;
                partial = b & 0x0F;
            } else if (b >= 0xF0 && b <= 0xF4) {
                len = 4;
                partial = b & 0x07;
            } else {
                return DEAD; // a continuation byte with no lead, or not UTF-8 at all
            }
            remain = len - 1;
            return m.acceptsPartial(set, partial, remain) ? pack(set, partial, remain, len) : DEAD;
        }
        if ((b & 0xC0) != 0x80) return DEAD;
        partial = (partial << 6) | (b & 0x3F);
        remain--;
        if (remain > 0) return viable(partial, remain, len) && m.acceptsPartial(set, partial, remain) ? pack(set, partial, remain, len) : DEAD;
        // overlong forms, surrogates and values past U+10FFFF are not characters
        int min = len == 2 ? 0x80 : len == 3 ? 0x800 : 0x10000;
        if (partial < min || partial > 0x10FFFF || (partial >= 0xD800 && partial <= 0xDFFF)) return DEAD;
        int n = m.accept(set, partial);
        return n == 0 ? DEAD : pack(n, 0, 0, 0);
    }

    /**
     * Whether a started character can still become a valid one: after its second byte, overlong
     * forms, surrogates and values past U+10FFFF are already certain (the first byte alone cannot
     * tell). Without this check a byte-fallback vocabulary could walk into a dead end (a lead byte
     * and a second byte that no third byte can complete) and leave no token allowed.
     */
    static boolean viable(int partial, int remain, int len) {
        if (len == 3 && remain == 1) return partial >= 0x20 && !(partial >= 0x360 && partial <= 0x37F);
        if (len == 4 && remain == 2) return partial >= 0x10 && partial <= 0x10F;
        return true;
    }

    private boolean isEog(int token) {
        for (int id : table.trie.eog) if (id == token) return true;
        return false;
    }

    /** A walk state: matcher set (high 32 bits), UTF-8 length and bytes still expected of a pending character, its bits so far. */
    static long pack(int set, int partial, int remain, int len) {
        return ((long) set << 32) | ((long) len << 28) | ((long) remain << 24) | partial;
    }

    static int length(long s) {
        return (int) (s >>> 28) & 0xF;
    }

    static int set(long s) {
        return (int) (s >>> 32);
    }

    static int remain(long s) {
        return (int) (s >>> 24) & 0xF;
    }

    static int partial(long s) {
        return (int) s & 0xFFFFFF;
    }

    /** States reached so far (statistics for tests and benchmarks). */
    int matcherStates() {
        synchronized (table) {
            return m().stateCount();
        }
    }

    private Matcher m() {
        return table.m;
    }

    /** Trie walks done so far by this mask's table, all requests together (statistics for tests and benchmarks). */
    long tableWalks() {
        synchronized (table) {
            return table.walks;
        }
    }
}

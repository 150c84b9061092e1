package dev.jllm.engine;

import dev.jllm.model.KvCacheManager;
import dev.jllm.model.LoraWeights;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;

/**
 * KV sequences kept resident after their turn ended, with the token ids they hold, so the next turn
 * of a conversation prefills only its new tokens. Entries are keyed by conversation (or anonymous)
 * and evicted least-recently-used first when the scheduler needs blocks.
 *
 * <p>Lookup, as vLLM's automatic prefix caching: every whole block of an entry's tokens is indexed
 * by a hash chained over all blocks before it, so a prompt finds the entry sharing its longest run of
 * whole blocks in one hash lookup per block, however many entries are idle; the match is then
 * verified token by token and extended into the next, partial block. A conversation's own entry is
 * also compared directly (it may share a partial block only). So a stateless client that resends
 * the whole history, and conversations that share a system prompt, both reuse KV.
 *
 * <p>This is also the one record of a conversation's token sequence (what the model saw and said,
 * {@link GenerationEvent.Finished#sequence}): a keyed entry's tokens are readable from any thread
 * through {@link #sequence} (a concurrent map written only here), so a client can build the next
 * turn's prompt from those very ids; dropping the entry (evicted, forgotten) drops both the KV and
 * the ids. Everything else: scheduler thread only.
 *
 * <p>KV depends on the weights that computed it: an entry made with a LoRA adapter matches only
 * prompts of the same adapter (its block hashes are seeded by the adapter), never the base's.
 */
final class PrefixCache {

    static final class Entry {
        final long id;
        final String key; // null for anonymous entries
        final int seq;
        final int[] tokens;       // the sequence; its first kvLength tokens are in the KV
        final int kvLength;       // fixed while idle: nothing appends to an idle sequence
        final long[] blockHashes; // chained hash of each whole block of tokens (those in the KV)
        final LoraWeights adapter; // the weights the KV was computed with (null: the base)

        Entry(long id, String key, int seq, int[] tokens, int kvLength, long[] blockHashes, LoraWeights adapter) {
            this.id = id;
            this.adapter = adapter;
            this.key = key;
            this.seq = seq;
            this.tokens = tokens;
            this.kvLength = kvLength;
            this.blockHashes = blockHashes;
        }
    }

    record Match(Entry entry, int common) {}

    private final KvCacheManager kv;
    private final int maxEntries;
    // access order = LRU order; keys are unique ids, since anonymous entries have no key
    private final LinkedHashMap<Long, Entry> entries = new LinkedHashMap<>(16, 0.75f, true);
    // chained block hash → the idle entries holding that prefix (insertion order: the oldest answers)
    private final HashMap<Long, LinkedHashSet<Entry>> byBlock = new HashMap<>();
    // conversation → its one entry (put replaces an older one)
    private final HashMap<String, Entry> byKey = new HashMap<>();
    // conversation → its sequence, for readers on other threads (a mirror of byKey's tokens)
    private final ConcurrentHashMap<String, int[]> sequences = new ConcurrentHashMap<>();
    // anonymous entries' sequences by entry id, for readers on other threads (see idleSequences)
    private final ConcurrentHashMap<Long, int[]> anonymous = new ConcurrentHashMap<>();
    private final int blockTokens;
    private final KvDiskStore disk; // null: evicted KV is gone
    private long nextId;

    PrefixCache(KvCacheManager kv, int maxEntries, int blockTokens) {
        this(kv, maxEntries, blockTokens, null);
    }

    /** With {@code disk}, a conversation's KV is written there when it is evicted or at {@link #clear} (shutdown). */
    PrefixCache(KvCacheManager kv, int maxEntries, int blockTokens, KvDiskStore disk) {
        this.kv = kv;
        this.maxEntries = maxEntries;
        this.blockTokens = blockTokens;
        this.disk = disk;
    }

    /**
     * Hands a conversation's KV to the disk store: a copy of its blocks here (the one cost on this
     * thread), the file write on the store's thread. Anonymous entries and adapters' KV stay in memory
     * only. Returns true when a write was queued (or, {@code now}, done).
     */
    private boolean spill(Entry e, boolean now) {
        if (disk == null || e.key == null || e.adapter != null || e.kvLength == 0) return false;
        if (now) return disk.writeNow(e.key, e.tokens, e.kvLength, kv.exportBlocks(e.seq, e.kvLength));
        return disk.write(e.key, e.tokens, e.kvLength, kv.exportBlocks(e.seq, e.kvLength));
    }

    /** Hash of block {@code b} of {@code tokens} chained onto the previous blocks' hash {@code h}. */
    private long chain(long h, int[] tokens, int b) {
        for (int i = b * blockTokens, end = i + blockTokens; i < end; i++) {
            h = (h ^ tokens[i]) * 0x9E3779B97F4A7C15L;
            h ^= h >>> 32;
        }
        return h;
    }

    /** The chain's start: a different one per adapter, so no block is ever shared across weights. */
    private static long seed(LoraWeights adapter) {
        return 0x2545F4914F6CDD1DL ^ (adapter == null ? 0 : (System.identityHashCode(adapter) * 0x9E3779B97F4A7C15L));
    }

    private long[] blockHashes(int[] tokens, int n, LoraWeights adapter) {
        long[] hs = new long[n / blockTokens];
        long h = seed(adapter);
        for (int b = 0; b < hs.length; b++) hs[b] = h = chain(h, tokens, b);
        return hs;
    }

    private static int commonPrefix(int[] a, int[] b, int from, int n) {
        int c = from;
        while (c < n && a[c] == b[c]) c++;
        return c;
    }

    /**
     * The entry sharing the longest prefix with {@code prompt}, at most {@code prompt.length - 1}
     * tokens (the last prompt token is always recomputed: its logits pick the first new token).
     * Returns null if nothing is shared. An entry with the same key wins ties. Only entries made
     * with the same {@code adapter} count.
     */
    Match longestPrefix(int[] prompt, String key, LoraWeights adapter) {
        int limit = prompt.length - 1;
        Match best = null;
        // the deepest whole block any entry shares, by chained hash (verified: a collision costs a miss)
        long h = seed(adapter);
        LinkedHashSet<Entry> deep = null;
        int blocks = 0;
        for (int b = 0; (b + 1) * blockTokens <= limit; b++) {
            h = chain(h, prompt, b);
            LinkedHashSet<Entry> holders = byBlock.get(h);
            Entry e = holders == null ? null : holders.getFirst();
            if (e == null || e.adapter != adapter || commonPrefix(e.tokens, prompt, b * blockTokens, (b + 1) * blockTokens) < (b + 1) * blockTokens) break;
            deep = holders;
            blocks = b + 1;
        }
        if (deep != null) {
            // of the entries holding the deepest shared block, the one sharing most of the partial block after it (the oldest
            // on ties): a resent history's own last turn, not an older request that only starts alike, so that its tokens'
            // KV is reused as computed rather than prefilled again (other kernels, other float rounding than decode's)
            int from = blocks * blockTokens;
            for (Entry e : deep) {
                if (e.adapter != adapter || commonPrefix(e.tokens, prompt, 0, from) < from) continue; // a hash collision
                int c = commonPrefix(e.tokens, prompt, from, Math.min(e.kvLength, limit));
                if (best == null || c > best.common) best = new Match(e, c);
            }
        }
        // the conversation's own entry may share more (a partial block, or all of it)
        Entry own = key == null ? null : byKey.get(key);
        if (own != null && own.adapter == adapter) {
            int n = Math.min(own.kvLength, limit);
            int c = commonPrefix(own.tokens, prompt, 0, n);
            if (c > 0 && (best == null || c >= best.common)) best = new Match(own, c);
        }
        return best;
    }

    /** Removes the entry without freeing its sequence (the caller takes it over). */
    void take(Entry e) {
        remove(e);
    }

    private void remove(Entry e) {
        entries.remove(e.id);
        if (e.key != null && byKey.remove(e.key, e)) sequences.remove(e.key);
        if (e.key == null) anonymous.remove(e.id);
        for (long bh : e.blockHashes) {
            LinkedHashSet<Entry> holders = byBlock.get(bh);
            if (holders != null && holders.remove(e) && holders.isEmpty()) byBlock.remove(bh);
        }
    }

    /** Marks an entry used (moves it to the young end of the LRU order). */
    void touch(Entry e) {
        entries.get(e.id);
    }

    /**
     * Keeps {@code seq} resident with the sequence it belongs to ({@code tokens}; the KV may hold one
     * token less: the last one sampled is never fed); an older entry of the same conversation is
     * freed (it is stale now).
     */
    void put(String key, int seq, int[] tokens, LoraWeights adapter) {
        if (key != null) drop(key);
        long id = nextId++;
        int inKv = Math.min(tokens.length, kv.length(seq));
        Entry e = new Entry(id, key, seq, tokens, inKv, blockHashes(tokens, inKv, adapter), adapter);
        entries.put(id, e);
        if (key != null) {
            byKey.put(key, e);
            sequences.put(key, tokens);
        } else {
            anonymous.put(id, tokens);
        }
        for (long bh : e.blockHashes) byBlock.computeIfAbsent(bh, k -> new LinkedHashSet<>()).add(e);
        while (entries.size() > maxEntries) evictOldest();
    }

    /** Every idle sequence (anonymous and stored turns), for a caller that matches them on text; any thread. */
    List<int[]> idleSequences() {
        List<int[]> out = new java.util.ArrayList<>(anonymous.values());
        out.addAll(sequences.values());
        return out;
    }

    /** The token sequence the conversation's last turn left (resident, else on disk), or null; any thread. */
    int[] sequence(String key) {
        if (key == null) return null;
        int[] s = sequences.get(key);
        return s != null || disk == null ? s : disk.tokens(key);
    }

    /** True when the conversation's KV is resident; any thread. */
    boolean resident(String key) {
        return key != null && sequences.containsKey(key);
    }

    /** Frees the conversation's entries and its file on disk (conversation deleted). */
    void forget(String key) {
        drop(key);
        if (disk != null) disk.delete(key);
    }

    /** Frees the conversation's resident entry (a newer turn replaces it). */
    private void drop(String key) {
        Entry e = byKey.get(key);
        if (e != null) {
            remove(e);
            kv.free(e.seq);
        }
    }

    /** The one eviction: out of the index, its KV to the disk store (when there is one), its blocks freed. */
    private Scheduler.Evicted evict(Entry e) {
        remove(e);
        boolean spilled = spill(e, false);
        kv.free(e.seq);
        return new Scheduler.Evicted(e.key, e.kvLength, spilled);
    }

    /** Frees the least recently used entry except {@code keep}; returns its token count, or -1 if none. */
    int evictOldest(Entry keep) {
        for (Entry e : entries.values()) {
            if (e == keep) continue;
            return evict(e).tokens();
        }
        return -1;
    }

    int evictOldest() {
        return evictOldest(null);
    }

    /** Evicts the conversation's idle entry now, as if the LRU had picked it; null when none is resident. */
    Scheduler.Evicted evict(String key) {
        Entry e = byKey.get(key);
        return e == null ? null : evict(e);
    }

    /** Evicts every idle entry (anonymous prompts' too), least recently used first. */
    List<Scheduler.Evicted> evictAll() {
        List<Scheduler.Evicted> out = new ArrayList<>();
        for (Entry e : new ArrayList<>(entries.values())) out.add(evict(e));
        return out;
    }

    int size() {
        return entries.size();
    }

    /** Frees everything (shutdown), writing conversations to disk first (on this thread) when there is a disk store. */
    void clear() {
        for (Entry e : new ArrayList<>(entries.values())) {
            try {
                spill(e, true); // shutdown: written before the scheduler's close returns
            } catch (RuntimeException x) {
                System.getLogger(PrefixCache.class.getName()).log(System.Logger.Level.WARNING, "could not spill conversation " + e.key + ": " + x);
            }
            kv.free(e.seq);
        }
        entries.clear();
        byBlock.clear();
        byKey.clear();
        sequences.clear();
        anonymous.clear();
    }

    List<String> keys() {
        List<String> k = new ArrayList<>();
        for (Entry e : entries.values()) k.add(e.key);
        return k;
    }
}

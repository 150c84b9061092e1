package dev.jllm.server;

import dev.jllm.model.KvCacheManager;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;

/**
 * KV sequences kept resident after their turn ended, with the token ids they hold, so the next turn
 * of a conversation prefills only its new tokens. Entries are keyed by conversation (or anonymous)
 * and evicted least-recently-used first when the scheduler needs blocks.
 *
 * <p>Lookup is by longest common token prefix over all idle entries (as llama.cpp's slot reuse), so a
 * stateless client that resends the whole history benefits too. Scheduler thread only.
 */
final class PrefixCache {

    static final class Entry {
        final long id;
        final String key; // null for anonymous entries
        final int seq;
        final int[] tokens;

        Entry(long id, String key, int seq, int[] tokens) {
            this.id = id;
            this.key = key;
            this.seq = seq;
            this.tokens = tokens;
        }
    }

    record Match(Entry entry, int common) {}

    private final KvCacheManager kv;
    private final int maxEntries;
    // access order = LRU order; keys are unique ids, since anonymous entries have no key
    private final LinkedHashMap<Long, Entry> entries = new LinkedHashMap<>(16, 0.75f, true);
    private long nextId;

    PrefixCache(KvCacheManager kv, int maxEntries) {
        this.kv = kv;
        this.maxEntries = maxEntries;
    }

    /**
     * The entry sharing the longest prefix with {@code prompt}, at most {@code prompt.length - 1}
     * tokens (the last prompt token is always recomputed: its logits pick the first new token).
     * Returns null if nothing is shared. An entry with the same key wins ties.
     */
    Match longestPrefix(int[] prompt, String key) {
        Match best = null;
        for (Entry e : entries.values()) {
            int n = Math.min(Math.min(e.tokens.length, prompt.length - 1), kv.length(e.seq));
            int c = 0;
            while (c < n && e.tokens[c] == prompt[c]) c++;
            if (c == 0) continue;
            if (best == null || c > best.common || (c == best.common && key != null && key.equals(e.key))) best = new Match(e, c);
        }
        return best;
    }

    /** Removes the entry without freeing its sequence (the caller takes it over). */
    void take(Entry e) {
        entries.remove(e.id);
    }

    /** Marks an entry used (moves it to the young end of the LRU order). */
    void touch(Entry e) {
        entries.get(e.id);
    }

    /** Keeps {@code seq} resident; an older entry of the same conversation is freed (it is stale now). */
    void put(String key, int seq, int[] tokens) {
        if (key != null) forget(key);
        long id = nextId++;
        entries.put(id, new Entry(id, key, seq, tokens));
        while (entries.size() > maxEntries) evictOldest();
    }

    /** Frees the conversation's entries (conversation deleted). */
    void forget(String key) {
        for (Iterator<Entry> it = entries.values().iterator(); it.hasNext(); ) {
            Entry e = it.next();
            if (key.equals(e.key)) {
                it.remove();
                kv.free(e.seq);
            }
        }
    }

    /** Frees the least recently used entry except {@code keep}; returns its token count, or -1 if none. */
    int evictOldest(Entry keep) {
        for (Iterator<Entry> it = entries.values().iterator(); it.hasNext(); ) {
            Entry e = it.next();
            if (e == keep) continue;
            it.remove();
            int n = kv.length(e.seq);
            kv.free(e.seq);
            return n;
        }
        return -1;
    }

    int evictOldest() {
        return evictOldest(null);
    }

    int size() {
        return entries.size();
    }

    /** Frees everything (shutdown). */
    void clear() {
        for (Entry e : new ArrayList<>(entries.values())) kv.free(e.seq);
        entries.clear();
    }

    List<String> keys() {
        List<String> k = new ArrayList<>();
        for (Entry e : entries.values()) k.add(e.key);
        return k;
    }
}

package dev.jllm.server;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The token sequence each conversation's last turn ended with (prompt + reply ids), so the next
 * turn's prompt can start from the very ids the model saw and produced ({@link PromptBuilder#splice})
 * and so reuse all of the conversation's resident KV. Keyed by conversation id, or by response id
 * for previous_response_id chains. Bounded (least recently used out); losing an entry costs only
 * a re-tokenized history, never correctness. Thread-safe.
 */
final class TurnTokens {
    private final Map<String, int[]> last;

    TurnTokens(int maxEntries) {
        if (maxEntries < 0) throw new IllegalArgumentException("maxEntries must be >= 0, got " + maxEntries);
        last = new LinkedHashMap<>(16, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, int[]> e) {
                return size() > maxEntries;
            }
        };
    }

    synchronized int[] get(String key) {
        return key == null ? null : last.get(key);
    }

    synchronized void put(String key, int[] sequence) {
        if (key != null && sequence != null) last.put(key, sequence);
    }

    synchronized void forget(String key) {
        last.remove(key);
    }

    synchronized int size() {
        return last.size();
    }
}

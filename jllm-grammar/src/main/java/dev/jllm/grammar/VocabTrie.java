package dev.jllm.grammar;

import dev.jllm.tokenizer.TokenType;
import dev.jllm.tokenizer.Tokenizer;
import java.util.Arrays;
import java.util.Collections;
import java.util.Map;
import java.util.WeakHashMap;

/**
 * Every token's bytes in a trie laid out in preorder, computed once per vocabulary and shared by all
 * requests (immutable after construction).
 *
 * <p>Why preorder arrays: a walk visits nodes in index order and, when a prefix is rejected,
 * jumps to {@link #next} (the index after its subtree) — every token that starts with a rejected
 * prefix is skipped without being looked at, and there are no pointers to chase. Tokens sharing a
 * prefix ("{\"", "{\"name") share the work of matching it.
 *
 * <p>Left out: control/unknown/unused tokens (their bytes are a marker's text, not output; the
 * mask allows end-of-generation tokens itself) and tokens with no bytes.
 */
final class VocabTrie {
    private static final Map<Tokenizer, VocabTrie> CACHE = Collections.synchronizedMap(new WeakHashMap<>());

    final int vocabSize;
    final byte[] label;   // byte on the edge into node i
    final int[] depth;    // 1 for children of the (implicit) root
    final int[] next;     // index after node i's subtree
    final int[] tokStart; // tokens ending at node i: tokIds[tokStart[i] .. tokStart[i + 1])
    final int[] tokIds;
    final int maxDepth;
    final int[] eog;      // end-of-generation token ids
    final byte[][] bytes; // per token id, null when left out

    private VocabTrie(Tokenizer tok) {
        vocabSize = tok.vocabSize();
        bytes = new byte[vocabSize][];
        int[] eogs = new int[8];
        int ne = 0, count = 0;
        for (int id = 0; id < vocabSize; id++) {
            if (tok.isEog(id)) {
                if (ne == eogs.length) eogs = Arrays.copyOf(eogs, ne * 2);
                eogs[ne++] = id;
                continue;
            }
            TokenType t = tok.tokenType(id);
            if (t.isSpecial() || t == TokenType.UNUSED) continue;
            byte[] b = tok.tokenBytes(id);
            if (b.length == 0) continue;
            bytes[id] = b;
            count++;
        }
        eog = Arrays.copyOf(eogs, ne);
        Integer[] order = new Integer[count];
        int k = 0;
        for (int id = 0; id < vocabSize; id++) if (bytes[id] != null) order[k++] = id;
        Arrays.sort(order, (a, b) -> Arrays.compareUnsigned(bytes[a], bytes[b]));
        // upper bound on nodes: total bytes
        long total = 0;
        int md = 0;
        for (int id : order) {
            total += bytes[id].length;
            md = Math.max(md, bytes[id].length);
        }
        maxDepth = md;
        byte[] lab = new byte[(int) total];
        int[] dep = new int[(int) total], nxt = new int[(int) total];
        int[] tokOfNode = new int[count];
        int[] path = new int[md + 1]; // node index per depth along the current path
        int nodes = 0, pathLen = 0;
        byte[] prev = new byte[0];
        int ti = 0;
        int[] ids = new int[count];
        for (int id : order) {
            byte[] b = bytes[id];
            int common = 0;
            while (common < prev.length && common < b.length && prev[common] == b[common]) common++;
            while (pathLen > common) nxt[path[--pathLen]] = nodes; // close subtrees left behind
            for (int d = common; d < b.length; d++) {
                lab[nodes] = b[d];
                dep[nodes] = d + 1;
                path[pathLen++] = nodes;
                nodes++;
            }
            int end = path[b.length - 1];
            tokOfNode[ti] = end;
            ids[ti++] = id;
            prev = b;
        }
        while (pathLen > 0) nxt[path[--pathLen]] = nodes;
        label = Arrays.copyOf(lab, nodes);
        depth = Arrays.copyOf(dep, nodes);
        next = Arrays.copyOf(nxt, nodes);
        // tokens are in preorder of their end nodes already (sorted bytes), so group them by node
        tokStart = new int[nodes + 1];
        for (int i = 0; i < count; i++) tokStart[tokOfNode[i] + 1]++;
        for (int i = 0; i < nodes; i++) tokStart[i + 1] += tokStart[i];
        tokIds = new int[count];
        int[] fill = Arrays.copyOf(tokStart, nodes);
        for (int i = 0; i < count; i++) tokIds[fill[tokOfNode[i]]++] = ids[i];
    }

    /** The trie of a tokenizer's vocabulary, built on first use (~0.5 s for 150k tokens) and kept while the tokenizer lives. */
    static VocabTrie of(Tokenizer tok) {
        synchronized (CACHE) {
            return CACHE.computeIfAbsent(tok, VocabTrie::new);
        }
    }

    int nodeCount() {
        return label.length;
    }
}

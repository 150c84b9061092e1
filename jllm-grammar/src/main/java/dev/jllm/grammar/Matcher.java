package dev.jllm.grammar;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The pushdown matcher of llama.cpp's grammar sampler, with every stack and every set of stacks
 * interned, so a matcher state is one int and each (state, code point) step is computed once.
 *
 * <p>A <b>stack</b> is a linked list of nodes (position, node below); node 0 is the empty stack (the
 * grammar is complete). The top of a live stack is always a character class: a rule reference is
 * expanded into one stack per alternative, and the continuation after a reference is pushed only
 * when the reference is not the last element of its sequence (a tail call pops instead). The tail
 * call matters: {@code x-rep ::= x x-rep |} then loops back to the very same stack, so a string
 * of any length stays one state, and states repeat — which is what makes caching masks by state work.
 *
 * <p>A <b>state</b> (set id) is the sorted set of stacks that are still possible; set 0 is the dead
 * state (no stack left). Not thread-safe: one matcher per request, used on the decoding thread.
 */
final class Matcher {
    final Grammar g;

    // interned stack nodes; node 0 = the empty stack
    private int[] nodePos = new int[256];
    private int[] nodeBelow = new int[256];
    private int nodeCount = 1;
    private final LongIntMap nodeIndex = new LongIntMap();

    // interned stack sets; set 0 = dead
    private final List<int[]> sets = new ArrayList<>();
    private final Map<SetKey, Integer> setIndex = new HashMap<>();
    private int[][] asciiNext = new int[16][];          // [set][c < 128] -> set + 1 (0 = not computed yet)
    private final LongIntMap wideNext = new LongIntMap(); // (set << 21 | c) -> set, for c >= 128

    // scratch for one expansion
    private final LongIntMap seen = new LongIntMap();
    private int[] out = new int[64];
    private int outCount;

    private final int initial;

    Matcher(Grammar g) {
        this.g = g;
        intern(new int[0]); // set 0: dead
        outCount = 0;
        seen.clear();
        expandRule(g.root, 0);
        initial = internOut();
    }

    /** The state before any character. */
    int initial() {
        return initial;
    }

    /** Whether the input so far is a complete match (one of its stacks is empty). */
    boolean isComplete(int set) {
        int[] s = sets.get(set);
        return s.length > 0 && s[0] == 0;
    }

    /** The state after code point {@code c}, or 0 if no stack accepts it. */
    int accept(int set, int c) {
        if (set == 0) return 0;
        if (c < 128) {
            int[] row = asciiNext[set];
            if (row == null) row = asciiNext[set] = new int[128];
            int n = row[c];
            if (n != 0) return n - 1;
            int r = step(set, c);
            row[c] = r + 1;
            return r;
        }
        long key = ((long) set << 21) | c;
        int n = wideNext.get(key);
        if (n >= 0) return n;
        int r = step(set, c);
        wideNext.put(key, r);
        return r;
    }

    /** Whether a UTF-8 sequence begun with these bits ({@code remain} bytes to come) can still be accepted by some stack. */
    boolean acceptsPartial(int set, int partial, int remain) {
        for (int node : sets.get(set)) {
            if (node != 0 && g.matchesPartial(nodePos[node], partial, remain)) return true;
        }
        return false;
    }

    /** Number of distinct states seen so far (for tests and statistics). */
    int stateCount() {
        return sets.size();
    }

    private int step(int set, int c) {
        outCount = 0;
        seen.clear();
        for (int node : sets.get(set)) {
            if (node == 0) continue;
            int pos = nodePos[node];
            if (g.matches(pos, c)) expand(g.afterClass(pos), nodeBelow[node]);
        }
        return internOut();
    }

    /** Adds every stack reachable from executing {@code pos} with {@code below} underneath (llama_grammar_advance_stack). */
    private void expand(int pos, int below) {
        long key = ((long) pos << 32) | below;
        if (seen.get(key) >= 0) return;
        seen.put(key, 1);
        if (g.isEndOfSequence(pos)) {
            if (below == 0) add(0);
            else expand(nodePos[below], nodeBelow[below]);
            return;
        }
        if (g.type[pos] == Grammar.RULE_REF) {
            int cont = g.isEndOfSequence(pos + 1) ? below : node(pos + 1, below);
            expandRule(g.value[pos], cont);
            return;
        }
        add(node(pos, below)); // a character class: a stack top
    }

    private void expandRule(int rule, int below) {
        int a = g.ruleStart[rule];
        while (true) {
            expand(a, below);
            while (!g.isEndOfSequence(a)) a++;
            if (g.type[a] == Grammar.ALT) a++;
            else break;
        }
    }

    private int node(int pos, int below) {
        long key = ((long) pos << 32) | below;
        int id = nodeIndex.get(key);
        if (id >= 0) return id;
        if (nodeCount == nodePos.length) {
            nodePos = Arrays.copyOf(nodePos, nodeCount * 2);
            nodeBelow = Arrays.copyOf(nodeBelow, nodeCount * 2);
        }
        id = nodeCount++;
        nodePos[id] = pos;
        nodeBelow[id] = below;
        nodeIndex.put(key, id);
        return id;
    }

    private void add(int node) {
        if (outCount == out.length) out = Arrays.copyOf(out, outCount * 2);
        out[outCount++] = node;
    }

    private int internOut() {
        int[] s = Arrays.copyOf(out, outCount);
        Arrays.sort(s);
        int k = 0;
        for (int i = 0; i < s.length; i++) if (i == 0 || s[i] != s[i - 1]) s[k++] = s[i];
        return intern(k == s.length ? s : Arrays.copyOf(s, k));
    }

    private int intern(int[] s) {
        if (s.length == 0 && !sets.isEmpty()) return 0;
        SetKey key = new SetKey(s);
        Integer id = setIndex.get(key);
        if (id != null) return id;
        int nid = sets.size();
        sets.add(s);
        setIndex.put(key, nid);
        if (nid == asciiNext.length) asciiNext = Arrays.copyOf(asciiNext, nid * 2);
        return nid;
    }

    /** The stacks of a state as position lists, bottom first (for the reference comparison in tests). */
    List<List<Integer>> stacks(int set) {
        List<List<Integer>> r = new ArrayList<>();
        for (int node : sets.get(set)) {
            List<Integer> st = new ArrayList<>();
            for (int n = node; n != 0; n = nodeBelow[n]) st.addFirst(nodePos[n]);
            r.add(st);
        }
        return r;
    }

    private record SetKey(int[] s) {
        @Override
        public boolean equals(Object o) {
            return o instanceof SetKey k && Arrays.equals(s, k.s);
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(s);
        }
    }
}

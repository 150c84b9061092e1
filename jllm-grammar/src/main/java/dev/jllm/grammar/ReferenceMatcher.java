package dev.jllm.grammar;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The slow reference beside {@link Matcher} and {@link GrammarMask}: llama.cpp's grammar sampler
 * written plainly — stacks as position lists (top last), no interning, no caches, no trie; each
 * token's bytes decoded and run through the stacks on their own. Tests check the fast path against
 * it state by state and token by token.
 */
final class ReferenceMatcher {
    private final Grammar g;

    ReferenceMatcher(Grammar g) {
        this.g = g;
    }

    /** A state: the stacks, and the bytes of an unfinished UTF-8 character. */
    record State(List<List<Integer>> stacks, byte[] pending) {
        boolean complete() {
            return pending.length == 0 && stacks.stream().anyMatch(List::isEmpty);
        }
    }

    State initial() {
        List<List<Integer>> out = new ArrayList<>();
        int a = g.ruleStart[g.root];
        while (true) {
            List<Integer> st = new ArrayList<>();
            if (!g.isEndOfSequence(a)) st.add(a);
            advance(st, out);
            while (!g.isEndOfSequence(a)) a++;
            if (g.type[a] == Grammar.ALT) a++;
            else break;
        }
        return new State(out, new byte[0]);
    }

    /** llama_grammar_advance_stack: expands rule references on top until every stack ends at a character class (or is empty). */
    private void advance(List<Integer> stack, List<List<Integer>> out) {
        List<List<Integer>> todo = new ArrayList<>();
        todo.add(stack);
        Set<List<Integer>> seen = new HashSet<>();
        while (!todo.isEmpty()) {
            List<Integer> cur = todo.removeLast();
            if (!seen.add(cur)) continue;
            if (cur.isEmpty()) {
                if (!out.contains(cur)) out.add(cur);
                continue;
            }
            int pos = cur.getLast();
            if (g.type[pos] == Grammar.RULE_REF) {
                int sub = g.ruleStart[g.value[pos]];
                while (true) {
                    List<Integer> next = new ArrayList<>(cur.subList(0, cur.size() - 1));
                    if (!g.isEndOfSequence(pos + 1)) next.add(pos + 1);
                    if (!g.isEndOfSequence(sub)) next.add(sub);
                    todo.add(next);
                    while (!g.isEndOfSequence(sub)) sub++;
                    if (g.type[sub] == Grammar.ALT) sub++;
                    else break;
                }
            } else {
                if (!out.contains(cur)) out.add(cur);
            }
        }
    }

    List<List<Integer>> acceptChar(List<List<Integer>> stacks, int c) {
        List<List<Integer>> out = new ArrayList<>();
        for (List<Integer> st : stacks) {
            if (st.isEmpty()) continue;
            int pos = st.getLast();
            if (!g.matches(pos, c)) continue;
            List<Integer> next = new ArrayList<>(st.subList(0, st.size() - 1));
            int after = g.afterClass(pos);
            if (!g.isEndOfSequence(after)) next.add(after);
            advance(next, out);
        }
        return out;
    }

    /** The state after a token's bytes, or null if the grammar rejects them. */
    State accept(State s, byte[] token) {
        byte[] b = new byte[s.pending.length + token.length];
        System.arraycopy(s.pending, 0, b, 0, s.pending.length);
        System.arraycopy(token, 0, b, s.pending.length, token.length);
        List<List<Integer>> stacks = s.stacks;
        int i = 0;
        while (i < b.length) {
            int lead = b[i] & 0xFF;
            int len = lead < 0x80 ? 1 : (lead & 0xE0) == 0xC0 ? 2 : (lead & 0xF0) == 0xE0 ? 3 : lead >= 0xF0 && lead <= 0xF4 ? 4 : -1;
            if (len < 0) return null;
            int cp = len == 1 ? lead : len == 2 ? lead & 0x1F : len == 3 ? lead & 0x0F : lead & 0x07;
            int have = Math.min(len, b.length - i);
            for (int k = 1; k < have; k++) {
                int x = b[i + k] & 0xFF;
                if ((x & 0xC0) != 0x80) return null;
                cp = (cp << 6) | (x & 0x3F);
            }
            if (have < len) { // an unfinished character: it must be able to become valid, and some stack must be able to take it
                int remain = len - have;
                if (have >= 2) {
                    int two = (cp >> (6 * (have - 2))); // the bits of the first two bytes
                    if (!GrammarMask.viable(two, len - 2, len)) return null;
                }
                List<List<Integer>> st = stacks;
                int partial = cp;
                if (st.stream().noneMatch(x -> !x.isEmpty() && g.matchesPartial(x.getLast(), partial, remain))) return null;
                return new State(stacks, Arrays.copyOfRange(b, i, b.length));
            }
            if (len > 1 && !validCodePoint(cp, len)) return null;
            stacks = acceptChar(stacks, cp);
            if (stacks.isEmpty()) return null;
            i += len;
        }
        return new State(stacks, new byte[0]);
    }

    private static boolean validCodePoint(int cp, int len) {
        int min = len == 2 ? 0x80 : len == 3 ? 0x800 : 0x10000;
        return cp >= min && cp <= 0x10FFFF && !(cp >= 0xD800 && cp <= 0xDFFF);
    }

    /** The allowed tokens of a vocabulary (null bytes = never allowed; {@code eog} allowed when complete). */
    long[] allowed(State s, byte[][] vocab, int[] eog) {
        long[] bits = new long[(vocab.length + 63) >>> 6];
        for (int id = 0; id < vocab.length; id++) {
            if (vocab[id] != null && accept(s, vocab[id]) != null) bits[id >>> 6] |= 1L << id;
        }
        if (s.complete()) for (int id : eog) bits[id >>> 6] |= 1L << id;
        return bits;
    }
}

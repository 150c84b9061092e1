package dev.jllm.grammar;

/**
 * Refuses left-recursive grammars ({@code expr ::= expr "+" term}), as llama.cpp does: a pushdown
 * matcher would expand such a rule forever. A rule is entered through its leftmost symbols, and
 * through the next ones while the previous may match the empty string.
 */
final class LeftRecursion {
    private LeftRecursion() {}

    static void check(Grammar g) {
        int n = g.ruleCount();
        boolean[] visited = new boolean[n], inProgress = new boolean[n], mayBeEmpty = new boolean[n];
        for (int r = 0; r < n; r++) {
            if (!visited[r] && detect(g, r, visited, inProgress, mayBeEmpty)) {
                throw new GrammarException("rule '" + g.ruleNames[r] + "' is left-recursive (it can reach itself before matching a character);"
                        + " rewrite it with repetition, e.g. expr ::= term (\"+\" term)*");
            }
        }
    }

    private static boolean detect(Grammar g, int r, boolean[] visited, boolean[] inProgress, boolean[] mayBeEmpty) {
        if (inProgress[r]) return true;
        if (visited[r]) return false; // fully explored before without reaching a rule in progress
        inProgress[r] = true;
        int start = g.ruleStart[r];
        int end = r + 1 < g.ruleStart.length ? g.ruleStart[r + 1] : g.type.length;
        boolean atStart = true;
        for (int i = start; i < end; i++) {
            if (g.isEndOfSequence(i)) {
                if (atStart) {
                    mayBeEmpty[r] = true;
                    break;
                }
                atStart = true;
            } else {
                atStart = false;
            }
        }
        boolean recurse = true;
        for (int i = start; i < end; i++) {
            if (g.type[i] == Grammar.RULE_REF && recurse) {
                if (detect(g, g.value[i], visited, inProgress, mayBeEmpty)) return true;
                if (!mayBeEmpty[g.value[i]]) recurse = false;
            } else if (g.isEndOfSequence(i)) {
                recurse = true;
            } else {
                recurse = false;
            }
        }
        inProgress[r] = false;
        visited[r] = true;
        return false;
    }
}

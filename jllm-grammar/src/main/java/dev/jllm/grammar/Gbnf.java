package dev.jllm.grammar;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Parser of GBNF, llama.cpp's grammar format (grammars/README.md there): {@code name ::= alternatives},
 * literals {@code "..."}, classes {@code [a-z]} / {@code [^"]}, {@code .}, groups, {@code * + ?} and
 * {@code {m}, {m,}, {m,n}}, comments {@code #}, escapes {@code \x.. \\u.... \U........ \t \r \n \\ \" \[ \]}.
 * A port of llama_grammar_parser: repetitions are rewritten into generated rules the same way, and
 * the same limits apply (2000 repetitions). Not supported: token references ({@code <...>}, which
 * name vocabulary ids and so depend on one model) — an error says so.
 *
 * <p>Errors are {@link GrammarException}s with the line and column.
 */
public final class Gbnf {
    private static final int MAX_REPETITION_THRESHOLD = 2000;

    private final int[] src; // code points, 0-terminated
    private final String text;
    private final Map<String, Integer> symbolIds = new LinkedHashMap<>();
    private final List<List<int[]>> rules = new ArrayList<>(); // per rule id: {type, value} elements

    private Gbnf(String text) {
        this.text = text;
        int[] cps = text.codePoints().toArray();
        this.src = new int[cps.length + 1];
        System.arraycopy(cps, 0, src, 0, cps.length);
    }

    /** Parses a grammar; its start rule is {@code root}. */
    public static Grammar parse(String text) {
        if (text == null || text.isBlank()) throw new GrammarException("the grammar is empty; it needs at least a 'root ::= ...' rule");
        Gbnf p = new Gbnf(text);
        p.parseAll();
        return p.build();
    }

    private void parseAll() {
        int pos = parseSpace(0, true);
        while (src[pos] != 0) pos = parseRule(pos);
        for (int id = 0; id < rules.size(); id++) {
            if (rules.get(id) == null) throw new GrammarException("rule '" + nameOf(id) + "' is used but never defined");
        }
        for (Map.Entry<String, Integer> e : symbolIds.entrySet()) {
            if (e.getValue() >= rules.size() || rules.get(e.getValue()) == null) {
                throw new GrammarException("rule '" + e.getKey() + "' is used but never defined");
            }
        }
        if (!symbolIds.containsKey("root")) throw new GrammarException("the grammar has no 'root' rule (the start symbol)");
    }

    private Grammar build() {
        int n = rules.size();
        int total = 0;
        for (List<int[]> r : rules) total += r.size();
        int[] type = new int[total], value = new int[total], start = new int[n];
        String[] names = new String[n];
        int k = 0;
        for (int id = 0; id < n; id++) {
            start[id] = k;
            for (int[] e : rules.get(id)) {
                type[k] = e[0];
                value[k++] = e[1];
            }
        }
        for (Map.Entry<String, Integer> e : symbolIds.entrySet()) names[e.getValue()] = e.getKey();
        // rule refs point at rule ids; the matcher wants them as rule ids too (start via ruleStart)
        Grammar g = new Grammar(type, value, start, names, symbolIds.get("root"), text);
        LeftRecursion.check(g);
        return g;
    }

    private String nameOf(int id) {
        for (Map.Entry<String, Integer> e : symbolIds.entrySet()) if (e.getValue() == id) return e.getKey();
        return "#" + id;
    }

    private int symbolId(String name) {
        return symbolIds.computeIfAbsent(name, k -> symbolIds.size());
    }

    private int generateSymbolId(String base) {
        int id = symbolIds.size();
        symbolIds.put(base + "_" + id, id);
        return id;
    }

    private void addRule(int id, List<int[]> rule) {
        while (rules.size() <= id) rules.add(null);
        rules.set(id, rule);
    }

    private static boolean isWordChar(int c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-' || (c >= '0' && c <= '9');
    }

    private int parseSpace(int pos, boolean newlineOk) {
        while (src[pos] == ' ' || src[pos] == '\t' || src[pos] == '#' || (newlineOk && (src[pos] == '\r' || src[pos] == '\n'))) {
            if (src[pos] == '#') {
                while (src[pos] != 0 && src[pos] != '\r' && src[pos] != '\n') pos++;
            } else {
                pos++;
            }
        }
        return pos;
    }

    private int parseName(int pos) {
        int p = pos;
        while (isWordChar(src[p])) p++;
        if (p == pos) throw error(pos, "expecting a rule name (letters, digits, '-')");
        return p;
    }

    private int parseInt(int pos) {
        int p = pos;
        while (src[p] >= '0' && src[p] <= '9') p++;
        if (p == pos) throw error(pos, "expecting an integer");
        return p;
    }

    /** One (possibly escaped) character: {value, next position}. */
    private int[] parseChar(int pos) {
        if (src[pos] == '\\') {
            return switch (src[pos + 1]) {
                case 'x' -> parseHex(pos + 2, 2);
                case 'u' -> parseHex(pos + 2, 4);
                case 'U' -> parseHex(pos + 2, 8);
                case 't' -> new int[] {'\t', pos + 2};
                case 'r' -> new int[] {'\r', pos + 2};
                case 'n' -> new int[] {'\n', pos + 2};
                case '\\', '"', '[', ']' -> new int[] {src[pos + 1], pos + 2};
                default -> throw error(pos, "unknown escape '\\" + (src[pos + 1] == 0 ? "" : Character.toString(src[pos + 1]))
                        + "' (valid: \\x.. \\u.... \\U........ \\t \\r \\n \\\\ \\\" \\[ \\])");
            };
        }
        if (src[pos] != 0) return new int[] {src[pos], pos + 1};
        throw error(pos, "unexpected end of input");
    }

    private int[] parseHex(int pos, int size) {
        long v = 0;
        for (int i = 0; i < size; i++) {
            int c = src[pos + i];
            int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
            if (d < 0) throw error(pos, "expecting " + size + " hex digits");
            v = v * 16 + d;
        }
        if (v > Character.MAX_CODE_POINT) throw error(pos, "code point " + Long.toHexString(v) + " is beyond U+10FFFF");
        return new int[] {(int) v, pos + size};
    }

    private int parseAlternates(int pos, String ruleName, int ruleId, boolean nested) {
        List<int[]> rule = new ArrayList<>();
        pos = parseSequence(pos, ruleName, rule, nested);
        while (src[pos] == '|') {
            rule.add(new int[] {Grammar.ALT, 0});
            pos = parseSpace(pos + 1, true);
            pos = parseSequence(pos, ruleName, rule, nested);
        }
        rule.add(new int[] {Grammar.END, 0});
        addRule(ruleId, rule);
        return pos;
    }

    private int parseSequence(int pos, String ruleName, List<int[]> rule, boolean nested) {
        int lastSymStart = rule.size();
        long[] nPrevRules = {1};
        while (src[pos] != 0) {
            int c = src[pos];
            if (c == '"') {
                pos++;
                lastSymStart = rule.size();
                nPrevRules[0] = 1;
                while (src[pos] != '"') {
                    if (src[pos] == 0) throw error(pos, "unexpected end of input in a literal (missing closing '\"')");
                    int[] ch = parseChar(pos);
                    pos = ch[1];
                    rule.add(new int[] {Grammar.CHAR, ch[0]});
                }
                pos = parseSpace(pos + 1, nested);
            } else if (c == '[') {
                pos++;
                int startType = Grammar.CHAR;
                if (src[pos] == '^') {
                    pos++;
                    startType = Grammar.CHAR_NOT;
                }
                lastSymStart = rule.size();
                nPrevRules[0] = 1;
                while (src[pos] != ']') {
                    if (src[pos] == 0) throw error(pos, "unexpected end of input in a character class (missing ']')");
                    int[] ch = parseChar(pos);
                    pos = ch[1];
                    rule.add(new int[] {lastSymStart < rule.size() ? Grammar.CHAR_ALT : startType, ch[0]});
                    if (src[pos] == '-' && src[pos + 1] != ']') {
                        if (src[pos + 1] == 0) throw error(pos, "unexpected end of input in a character range");
                        int[] end = parseChar(pos + 1);
                        pos = end[1];
                        rule.add(new int[] {Grammar.CHAR_RNG_UPPER, end[0]});
                    }
                }
                if (lastSymStart == rule.size()) throw error(pos, "empty character class '[]'");
                pos = parseSpace(pos + 1, nested);
            } else if (c == '<' || c == '!') {
                throw error(pos, "token references (<...>, !<...>) are not supported: they name ids of one vocabulary; write the text as a literal");
            } else if (isWordChar(c)) {
                int end = parseName(pos);
                int ref = symbolId(new String(src, pos, end - pos));
                pos = parseSpace(end, nested);
                lastSymStart = rule.size();
                nPrevRules[0] = 1;
                rule.add(new int[] {Grammar.RULE_REF, ref});
            } else if (c == '(') {
                pos = parseSpace(pos + 1, true);
                int before = symbolIds.size();
                int sub = generateSymbolId(ruleName);
                pos = parseAlternates(pos, ruleName, sub, true);
                nPrevRules[0] = Math.max(1, symbolIds.size() - before);
                lastSymStart = rule.size();
                rule.add(new int[] {Grammar.RULE_REF, sub});
                if (src[pos] != ')') throw error(pos, "expecting ')'");
                pos = parseSpace(pos + 1, nested);
            } else if (c == '.') {
                lastSymStart = rule.size();
                nPrevRules[0] = 1;
                rule.add(new int[] {Grammar.CHAR_ANY, 0});
                pos = parseSpace(pos + 1, nested);
            } else if (c == '*') {
                pos = parseSpace(pos + 1, nested);
                repeat(pos, rule, lastSymStart, ruleName, nPrevRules, 0, -1);
            } else if (c == '+') {
                pos = parseSpace(pos + 1, nested);
                repeat(pos, rule, lastSymStart, ruleName, nPrevRules, 1, -1);
            } else if (c == '?') {
                pos = parseSpace(pos + 1, nested);
                repeat(pos, rule, lastSymStart, ruleName, nPrevRules, 0, 1);
            } else if (c == '{') {
                pos = parseSpace(pos + 1, nested);
                if (!(src[pos] >= '0' && src[pos] <= '9')) throw error(pos, "expecting an integer after '{'");
                int end = parseInt(pos);
                long min = Long.parseLong(new String(src, pos, end - pos));
                pos = parseSpace(end, nested);
                long max = -1;
                if (src[pos] == '}') {
                    max = min;
                    pos = parseSpace(pos + 1, nested);
                } else if (src[pos] == ',') {
                    pos = parseSpace(pos + 1, nested);
                    if (src[pos] >= '0' && src[pos] <= '9') {
                        int e2 = parseInt(pos);
                        max = Long.parseLong(new String(src, pos, e2 - pos));
                        pos = parseSpace(e2, nested);
                    }
                    if (src[pos] != '}') throw error(pos, "expecting '}'");
                    pos = parseSpace(pos + 1, nested);
                } else {
                    throw error(pos, "expecting ',' or '}'");
                }
                if (min > MAX_REPETITION_THRESHOLD) throw error(pos, "at most " + MAX_REPETITION_THRESHOLD + " repetitions are allowed, got " + min);
                if (max > MAX_REPETITION_THRESHOLD) max = -1;
                if (max >= 0 && max < min) throw error(pos, "repetition {" + min + "," + max + "}: the maximum is below the minimum");
                repeat(pos, rule, lastSymStart, ruleName, nPrevRules, min, max);
            } else {
                break;
            }
        }
        return pos;
    }

    /**
     * Rewrites the last symbol for a repetition (llama.cpp's rules):
     * S{m,n} → S×m S'(n-m) with S'(x) ::= S S'(x-1) | ; S{m,} → S×m S' with S' ::= S S' | .
     */
    private void repeat(int pos, List<int[]> rule, int lastSymStart, String ruleName, long[] nPrevRules, long min, long max) {
        boolean noMax = max < 0;
        if (lastSymStart == rule.size()) throw error(pos, "nothing to repeat before '*', '+', '?' or '{'");
        List<int[]> prev = new ArrayList<>(rule.subList(lastSymStart, rule.size()));
        long totalRules = !noMax && max > 0 ? max : min > 0 ? min : 1;
        if (nPrevRules[0] * totalRules >= MAX_REPETITION_THRESHOLD) {
            throw error(pos, "the repetition would generate " + nPrevRules[0] * totalRules + " rules (limit " + MAX_REPETITION_THRESHOLD
                    + "); reduce the repetition counts or the repeated rule's size");
        }
        if (min == 0) {
            rule.subList(lastSymStart, rule.size()).clear();
        } else {
            for (long i = 1; i < min; i++) rule.addAll(prev);
        }
        int lastRec = 0;
        long nOpt = noMax ? 1 : max - min;
        for (long i = 0; i < nOpt; i++) {
            List<int[]> rec = new ArrayList<>(prev);
            int recId = generateSymbolId(ruleName);
            if (i > 0 || noMax) rec.add(new int[] {Grammar.RULE_REF, noMax ? recId : lastRec});
            rec.add(new int[] {Grammar.ALT, 0});
            rec.add(new int[] {Grammar.END, 0});
            addRule(recId, rec);
            lastRec = recId;
        }
        if (nOpt > 0) rule.add(new int[] {Grammar.RULE_REF, lastRec});
        nPrevRules[0] *= totalRules;
    }

    private int parseRule(int pos) {
        int nameEnd = parseName(pos);
        String name = new String(src, pos, nameEnd - pos);
        int p = parseSpace(nameEnd, false);
        int id = symbolId(name);
        if (!(src[p] == ':' && src[p + 1] == ':' && src[p + 2] == '=')) throw error(p, "expecting '::=' after rule name '" + name + "'");
        p = parseSpace(p + 3, true);
        p = parseAlternates(p, name, id, false);
        if (src[p] == '\r') {
            p += src[p + 1] == '\n' ? 2 : 1;
        } else if (src[p] == '\n') {
            p++;
        } else if (src[p] != 0) {
            throw error(p, "expecting a newline or the end after rule '" + name + "', got '" + Character.toString(src[p]) + "'");
        }
        return parseSpace(p, true);
    }

    private GrammarException error(int pos, String message) {
        int line = 1, col = 1;
        for (int i = 0; i < pos && i < src.length - 1; i++) {
            if (src[i] == '\n') {
                line++;
                col = 1;
            } else {
                col++;
            }
        }
        return new GrammarException("grammar line " + line + ", column " + col + ": " + message);
    }
}

package dev.jllm.grammar;

import static org.junit.jupiter.api.Assertions.*;

import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The GBNF parser's errors and the fast matcher against the reference on random walks. */
class GbnfTest {
    static boolean matches(Grammar g, String s) {
        Matcher m = new Matcher(g);
        int st = m.initial();
        for (int cp : s.codePoints().toArray()) {
            st = m.accept(st, cp);
            if (st == 0) return false;
        }
        return m.isComplete(st);
    }

    static boolean referenceMatches(Grammar g, String s) {
        ReferenceMatcher r = new ReferenceMatcher(g);
        var st = r.initial().stacks();
        for (int cp : s.codePoints().toArray()) {
            st = r.acceptChar(st, cp);
            if (st.isEmpty()) return false;
        }
        return st.stream().anyMatch(List::isEmpty);
    }

    @Test
    void literalsClassesRepetitionsAndEscapes() {
        Grammar g = Gbnf.parse("""
                # a comment
                root ::= "a" [b-d]+ x{2,3} ("!" | "?")? [^\\n]* "\\u00e9"
                x ::= [0-9]
                """);
        assertTrue(matches(g, "abb12!tailé"));
        assertTrue(matches(g, "ad123é"));
        assertFalse(matches(g, "a12é"), "[b-d]+ needs one");
        assertFalse(matches(g, "ab1é"), "x{2,3} needs two");
        assertFalse(matches(g, "ab12\né"));
        assertTrue(matches(g, "ab123?é"));
    }

    @Test
    void errorsNameThePlaceAndTheFix() {
        assertTrue(assertThrows(GrammarException.class, () -> Gbnf.parse("foo ::= \"a\"")).getMessage().contains("no 'root' rule"));
        assertTrue(assertThrows(GrammarException.class, () -> Gbnf.parse("root ::= foo")).getMessage().contains("'foo' is used but never defined"));
        String e = assertThrows(GrammarException.class, () -> Gbnf.parse("root ::= \"a\"\nx ::= \"b\" \"\\q\"")).getMessage();
        assertTrue(e.contains("line 2, column 12") && e.contains("unknown escape"), e);
        assertTrue(assertThrows(GrammarException.class, () -> Gbnf.parse("root ::= root \"a\" | \"b\"")).getMessage().contains("left-recursive"));
        // left recursion through a rule that may be empty (llama.cpp's test-grammar-integration cases)
        assertThrows(GrammarException.class, () -> Gbnf.parse("root ::= asdf\nasdf ::= \"a\" | asdf \"a\""));
        assertThrows(GrammarException.class, () -> Gbnf.parse("root ::= asdf\nasdf ::= \"a\" | foo \"b\"\nfoo ::= \"c\" | asdf \"d\" | \"e\""));
        assertThrows(GrammarException.class, () -> Gbnf.parse("root ::= asdf\nasdf ::= \"a\" | foo \"b\"\nfoo ::= \"c\" | \"\" | asdf \"d\" | \"e\""));
        assertThrows(GrammarException.class, () -> Gbnf.parse("root ::= asdf\nasdf ::= \"a\" | foo \"b\"\nfoo ::= \"c\" | baz asdf \"d\" | \"e\"\nbaz ::= \"\" | foo"));
        assertTrue(assertThrows(GrammarException.class, () -> Gbnf.parse("root ::= <[12]>")).getMessage().contains("token references"));
        assertTrue(assertThrows(GrammarException.class, () -> Gbnf.parse("root ::= \"a\"{3000}")).getMessage().contains("2000"));
        assertThrows(GrammarException.class, () -> Gbnf.parse("root ::= \"a"));
        assertThrows(GrammarException.class, () -> Gbnf.parse(" "));
    }

    /** Random strings from an alphabet, steered toward accepted characters: the interned matcher's stacks equal the reference's at every step. */
    @Test
    void fastMatcherEqualsReferenceOnRandomWalks() {
        String json = """
                root   ::= object
                value  ::= object | array | string | number | ("true" | "false" | "null") ws
                object ::= "{" ws ( string ":" ws value ("," ws string ":" ws value)* )? "}" ws
                array  ::= "[" ws ( value ("," ws value)* )? "]" ws
                string ::= "\\"" ( [^"\\\\\\x7F\\x00-\\x1F] | "\\\\" (["\\\\bfnrt] | "u" [0-9a-fA-F]{4}) )* "\\"" ws
                number ::= ("-"? ([0-9] | [1-9] [0-9]{0,15})) ("." [0-9]+)? ([eE] [-+]? [0-9] [1-9]{0,15})? ws
                ws ::= | " " | "\\n" [ \\t]{0,20}
                """;
        String nullable = "root ::= a b\na ::= (\"x\" | \"y\" \"y\"?)* \"x\"?\nb ::= c | \"z\" b\nc ::= \"w\"*\n";
        Random rnd = new Random(7);
        int[] alphabet = "{}[]\",:0123456789-.eE+ntrufalsxyzw\\ \n\tAé😀".codePoints().toArray();
        for (String src : List.of(json, nullable)) {
            Grammar g = Gbnf.parse(src);
            for (int walk = 0; walk < 40; walk++) {
                Matcher m = new Matcher(g);
                ReferenceMatcher r = new ReferenceMatcher(g);
                int st = m.initial();
                var ref = r.initial().stacks();
                for (int step = 0; step < 60; step++) {
                    assertEquals(new java.util.HashSet<>(ref), new java.util.HashSet<>(m.stacks(st)), "stacks at step " + step);
                    int c = alphabet[rnd.nextInt(alphabet.length)];
                    for (int tries = 0; tries < 20 && r.acceptChar(ref, c).isEmpty(); tries++) c = alphabet[rnd.nextInt(alphabet.length)];
                    int next = m.accept(st, c);
                    var refNext = r.acceptChar(ref, c);
                    assertEquals(refNext.isEmpty(), next == 0, "dead state agrees");
                    if (next == 0) break;
                    st = next;
                    ref = refNext;
                }
            }
        }
    }
}

package dev.jllm.chat;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class SourceRewriterTest {

    @Test
    void rewritesOnlyInsideTags() {
        assertEquals("x[::-1] {{ (messages|reverse) }}", SourceRewriter.rewrite("x[::-1] {{ messages[::-1] }}\n"));
        assertEquals("{%- set ns = namespace(a=(m|length - 1), b=(true)) %}",
                SourceRewriter.rewrite("{%- set ns = namespace(a=m|length - 1, b=true) %}"));
        assertEquals("{% if not (x|length == 1) and not (y is none) %}",
                SourceRewriter.rewrite("{% if not x|length == 1 and not y is none %}"));
        assertEquals("{{ a is not none and b not in c }}", SourceRewriter.rewrite("{{ a is not none and b not in c }}"));
        assertEquals("{# not x == 1 #}'not a == b'", SourceRewriter.rewrite("{# not x == 1 #}'not a == b'"));
    }

    @Test
    void loopFiltersBecomeAPreFilteredList() {
        // the kept items are collected first, so loop.last counts only them, as in Jinja
        ChatTemplate t = ChatTemplate.of("{% for k, v in {'a': 1, 'return': 2, 'b': 3}.items() if k != 'return' %}"
                + "{{ k }}={{ v }}{% if not loop.last %}, {% endif %}{% endfor %}", null, null);
        assertEquals("a=1, b=3", t.render(ChatTemplateTest.HELLO, false));
    }
}

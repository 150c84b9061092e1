package dev.jllm.chat;

import dev.jllm.testkit.TestData;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jllm.gguf.GgufArray;
import dev.jllm.gguf.GgufFile;
import dev.jllm.gguf.GgufValue;
import dev.jllm.gguf.GgufWriter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Errors, limits, sandboxing, GGUF loading and the fallback; rendering fidelity is ChatTemplateGoldenTest's. */
class ChatTemplateTest {

    static final Path TEMPLATES = TestData.root().resolve("chat/templates");
    static final List<ChatMessage> HELLO = List.of(ChatMessage.user("Hello"));

    static ChatTemplate load(String name, String bos, String eos) throws IOException {
        return ChatTemplate.of(Files.readString(TEMPLATES.resolve(name)), bos, eos);
    }

    static ChatTemplateException fails(String source) {
        return assertThrows(ChatTemplateException.class, () -> ChatTemplate.of(source, null, null).render(HELLO, true));
    }

    @Test
    void syntaxErrorsAreFoundWhenCompiling() {
        ChatTemplateException e = assertThrows(ChatTemplateException.class,
                () -> ChatTemplate.of("{% for m in messages %}{{ m.content }}", null, null));
        assertEquals(ChatTemplateException.Kind.SYNTAX, e.kind());
        assertTrue(e.getMessage().startsWith("chat template: line 1: "), e.getMessage());
        assertTrue(e.getMessage().contains("endfor"), e.getMessage());
    }

    @Test
    void unknownFiltersAndTestsAreSyntaxErrorsWithTheirLine() {
        ChatTemplateException f = assertThrows(ChatTemplateException.class,
                () -> ChatTemplate.of("text\n{{ 'a|b' }}\n{{ messages|foo }}", null, null));
        assertEquals("chat template: line 3: unknown filter 'foo'", f.getMessage());
        ChatTemplateException t = assertThrows(ChatTemplateException.class,
                () -> ChatTemplate.of("{% if x is not shiny %}{% endif %}", null, null));
        assertEquals("chat template: line 1: unknown test 'shiny'", t.getMessage());
    }

    @Test
    void raiseExceptionCarriesTheTemplatesOwnMessage() {
        ChatTemplateException e = fails("{% if messages[0].role == 'user' %}{{ raise_exception('Only ' ~ 'assistants!') }}{% endif %}");
        assertEquals(ChatTemplateException.Kind.RAISED, e.kind());
        assertEquals("Only assistants!", e.getMessage());
    }

    @Test
    void templatesCannotReachJavaMethodsOrFiles() {
        for (String hostile : List.of(
                "{{ messages[0].content.getClass() }}",
                "{{ messages.getClass().forName('java.lang.Runtime') }}",
                "{{ messages[0].content.toUpperCase() }}",
                "{{ messages[0].hashCode() }}")) {
            ChatTemplateException e = fails(hostile);
            assertEquals(ChatTemplateException.Kind.RENDER, e.kind(), hostile);
            assertTrue(e.getMessage().contains("unknown method"), e.getMessage());
        }
        // bean properties of plain values are invisible too ("abc".bytes would be getBytes())
        assertEquals("[]", ChatTemplate.of("[{{ messages[0].content.bytes }}]", null, null).render(HELLO, false));
        ChatTemplateException include = fails("{% include '/etc/passwd' %}");
        assertTrue(include.getMessage().contains("include"), include.getMessage());
    }

    @Test
    void hugeOutputIsStoppedAtTheLimit() {
        String kilobyte = "x".repeat(1024);
        ChatTemplateException e = fails("{% for i in range(99999) %}{% for j in range(999) %}{{ '" + kilobyte + "' }}{% endfor %}{% endfor %}");
        assertEquals(ChatTemplateException.Kind.LIMIT, e.kind(), e.getMessage());
    }

    @Test
    void endlessLoopsAreStoppedByTheClock() {
        long start = System.nanoTime();
        ChatTemplateException e = fails("{% for i in range(99999) %}{% for j in range(99999) %}{% endfor %}{% endfor %}");
        assertEquals(ChatTemplateException.Kind.LIMIT, e.kind(), e.getMessage());
        assertTrue(System.nanoTime() - start < 20_000_000_000L, "took too long");
    }

    @Test
    void fallbackIsTheChatMlTemplateCheckedAgainstPython() throws IOException {
        // chatml.jinja is the OpenHermes template that ChatTemplateGoldenTest holds against Python jinja2
        assertEquals(Files.readString(TEMPLATES.resolve("chatml.jinja")), ChatTemplate.FALLBACK_SOURCE);
        assertEquals("<|im_start|>user\nHello<|im_end|>\n<|im_start|>assistant\n", ChatTemplate.fallback().render(HELLO, true));
    }

    @Test
    void messageTextThatLooksLikeJinjaIsPrintedNotEvaluated() {
        // Jinja never re-reads what a template printed (Python: jinja2 renders "{{ 1 + 1 }}" in a message as those characters);
        // Jinjava does by default ("nested interpretation"): LLaMA-Factory's dpo_en_demo record 2 ("within curly braces ( '{{ ... }}' )")
        // then failed to render, and a message could run template code
        String text = "tag the word within curly braces ( '{{ ... }}' ); {{ 1 + 1 }} {% if true %}x{% endif %}";
        assertEquals("<|im_start|>user\n" + text + "<|im_end|>\n<|im_start|>assistant\n",
                ChatTemplate.fallback().render(List.of(ChatMessage.user(text)), true));
    }

    @Test
    void fromGgufReadsTemplateAndSpecialTokens(@TempDir Path dir) throws IOException {
        Path withTemplate = dir.resolve("with.gguf");
        new GgufWriter()
                .put("tokenizer.chat_template", GgufValue.ofString("{{ bos_token }}{{ messages[0].content }}{{ eos_token }}"))
                .put("tokenizer.ggml.tokens", GgufValue.ofArray(GgufArray.ofStrings("<unk>", "<s>", "</s>", "a")))
                .put("tokenizer.ggml.bos_token_id", GgufValue.ofUInt32(1))
                .put("tokenizer.ggml.eos_token_id", GgufValue.ofUInt32(2))
                .write(withTemplate);
        try (GgufFile f = GgufFile.open(withTemplate)) {
            ChatTemplate t = ChatTemplate.fromGguf(f);
            assertEquals("<s>Hello</s>", t.render(HELLO, true));
            assertEquals("<s>", t.bosToken());
        }
        Path without = dir.resolve("without.gguf");
        new GgufWriter().put("tokenizer.ggml.tokens", GgufValue.ofArray(GgufArray.ofStrings("<unk>"))).write(without);
        try (GgufFile f = GgufFile.open(without)) {
            ChatTemplate t = ChatTemplate.fromGguf(f);
            assertEquals(ChatTemplate.FALLBACK_SOURCE, t.source());
            assertNull(t.bosToken());
        }
    }

    @Test
    void toolCallArgumentsMayBeAJsonString() throws IOException {
        ChatTemplate qwen = load("qwen2.5.jinja", null, "<|im_end|>");
        Map<String, Object> args = new LinkedHashMap<>();
        args.put("city", "Zürich");
        args.put("days", 2);
        List<ChatMessage> asMap = List.of(ChatMessage.user("Weather?"), call(Map.of("name", "get_weather", "arguments", args)));
        List<ChatMessage> asString = List.of(ChatMessage.user("Weather?"),
                call(Map.of("name", "get_weather", "arguments", "{\"city\": \"Zürich\", \"days\": 2}")));
        String rendered = qwen.render(asMap, false);
        assertTrue(rendered.contains("{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Zürich\", \"days\": 2}}"), rendered);
        assertEquals(rendered, qwen.render(asString, false));
    }

    private static ChatMessage call(Map<String, Object> function) {
        return new ChatMessage("assistant", "", List.of(Map.of("id", "call0A1b2", "type", "function", "function", function)), null, null);
    }

    @Test
    void capabilitiesComeFromTheSource() throws IOException {
        assertTrue(load("qwen3.jinja", null, null).supportsTools());
        assertFalse(load("chatml.jinja", null, null).supportsTools());
        assertFalse(load("gemma-2.jinja", null, null).supportsSystemRole());
        assertTrue(load("gemma-3.jinja", null, null).supportsSystemRole());
    }

    @Test
    void rendersConcurrentlyWithoutInterference() throws Exception {
        ChatTemplate qwen3 = load("qwen3.jinja", null, "<|im_end|>");
        List<List<ChatMessage>> conversations = new ArrayList<>();
        for (int i = 0; i < 64; i++) {
            conversations.add(List.of(ChatMessage.system("s" + i), ChatMessage.user("question " + i)));
        }
        List<String> sequential = conversations.stream().map(c -> qwen3.render(c, true)).toList();
        try (ExecutorService pool = Executors.newFixedThreadPool(4)) {
            List<Future<String>> futures = conversations.stream().map(c -> pool.submit(() -> qwen3.render(c, true))).toList();
            for (int i = 0; i < futures.size(); i++) assertEquals(sequential.get(i), futures.get(i).get());
        }
    }
}

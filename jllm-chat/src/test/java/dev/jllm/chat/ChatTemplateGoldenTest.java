package dev.jllm.chat;

import dev.jllm.testkit.TestData;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Every template in testdata/chat/templates renders every case of expected.json byte for byte like
 * Python jinja2 set up as transformers' apply_chat_template (see testdata/chat/generate_expected.py).
 */
class ChatTemplateGoldenTest {

    static final Path DIR = TestData.root().resolve("chat");
    static final ObjectMapper JSON = new ObjectMapper();

    @TestFactory
    Stream<DynamicTest> everyTemplateMatchesPythonJinja() throws IOException {
        JsonNode expected = JSON.readTree(DIR.resolve("expected.json").toFile());
        Clock clock = Clock.fixed(LocalDateTime.parse(expected.get("fixed_now").asText()).toInstant(ZoneOffset.UTC),
                ZoneOffset.UTC);
        List<Map<String, Object>> tools = JSON.convertValue(expected.get("tools"), List.class);
        List<DynamicTest> tests = new ArrayList<>();
        var templates = expected.get("templates").properties();
        assertEquals(11, templates.size(), "templates in expected.json");
        for (var t : templates) {
            JsonNode spec = t.getValue();
            String source = Files.readString(DIR.resolve("templates").resolve(spec.get("file").asText()));
            ChatTemplate template = ChatTemplate.of(source, text(spec.get("bos_token")), text(spec.get("eos_token")))
                    .withClock(clock);
            for (JsonNode c : spec.get("cases")) {
                List<ChatMessage> messages = Conversations.read(expected.get("conversations").get(c.get("conversation").asText()));
                Map<String, Object> extra = JSON.convertValue(c.get("extra"), Map.class);
                boolean gen = c.get("add_generation_prompt").asBoolean();
                List<Map<String, Object>> caseTools = c.get("tools").asBoolean() ? tools : null;
                tests.add(DynamicTest.dynamicTest(t.getKey() + " " + c.get("case").asText(), () -> {
                    if (c.has("error")) {
                        ChatTemplateException e = assertThrows(ChatTemplateException.class,
                                () -> template.render(messages, gen, caseTools, extra));
                        assertEquals(ChatTemplateException.Kind.RAISED, e.kind(), e.getMessage());
                        assertEquals(c.get("error").asText(), e.getMessage());
                    } else {
                        assertEquals(c.get("output").asText(), template.render(messages, gen, caseTools, extra));
                    }
                }));
            }
        }
        assertTrue(tests.size() > 90, "cases: " + tests.size());
        return tests.stream();
    }

    private static String text(JsonNode n) {
        return n == null || n.isNull() ? null : n.asText();
    }
}

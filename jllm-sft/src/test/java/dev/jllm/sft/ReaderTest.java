package dev.jllm.sft;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jllm.chat.ChatMessage;
import dev.jllm.testkit.TestData;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every record shape, JSONL and JSON arrays, and the file:line errors a user sees. */
class ReaderTest {
    @TempDir
    Path dir;

    static final SftReader.Options SKIP = new SftReader.Options(Format.AUTO, null, true);

    List<Conversation> read(String jsonl) throws IOException {
        return SftReader.read(Fixtures.write(dir, "d.jsonl", jsonl), SftReader.Options.DEFAULT).conversations();
    }

    String error(String name, String text, SftReader.Options o) {
        return assertThrows(SftException.class, () -> SftReader.read(Fixtures.write(dir, name, text), o)).getMessage()
                .replace(dir.toString() + "/", "");
    }

    String error(String jsonl) {
        return error("d.jsonl", jsonl, SftReader.Options.DEFAULT);
    }

    static List<String> roles(Conversation c) {
        return c.messages().stream().map(ChatMessage::role).toList();
    }

    @Test
    void openAiMessagesWithTextPartsToolsAndWeights() throws IOException {
        Conversation c = read("""
                {"messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": [{"type": "text", "text": "Weather "}, {"type": "text", "text": "in Paris?"}]}, \
                {"role": "assistant", "content": null, "tool_calls": [{"id": "c1", "type": "function", "function": {"name": "w", "arguments": "{\\"city\\": \\"Paris\\"}"}}], "weight": 0}, \
                {"role": "tool", "tool_call_id": "c1", "content": "sunny"}, {"role": "assistant", "content": "Sunny."}], \
                "tools": [{"type": "function", "function": {"name": "w", "parameters": {}}}]}
                """).getFirst();
        assertEquals(List.of("system", "user", "assistant", "tool", "assistant"), roles(c));
        assertEquals("Weather in Paris?", c.messages().get(1).content());
        assertEquals("w", ((Map<?, ?>) c.messages().get(2).toolCalls().getFirst().get("function")).get("name"));
        assertEquals("c1", c.messages().get(3).toolCallId());
        assertEquals(List.of(4), c.trainable(), "weight 0 keeps the turn as context only");
        assertEquals(1, c.tools().size());
        assertEquals(1, c.line());
    }

    @Test
    void alpacaAsLlamaFactoryReadsIt() throws IOException {
        Conversation c = read("""
                {"instruction": "Translate", "input": "bonjour", "output": "hello", "system": "You translate.", "history": [["Hi", "Hello!"]]}
                """).getFirst();
        assertEquals(List.of("system", "user", "assistant", "user", "assistant"), roles(c));
        assertEquals("Translate\nbonjour", c.messages().get(3).content(), "instruction + \\n + input");
        assertEquals(List.of(2, 4), c.trainable(), "history answers are learned too (LLaMA-Factory's default)");
        Conversation noInput = read("{\"instruction\": \"Say hi\", \"input\": \"\", \"output\": \"hi\"}\n").getFirst();
        assertEquals(List.of(ChatMessage.user("Say hi"), ChatMessage.assistant("hi")), noInput.messages());
    }

    @Test
    void shareGptAsLlamaFactoryMapsIt() throws IOException {
        Conversation c = read("""
                {"conversations": [{"from": "human", "value": "2+2?"}, {"from": "function_call", "value": "{\\"name\\": \\"calc\\", \\"arguments\\": {\\"x\\": \\"2+2\\"}}"}, \
                {"from": "observation", "value": "4"}, {"from": "gpt", "value": "It is 4."}], "system": "Use tools.", "tools": "[{\\"name\\": \\"calc\\"}]"}
                """).getFirst();
        assertEquals(List.of("system", "user", "assistant", "tool", "assistant"), roles(c));
        assertEquals("Use tools.", c.messages().getFirst().content());
        Map<?, ?> fn = (Map<?, ?>) c.messages().get(2).toolCalls().getFirst().get("function");
        assertEquals("calc", fn.get("name"));
        assertEquals(Map.of("x", "2+2"), fn.get("arguments"));
        assertEquals(List.of(2, 4), c.trainable(), "function_call turns are learned, as in LLaMA-Factory");
        assertEquals(List.of(Map.of("name", "calc")), c.tools());
        // a leading system turn wins over the column; user/assistant spellings are accepted; non-JSON calls stay text
        Conversation d = read("""
                {"conversations": [{"from": "system", "value": "S"}, {"from": "user", "value": "q"}, {"from": "function_call", "value": "calc(2+2)"}], "system": "ignored"}
                """).getFirst();
        assertEquals(List.of(ChatMessage.system("S"), ChatMessage.user("q"), ChatMessage.assistant("calc(2+2)")), d.messages());
    }

    @Test
    void formatIsDetectedPerRecordOrForced() throws IOException {
        String mixed = """
                {"messages": [{"role": "user", "content": "a"}, {"role": "assistant", "content": "b"}]}
                {"instruction": "a", "output": "b"}
                {"conversations": [{"from": "human", "value": "a"}, {"from": "gpt", "value": "b"}]}
                {"messages": [{"from": "human", "value": "a"}, {"from": "gpt", "value": "b"}]}
                """;
        List<Conversation> all = read(mixed);
        assertEquals(4, all.size());
        for (Conversation c : all) assertEquals(List.of(ChatMessage.user("a"), ChatMessage.assistant("b")), c.messages());
        assertEquals(List.of(1L, 2L, 3L, 4L), all.stream().map(Conversation::line).toList());
        assertEquals("d.jsonl:1: record 1: missing field 'instruction' (the record has fields messages)",
                error("d.jsonl", mixed, new SftReader.Options(Format.ALPACA, null, false)));
        assertEquals("d.jsonl:1: record 1: cannot tell the format: expected 'messages' (OpenAI), 'conversations' (ShareGPT) or"
                + " 'instruction'/'output' (Alpaca); the record has fields text", error("{\"text\": \"plain\"}\n"));
    }

    @Test
    void jsonlErrorsNameFileLineAndWhatIsWrong() {
        String ok = "{\"instruction\": \"a\", \"output\": \"b\"}";
        assertEquals("d.jsonl:3: record 2: missing field 'output' (the record has fields instruction)",
                error(ok + "\n\n{\"instruction\": \"a\"}\n"));
        assertEquals("d.jsonl:2: record 2: messages[0].content must be a string or an array of text parts, got number",
                error(ok + "\n{\"messages\": [{\"role\": \"user\", \"content\": 5}, {\"role\": \"assistant\", \"content\": \"x\"}]}\n"));
        assertEquals("d.jsonl:1: record 1: roles must alternate: messages[1] is 'user' right after 'user'",
                error("{\"messages\": [{\"role\": \"user\", \"content\": \"a\"}, {\"role\": \"user\", \"content\": \"b\"}, {\"role\": \"assistant\", \"content\": \"c\"}]}\n"));
        assertEquals("d.jsonl:1: record 1: the conversation ends with a 'user' message: no assistant turn after it to learn",
                error("{\"messages\": [{\"role\": \"system\", \"content\": \"s\"}, {\"role\": \"user\", \"content\": \"a\"}]}\n"));
        assertEquals("d.jsonl:1: record 1: no assistant turn to learn from: every assistant message has weight 0",
                error("{\"messages\": [{\"role\": \"user\", \"content\": \"a\"}, {\"role\": \"assistant\", \"content\": \"b\", \"weight\": 0}]}\n"));
        assertEquals("d.jsonl:1: record 1: roles must alternate: conversations[1].from is 'human' where gpt or function_call is expected (as LLaMA-Factory requires)",
                error("{\"conversations\": [{\"from\": \"human\", \"value\": \"a\"}, {\"from\": \"human\", \"value\": \"b\"}]}\n"));
        assertEquals("d.jsonl:1: record 1: 'output' must be a string, got number", error("{\"instruction\": \"a\", \"output\": 3}\n"));
        assertEquals("d.jsonl:1: record 1: a preference record (chosen/rejected) is not supervised fine-tuning data; the record has fields instruction, chosen, rejected",
                error("{\"instruction\": \"a\", \"chosen\": \"b\", \"rejected\": \"c\"}\n"));
        assertTrue(error(ok + "\n{\"instruction\": \"a\", \"output\": \"b\"\n").startsWith("d.jsonl:2: record 2: invalid JSON at column "));
        assertTrue(error("{\"instruction\": \"a\", \"instruction\": \"b\", \"output\": \"c\"}\n").contains("Duplicate field 'instruction'"));
    }

    @Test
    void jsonArrayErrorsNameTheLineWhereTheObjectStarts() {
        String arr = """
                [
                  {
                    "instruction": "a",
                    "output": "b"
                  },
                  {"instruction": "c", "output": "d"},
                  {
                    "instruction": "e",
                    "input": ""
                  }
                ]
                """;
        assertEquals("d.json:7: record 3: missing field 'output' (the record has fields instruction, input)", error("d.json", arr, SftReader.Options.DEFAULT));
        // skipping keeps the good ones and counts the bad one
        SftReader.Result r = Fixtures.load(() -> SftReader.read(dir.resolve("d.json"), SKIP));
        assertEquals(2, r.conversations().size());
        assertEquals(List.of(2L, 6L), r.conversations().stream().map(Conversation::line).toList());
        assertEquals(1, r.badRecords());
        assertTrue(r.errors().getFirst().endsWith("d.json:7: record 3: missing field 'output' (the record has fields instruction, input)"));
        // broken JSON inside an array stops the read even when skipping: nothing after it can be found
        String broken = "[\n  {\"instruction\": \"a\", \"output\": \"b\"},\n  {\"instruction\": \"a\" \"output\": \"b\"}\n]\n";
        String msg = error("e.json", broken, SKIP);
        assertTrue(msg.startsWith("e.json:3: invalid JSON at column "), msg);
        assertTrue(msg.endsWith("(a JSON array that does not parse cannot be read past this point)"), msg);
        assertEquals("f.json:2: record 1: expected a JSON object, got string", error("f.json", "[\n\"text\"\n]", SftReader.Options.DEFAULT));
    }

    @Test
    void skippingBadJsonlRecordsCountsThemAndKeepsTheRest() throws IOException {
        String text = "{\"instruction\": \"a\", \"output\": \"b\"}\nnot json\n{\"output\": \"b\"}\n{\"instruction\": \"c\", \"output\": \"d\"}\n";
        SftReader.Result r = SftReader.read(Fixtures.write(dir, "d.jsonl", text), SKIP);
        assertEquals(2, r.conversations().size());
        assertEquals(2, r.badRecords());
        assertEquals(List.of(0, 3), r.conversations().stream().map(Conversation::index).toList(), "record numbers count bad records too");
        assertTrue(r.errors().get(0).contains("d.jsonl:2: record 2: invalid JSON"), r.errors().get(0));
        assertTrue(r.errors().get(1).endsWith("d.jsonl:3: record 3: missing field 'instruction' (the record has fields output)"), r.errors().get(1));
    }

    @Test
    void placeholdersAreFilledFromTheCallersVariables() throws IOException {
        Path identity = TestData.path("sft/identity.json");
        SftReader.Result plain = SftReader.read(identity, SftReader.Options.DEFAULT);
        assertEquals(91, plain.conversations().size());
        assertEquals("Hello! I am {{name}}, an AI assistant developed by {{author}}. How can I assist you today?",
                plain.conversations().getFirst().messages().get(1).content(), "no variables: texts untouched");
        SftReader.Result filled = SftReader.read(identity, new SftReader.Options(Format.AUTO, Map.of("name", "Jllm", "author", "the jllm authors"), false));
        assertEquals("Hello! I am Jllm, an AI assistant developed by the jllm authors. How can I assist you today?",
                filled.conversations().getFirst().messages().get(1).content());
        for (Conversation c : filled.conversations()) {
            for (ChatMessage m : c.messages()) assertFalse(m.content().contains("{{"), c.where() + ": " + m.content());
        }
        SftException e = assertThrows(SftException.class, () -> SftReader.read(identity, new SftReader.Options(Format.AUTO, Map.of("name", "Jllm"), false)));
        assertTrue(e.getMessage().endsWith("identity.json:2: record 1: output: placeholder {{author}} has no value (variables given: name)"), e.getMessage());
        assertEquals(2, e.line());
        assertEquals("d.jsonl:1: record 1: messages[0].content: placeholder {{ who }} has no value (variables given: none)".replace("{{ who }}", "{{who}}"),
                error("d.jsonl", "{\"messages\": [{\"role\": \"user\", \"content\": \"hi {{ who }}\"}, {\"role\": \"assistant\", \"content\": \"x\"}]}\n",
                        new SftReader.Options(Format.AUTO, Map.of(), false)));
    }

    @Test
    void llamaFactoryDemoSlicesReadAsAlpaca() throws IOException {
        for (String f : List.of("sft/alpaca_en_demo.200.json", "sft/alpaca_zh_demo.200.json")) {
            SftReader.Result r = SftReader.read(TestData.path(f), SftReader.Options.DEFAULT);
            assertEquals(200, r.conversations().size(), f);
            assertEquals(0, r.badRecords());
            Conversation first = r.conversations().getFirst();
            assertEquals(2, first.line(), "the first object's '{' is on line 2");
            assertEquals(List.of("user", "assistant"), roles(first));
            assertNull(first.tools());
        }
        Conversation zh = SftReader.read(TestData.path("sft/alpaca_zh_demo.200.json"), SftReader.Options.DEFAULT).conversations().getFirst();
        assertEquals("识别并解释给定列表中的两个科学理论：细胞理论和日心说。", zh.messages().getFirst().content());
    }

    @Test
    void gzipCompressedFilesAreReadAsTheyAre() throws IOException {
        for (String name : List.of("d.jsonl.gz", "d.json.gz")) {
            String text = name.contains("jsonl") ? "{\"instruction\": \"a\", \"output\": \"b\"}\n{\"instruction\": \"c\"}\n"
                    : "[\n  {\"instruction\": \"a\", \"output\": \"b\"},\n  {\"instruction\": \"c\"}\n]\n";
            Path f = dir.resolve(name);
            try (var out = new java.util.zip.GZIPOutputStream(java.nio.file.Files.newOutputStream(f))) {
                out.write(text.getBytes(java.nio.charset.StandardCharsets.UTF_8));
            }
            SftReader.Result r = SftReader.read(f, SKIP);
            assertEquals(1, r.conversations().size(), name);
            int line = name.contains("jsonl") ? 2 : 3;
            assertTrue(r.errors().getFirst().endsWith(name + ":" + line + ": record 2: missing field 'output' (the record has fields instruction)"), r.errors().getFirst());
        }
    }

    @Test
    void emptyFilesAndUnknownShapes() throws IOException {
        assertEquals(0, read("\n\n").size());
        assertEquals("d.jsonl:1: record 1: invalid JSON at column 2: Unexpected end-of-input: expected close marker for Object"
                + " (a JSON object spread over several lines? expected JSONL: one record per line, or a JSON array of records)",
                error("{\n\"instruction\": \"a\"\n}\n"));
    }
}

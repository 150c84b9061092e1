package dev.jllm.cli;

import dev.jllm.testkit.TestData;

import static org.junit.jupiter.api.Assertions.*;

import dev.jllm.chat.ChatMessage;
import dev.jllm.chat.ChatTemplate;
import dev.jllm.gguf.GgufFile;
import dev.jllm.engine.Generator;
import dev.jllm.model.KvCacheManager;
import dev.jllm.model.Matmul;
import dev.jllm.model.ModelFile;
import dev.jllm.model.SamplingParams;
import dev.jllm.model.Transformer;
import dev.jllm.model.Weights;
import dev.jllm.tensor.GgmlType;
import dev.jllm.tokenizer.GgufTokenizerLoader;
import dev.jllm.tokenizer.Tokenizer;
import java.io.ByteArrayInputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class ChatCommandTest {

    @Test
    void twoTurnsReuseTheCacheAndEqualFreshGreedyRuns() throws Exception {
        String model = TestData.path("models/stories260K.gguf").toString();
        ChatCommand cmd = new ChatCommand();
        cmd.input = new ByteArrayInputStream("Hello there\nTell me\n/exit\n".getBytes(StandardCharsets.UTF_8));
        StringWriter out = new StringWriter(), err = new StringWriter();
        CommandLine cl = new CommandLine(cmd);
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        assertEquals(0, cl.execute("-m", model, "--temp", "0", "-n", "12", "-t", "1"), err.toString());
        // reference: each turn generated from scratch with the same rendered prompt
        try (ModelFile f = ModelFile.open(java.nio.file.Path.of(model)); Matmul mm = new Matmul(1)) {
            Tokenizer tok = GgufTokenizerLoader.load(f.gguf());
            ChatTemplate t = ChatTemplate.fromGguf(f.gguf());
            Generator g = new Generator(new Transformer(new Weights(f), new KvCacheManager(f.config(), GgmlType.F16, 16, 16), mm), tok);
            SamplingParams sp = SamplingParams.GREEDY.withMaxTokens(12);
            String r1 = g.generate(tok.encode(t.render(List.of(ChatMessage.user("Hello there")), true), true, true), sp, null).text();
            String r2 = g.generate(tok.encode(t.render(List.of(ChatMessage.user("Hello there"), ChatMessage.assistant(r1),
                    ChatMessage.user("Tell me")), true), true, true), sp, null).text();
            assertEquals("> " + r1 + "\n> " + r2 + "\n> ", out.toString());
        }
        assertTrue(err.toString().matches("(?s).*\\[\\d+ prompt tokens, 0 reused.*\\[\\d+ prompt tokens, [1-9]\\d* reused.*"), err.toString());
    }
}

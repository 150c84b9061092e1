package dev.jllm.server;

import static org.junit.jupiter.api.Assertions.*;

import dev.jllm.chat.ChatTemplate;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The official {@code openai} npm SDK on issue 12's structured outputs and tool calls
 * (src/test/node/openai-tools.mjs) against a random-weight model rendering Qwen3's template:
 * json_schema (nested, enum, array) parsed and validated, json_object, chat tool calls auto /
 * required / named, streamed through the SDK's stream helper, a tool result sent back; the same
 * in the Responses API with function_call items, their stream events and function_call_output.
 */
@Timeout(value = 420, unit = TimeUnit.SECONDS)
class OpenAiNodeToolsTest {
    @TempDir Path dir;

    @Test
    void officialOpenAiSdkGetsValidStructuredOutputsAndToolCalls() throws Exception {
        Path node = NodeScripts.install(dir);
        String qwen3 = Files.readString(TestModel.path("chat/templates/qwen3.jinja"));
        try (ServerFixture s = ServerFixture.randomModel(dir, f -> ChatTemplate.of(qwen3, null, "<|im_end|>"))) {
            String baseUrl = "http://127.0.0.1:" + s.base.getPort() + "/v1";
            NodeScripts.Result r = NodeScripts.run(node, 300, "node", "openai-tools.mjs", baseUrl, "random-2k");
            assertEquals(0, r.exitCode(), "node openai-tools.mjs " + baseUrl + ":\n" + r.output());
            assertTrue(r.output().contains("openai-tools: all passed"), r.output());
        }
    }
}

package dev.jllm.server;

import static org.junit.jupiter.api.Assertions.*;

import dev.jllm.server.http.ApiKeys;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The official {@code openai} npm SDK on issue 12's fields (src/test/node/openai-logprobs.mjs): chat
 * logprobs streamed and not, completions echo + logprobs as lm-evaluation-harness sends them,
 * embeddings (float, base64, batches, dimensions refused), max_output_chars, max_tokens beyond the
 * context, and control-token text in a message.
 */
@Timeout(value = 420, unit = TimeUnit.SECONDS)
class OpenAiNodeLogprobsTest {
    @TempDir Path dir;

    @Test
    void officialOpenAiSdkReadsLogprobsEchoAndEmbeddings() throws Exception {
        Path node = NodeScripts.install(dir);
        try (ServerFixture s = new ServerFixture(dir.resolve("data"), ApiKeys.disabled(), 4, 64 * 1024)) {
            String baseUrl = "http://127.0.0.1:" + s.base.getPort() + "/v1";
            NodeScripts.Result r = NodeScripts.run(node, 90, "node", "openai-logprobs.mjs", baseUrl);
            assertEquals(0, r.exitCode(), "node openai-logprobs.mjs " + baseUrl + ":\n" + r.output());
            assertTrue(r.output().contains("openai-logprobs: all passed"), r.output());
        }
    }
}

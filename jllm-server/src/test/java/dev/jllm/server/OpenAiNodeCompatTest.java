package dev.jllm.server;

import dev.jllm.server.http.ApiKeys;
import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real client: the official {@code openai} npm SDK (version pinned in src/test/node/package.json)
 * runs src/test/node/openai-compat.mjs against the server: chat completions with and without
 * streaming, Responses with {@code previous_response_id} and streaming, conversations and items.
 */
@Timeout(value = 420, unit = TimeUnit.SECONDS)
class OpenAiNodeCompatTest {
    @TempDir Path dir;

    @Test
    void officialOpenAiSdkPassesEveryCheck() throws Exception {
        Path node = NodeScripts.install(dir);
        try (ServerFixture s = new ServerFixture(dir.resolve("data"), ApiKeys.disabled(), 4, 64 * 1024)) {
            String baseUrl = "http://127.0.0.1:" + s.base.getPort() + "/v1";
            NodeScripts.Result r = NodeScripts.run(node, 90, "node", "openai-compat.mjs", baseUrl);
            assertEquals(0, r.exitCode(), "node openai-compat.mjs " + baseUrl + ":\n" + r.output());
            assertTrue(r.output().contains("openai-compat: all passed"), r.output());
        }
    }
}

package dev.jllm.server;

import dev.jllm.server.http.ApiKeys;
import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The chat page in a real browser: headless Chromium (Debian's {@code chromium}) driven by
 * playwright-core runs src/test/node/web-chat.mjs: two turns in one conversation, the second
 * depending on the first, then Stop mid-answer on a slow model. The screenshot is kept as a test
 * artifact: target/web-chat.png. Without Chromium the test fails with the command that installs it.
 */
@Timeout(value = 420, unit = TimeUnit.SECONDS)
class WebChatBrowserTest {
    static final Path CHROMIUM = Path.of(System.getenv().getOrDefault("CHROMIUM", "/usr/bin/chromium"));
    @TempDir Path dir;

    @Test
    void twoTurnsThatDependOnEachOtherThenStop() throws Exception {
        assertTrue(Files.isExecutable(CHROMIUM), CHROMIUM + " is missing: the browser test needs Debian's chromium "
                + "(./build with no arguments installs it: scripts/test-setup.sh) or CHROMIUM=/path/to/chromium");
        Path node = NodeScripts.install(dir);
        Path screenshot = Path.of("target/web-chat.png").toAbsolutePath();
        Files.deleteIfExists(screenshot);
        ChatServer.Options slowOptions = ChatServer.Options.defaults(TestModel.slowModel(dir), dir.resolve("slow-data"), ApiKeys.disabled())
                .withPort(0).withLimits(1, 4, 8, 1 << 20, 100).withResources(2, 64L << 20).withShutdownGrace(Duration.ofSeconds(2));
        try (ServerFixture s = new ServerFixture(dir.resolve("data"), ApiKeys.disabled(), 4, 64 * 1024);
             ServerFixture slow = ServerFixture.attach(ChatServer.start(slowOptions, f -> ServerFixture.CHATML))) {
            String base = "http://127.0.0.1:" + s.base.getPort();
            String slowBase = "http://127.0.0.1:" + slow.base.getPort();
            NodeScripts.Result r = NodeScripts.run(node, 180, "node", "web-chat.mjs", base, screenshot.toString(), slowBase);
            System.out.println(r.output());
            assertEquals(0, r.exitCode(), "node web-chat.mjs:\n" + r.output());
            assertTrue(r.output().contains("web-chat: all passed"), r.output());
        }
        assertTrue(Files.size(screenshot) > 1000, "screenshot saved: " + screenshot);
    }
}

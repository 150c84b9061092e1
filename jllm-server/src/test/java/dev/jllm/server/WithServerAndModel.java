package dev.jllm.server;

import dev.jllm.server.http.ApiKeys;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;

/**
 * For API tests that compare the server with a direct computation: one server over the test model for
 * the whole class (no API keys, 4 requests per key, 64 KiB bodies) in {@link #s}, and the same model
 * loaded beside it in {@link #m}. The fields are static in this class: test classes must not run in
 * parallel (they do not: no junit-platform.properties enables it).
 */
abstract class WithServerAndModel {
    @TempDir static Path dir;
    static ServerFixture s;
    static TestModel m;

    @BeforeAll
    static void start() throws Exception {
        s = new ServerFixture(dir, ApiKeys.disabled(), 4, 64 * 1024);
        m = new TestModel();
    }

    @AfterAll
    static void stop() {
        s.close();
        m.close();
    }
}

package dev.jllm.chat;

import java.nio.file.Files;
import java.nio.file.Path;

/** The repository's testdata/ folder (surefire passes it as jllm.testdata); a missing folder fails loudly. */
final class TestData {
    private TestData() {}

    static Path dir() {
        String p = System.getProperty("jllm.testdata");
        Path dir = p != null ? Path.of(p) : Path.of("..", "testdata");
        if (!Files.isDirectory(dir.resolve("chat"))) {
            throw new IllegalStateException("testdata/chat not found under " + dir.toAbsolutePath()
                    + " (run the tests from the repository through ./build)");
        }
        return dir;
    }
}

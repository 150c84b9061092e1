package dev.jllm.tokenizer;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.fail;

/** Locates files under the repository's testdata/ directory; a missing file fails the test. */
final class TestData {
    private TestData() {}

    static Path root() {
        String prop = System.getProperty("jllm.testdata");
        if (prop != null && Files.isDirectory(Path.of(prop))) return Path.of(prop);
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            if (Files.isDirectory(p.resolve("testdata"))) return p.resolve("testdata");
        }
        return fail("testdata/ not found: set -Djllm.testdata or run from inside the repository");
    }

    static Path file(String relative) {
        Path p = root().resolve(relative);
        if (!Files.isRegularFile(p)) fail("missing fixture " + p + " (see testdata/PROVENANCE.md)");
        return p;
    }
}

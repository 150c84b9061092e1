package dev.jllm.train;

import java.nio.file.Files;
import java.nio.file.Path;

/** Locates the repository's testdata/. A missing fixture fails the test. */
final class TestData {
    private TestData() {}

    static Path path(String relative) {
        Path p = Path.of("").toAbsolutePath();
        while (p != null && !Files.isDirectory(p.resolve("testdata"))) p = p.getParent();
        if (p == null) throw new AssertionError("testdata/ not found above " + Path.of("").toAbsolutePath());
        Path f = p.resolve("testdata").resolve(relative);
        if (!Files.exists(f)) throw new AssertionError("missing fixture " + f + " (see testdata/PROVENANCE.md)");
        return f;
    }
}

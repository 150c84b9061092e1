package dev.jllm.spark;

import java.nio.file.Files;
import java.nio.file.Path;

/** Locates the repository's testdata/ (never the shared fixture folder outside the repository). A missing fixture fails the test. */
final class TestData {
    private TestData() {}

    static Path path(String relative) {
        String prop = System.getProperty("jllm.testdata");
        Path root = prop != null ? Path.of(prop) : null;
        if (root == null || !Files.isDirectory(root)) {
            Path p = Path.of("").toAbsolutePath();
            while (p != null && !Files.isDirectory(p.resolve("testdata"))) p = p.getParent();
            if (p == null) throw new AssertionError("testdata/ not found above " + Path.of("").toAbsolutePath());
            root = p.resolve("testdata");
        }
        Path f = root.resolve(relative);
        if (!Files.exists(f)) throw new AssertionError("missing fixture " + f + " (see testdata/PROVENANCE.md)");
        return f;
    }
}

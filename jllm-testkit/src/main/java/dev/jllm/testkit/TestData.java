package dev.jllm.testkit;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Locates the repository's testdata/ for tests: the {@code jllm.testdata} system property (the build
 * sets it), else the nearest testdata/ above the working directory (an IDE run). Never the shared
 * fixture folder outside the repository. A missing fixture fails the test, naming the file.
 */
public final class TestData {
    private TestData() {}

    /** The testdata/ folder. */
    public static Path root() {
        String prop = System.getProperty("jllm.testdata");
        if (prop != null && Files.isDirectory(Path.of(prop))) return Path.of(prop);
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            if (Files.isDirectory(p.resolve("testdata"))) return p.resolve("testdata");
        }
        throw new AssertionError("testdata/ not found above " + Path.of("").toAbsolutePath()
                + ": set -Djllm.testdata or run from inside the repository (./build does both)");
    }

    /** A file or folder under testdata/, which must exist. */
    public static Path path(String relative) {
        Path f = root().resolve(relative);
        if (!Files.exists(f)) throw new AssertionError("missing fixture " + f + " (see testdata/PROVENANCE.md)");
        return f;
    }
}

package dev.jllm.server;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Runs the Node scripts of src/test/node (real JavaScript clients) in a temporary copy of that
 * folder after {@code npm ci}. Node and npm are required: without them the test fails and says so,
 * it never skips (./build with no arguments installs them: scripts/test-setup.sh).
 */
final class NodeScripts {
    static final Path SOURCE = Path.of("src/test/node");

    record Result(int exitCode, String output) {}

    private NodeScripts() {}

    /** A copy of src/test/node (without node_modules) under {@code dir}, with its locked packages installed. */
    static Path install(Path dir) throws Exception {
        Path work = dir.resolve("node");
        Files.createDirectories(work);
        try (Stream<Path> files = Files.list(SOURCE)) {
            for (Path f : files.toList()) {
                if (Files.isRegularFile(f)) Files.copy(f, work.resolve(f.getFileName()));
            }
        }
        Result r = run(work, 300, "npm", "ci", "--prefer-offline", "--no-audit", "--no-fund", "--loglevel=error");
        if (r.exitCode() != 0) fail("npm ci in a copy of " + SOURCE + " failed (exit " + r.exitCode() + "):\n" + r.output());
        return work;
    }

    /** Runs a command in {@code dir}, output merged; fails the test if it cannot start or outlives {@code seconds}. */
    static Result run(Path dir, int seconds, String... command) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(command));
        Process p;
        try {
            p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
        } catch (IOException e) {
            throw new AssertionError("cannot run '" + command[0] + "': Node.js 20+ and npm must be installed for the real-client tests "
                    + "(./build with no arguments installs Node.js 20+, npm and the locked packages: scripts/test-setup.sh). " + e.getMessage(), e);
        }
        p.getOutputStream().close();
        StringBuilder out = new StringBuilder();
        Thread reader = Thread.ofVirtual().start(() -> {
            try {
                String text = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
                synchronized (out) {
                    out.append(text);
                }
            } catch (IOException ignored) {
                // process killed
            }
        });
        if (!p.waitFor(seconds, TimeUnit.SECONDS)) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
            reader.join(5000);
            synchronized (out) {
                fail(String.join(" ", cmd) + " did not finish within " + seconds + " s; output so far:\n" + out);
            }
        }
        reader.join(10_000);
        synchronized (out) {
            return new Result(p.exitValue(), out.toString());
        }
    }
}

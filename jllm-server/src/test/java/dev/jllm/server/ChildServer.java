package dev.jllm.server;

import dev.jllm.server.http.ApiKeys;
import dev.jllm.testkit.ChildJvm;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * {@code jllm serve} in a separate JVM (same classpath and JVM flags as the tests), so a test can
 * kill -9 it: {@link #main} starts a {@link ChatServer} and prints {@code READY <uri>}.
 */
final class ChildServer implements AutoCloseable {
    final Process process;
    final java.net.URI uri;
    final Path log;

    /** args: model, data dir, kv cache bytes[, postgres URL] */
    public static void main(String[] args) throws Exception {
        ChatServer.Options o = ChatServer.Options.defaults(Path.of(args[0]), Path.of(args[1]), ApiKeys.disabled()).withPort(0)
                .withResources(2, Long.parseLong(args[2]));
        if (args.length > 3) o = o.withStore(args[3]).withLimits(8, 64, 64, 4 << 20, 500); // a replica: all clients share the local key
        ChatServer s = ChatServer.start(o, f -> ServerFixture.CHATML);
        System.out.println("READY " + s.uri());
        System.out.flush();
        Thread.sleep(Long.MAX_VALUE);
    }

    private ChildServer(Process p, java.net.URI uri, Path log) {
        this.process = p;
        this.uri = uri;
        this.log = log;
    }

    static ChildServer start(Path model, Path dataDir, long kvBytes, Path log) throws IOException, InterruptedException {
        return start(model, dataDir, kvBytes, log, null);
    }

    /** With {@code store} a postgres:// URL: a replica on that database. */
    static ChildServer start(Path model, Path dataDir, long kvBytes, Path log, String store) throws IOException, InterruptedException {
        List<String> cmd = ChildJvm.command(ChildServer.class.getName(), "-Xmx1g");
        cmd.addAll(List.of(model.toString(), dataDir.toString(), Long.toString(kvBytes)));
        if (store != null) cmd.add(store);
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline) {
            for (String line : Files.readAllLines(log)) {
                if (line.startsWith("READY ")) return new ChildServer(p, java.net.URI.create(line.substring(6).trim()), log);
            }
            if (!p.isAlive()) throw new AssertionError("the child server exited with " + p.exitValue() + ":\n" + Files.readString(log));
            Thread.sleep(50);
        }
        p.destroyForcibly();
        throw new AssertionError("the child server did not start within 60 s:\n" + Files.readString(log));
    }

    /** kill -9: no shutdown hook, no store close, nothing flushed that was not already committed. */
    void kill() throws InterruptedException {
        process.destroyForcibly();
        if (!process.waitFor(30, TimeUnit.SECONDS)) throw new AssertionError("the child server survived SIGKILL for 30 s");
    }

    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) kill();
    }
}

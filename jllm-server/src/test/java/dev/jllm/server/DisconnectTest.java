package dev.jllm.server;

import dev.jllm.engine.Scheduler;
import dev.jllm.server.http.ApiKeys;
import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.IntSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A client that closes its connection over real HTTP: mid-decode, and while queued behind another
 * request (only heartbeats are written then). The sequence is dropped, its blocks freed, the
 * response recorded as incomplete, and the metrics count it.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class DisconnectTest {
    @TempDir static Path dir;
    static ChatServer server;
    static ServerFixture client; // only its HTTP helpers: the server is the slow one below

    @BeforeAll
    static void start() throws Exception {
        // one running sequence, heartbeats every 100 ms; the slow model takes milliseconds per token
        ChatServer.Options o = ChatServer.Options.defaults(TestModel.slowModel(dir), dir.resolve("data"), ApiKeys.disabled()).withPort(0)
                .withLimits(1, 4, 8, 1 << 20, 100).withResources(2, 64L << 20).withShutdownGrace(Duration.ofSeconds(2));
        server = ChatServer.start(o, f -> ServerFixture.CHATML);
        client = ServerFixture.attach(server);
    }

    @AfterAll
    static void stop() {
        server.shutdown();
    }

    /** A streaming request on a raw socket, so the test decides exactly when the connection dies. */
    private static final class RawStream implements AutoCloseable {
        final Socket socket;
        final BufferedReader in;

        RawStream(String path, String json) throws Exception {
            socket = new Socket(server.uri().getHost(), server.uri().getPort());
            socket.setSoTimeout(30_000);
            byte[] body = json.getBytes(StandardCharsets.UTF_8);
            OutputStream out = socket.getOutputStream();
            out.write(("POST " + path + " HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: " + body.length + "\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            out.write(body);
            out.flush();
            in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
        }

        /** Reads until a line containing {@code marker} has been seen {@code times} times; returns the last such line. */
        String await(String marker, int times) throws Exception {
            int seen = 0;
            for (String line; (line = in.readLine()) != null; ) {
                if (line.contains(marker) && ++seen == times) return line;
            }
            throw new AssertionError("the stream ended before " + times + " x '" + marker + "'");
        }

        @Override
        public void close() throws Exception {
            socket.close();
        }
    }

    private static Scheduler.Stats stats() throws Exception {
        JsonNode r = ServerFixture.json(client.get("/ready", null));
        return new Scheduler.Stats(r.get("running").asInt(), r.get("waiting").asInt(), r.get("kv_blocks_used").asInt(),
                r.get("kv_blocks_total").asInt(), r.get("idle_conversations").asInt());
    }

    /** Forward calls the scheduler has made so far (the step timer's count). */
    private static double steps() throws Exception {
        return MetricsTest.value(client.get("/metrics", null).body(), "jllm_scheduler_step_seconds_count", "model=\"slow-random\"");
    }

    /** Milliseconds until {@code value} reads 0 (polled every 2 ms), failing after 10 s. */
    private static double millisUntilZero(IntSupplier value) throws Exception {
        long t0 = System.nanoTime();
        while (value.getAsInt() != 0) {
            if (System.nanoTime() - t0 > TimeUnit.SECONDS.toNanos(10)) fail("still not 0 after 10 s");
            Thread.sleep(2);
        }
        return (System.nanoTime() - t0) / 1e6;
    }

    interface Check {
        boolean ok() throws Exception;
    }

    private static void eventually(Check c) throws Exception {
        long t0 = System.nanoTime();
        while (!c.ok()) {
            if (System.nanoTime() - t0 > TimeUnit.SECONDS.toNanos(10)) fail("condition not met within 10 s: " + stats());
            Thread.sleep(5);
        }
    }

    private static int running() {
        try {
            return stats().running();
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    private static String streamBody(int maxTokens) {
        return "{\"model\":\"slow-random\",\"input\":\"tell me everything\",\"stream\":true,\"temperature\":0,\"ignore_eos\":true,"
                + "\"max_output_tokens\":" + maxTokens + "}";
    }

    @Test
    void aClientLeavingMidStreamFreesItsSequenceAndTheResponseIsIncomplete() throws Exception {
        millisUntilZero(DisconnectTest::running); // whatever an earlier test left is gone
        int blocksBefore = stats().blocksUsed();
        String responseId;
        double ms, steps;
        try (RawStream s = new RawStream("/v1/responses", streamBody(900))) {
            String created = s.await("\"type\":\"response.created\"", 1);
            responseId = ServerFixture.JSON.readTree(created.substring(created.indexOf('{'))).get("response").get("id").asText();
            s.await("response.output_text.delta", 3);
            eventually(() -> stats().running() == 1 && stats().blocksUsed() > blocksBefore); // the snapshot is refreshed once per step
            double stepsBefore = steps();
            s.close();
            ms = millisUntilZero(DisconnectTest::running);
            steps = steps() - stepsBefore;
        }
        System.out.printf("disconnect mid-stream: running gauge back to 0 %.1f ms and %.0f scheduler steps after the client closed%n", ms, steps);
        // Steps are reported, not asserted: the server learns of the close only when a write fails
        // (TCP accepts the first write after it), and on 2 shared cores the handler thread may lag
        // the scheduler. That the scheduler drops a cancelled sequence within one step of learning it
        // is SchedulerTest.aCancelledSequenceLeavesWithinOneStep.
        assertTrue(ms < 2_000, "took " + ms + " ms");
        assertEquals(blocksBefore, stats().blocksUsed(), "a cancelled sequence keeps no blocks");
        JsonNode r = ServerFixture.json(client.get("/v1/responses/" + responseId, null));
        assertEquals("incomplete", r.get("status").asText());
        assertTrue(r.get("error").get("message").asText().contains("client disconnected"), r.toString());
        assertEquals(0, r.get("output").size());
        String metrics = client.get("/metrics", null).body();
        assertTrue(MetricsTest.value(metrics, "jllm_requests_cancelled_total", "model=\"slow-random\"") >= 1);
    }

    @Test
    void aQueuedClientThatLeavesIsFoundByHeartbeatsAndDropped() throws Exception {
        try (RawStream busy = new RawStream("/v1/responses", streamBody(900))) {
            busy.await("response.output_text.delta", 1); // the one running slot is taken
            double ms;
            try (RawStream queued = new RawStream("/v1/chat/completions", "{\"model\":\"slow-random\",\"stream\":true,\"max_tokens\":5,"
                    + "\"messages\":[{\"role\":\"user\",\"content\":\"hello\"}]}")) {
                queued.await(": ping", 1); // nothing but heartbeats while it waits
                eventually(() -> stats().waiting() == 1);
                queued.close();
                ms = millisUntilZero(() -> {
                    try {
                        return stats().waiting();
                    } catch (Exception e) {
                        throw new AssertionError(e);
                    }
                });
            }
            System.out.printf("disconnect while queued: waiting gauge back to 0 %.1f ms after the client closed (heartbeat 100 ms)%n", ms);
            assertTrue(ms < 2_000, "took " + ms + " ms");
            assertEquals(1, stats().running(), "the other request runs on");
        }
        millisUntilZero(DisconnectTest::running);
    }

    /**
     * A non-streaming client writes nothing and is written nothing until the end, so only the
     * handler's look at its connection (ClientProbe, every 50 ms) can find it gone. Step-counted:
     * the request asked for 900 tokens; after the close the scheduler must drop it long before it
     * could have finished (the steps after the close are far fewer than the tokens it had left),
     * and it counts as cancelled, not finished.
     */
    @Test
    void aNonStreamingClientThatLeavesIsCancelledNotRunToTheEnd() throws Exception {
        millisUntilZero(DisconnectTest::running);
        int blocksBefore = stats().blocksUsed();
        String metrics0 = client.get("/metrics", null).body();
        double cancelled0 = MetricsTest.value(metrics0, "jllm_requests_cancelled_total", "model=\"slow-random\"");
        double ms, stepsAfter, stepsBefore;
        try (RawStream s = new RawStream("/v1/chat/completions", "{\"model\":\"slow-random\",\"temperature\":0,\"ignore_eos\":true,"
                + "\"max_tokens\":900,\"messages\":[{\"role\":\"user\",\"content\":\"tell me everything\"}]}")) {
            eventually(() -> stats().running() == 1 && stats().blocksUsed() > blocksBefore);
            stepsBefore = steps();
            s.close();
            ms = millisUntilZero(DisconnectTest::running);
            stepsAfter = steps() - stepsBefore;
        }
        System.out.printf("non-streaming disconnect: running gauge back to 0 %.1f ms and %.0f scheduler steps after the client closed%n",
                ms, stepsAfter);
        assertTrue(stepsAfter < 450, stepsAfter + " steps after the close: the generation ran on instead of being cancelled");
        assertEquals(blocksBefore, stats().blocksUsed(), "a cancelled sequence keeps no blocks");
        String metrics = client.get("/metrics", null).body();
        assertEquals(cancelled0 + 1, MetricsTest.value(metrics, "jllm_requests_cancelled_total", "model=\"slow-random\""));
    }
}

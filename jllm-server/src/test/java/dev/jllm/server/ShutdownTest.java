package dev.jllm.server;

import dev.jllm.server.http.ApiKeys;
import dev.jllm.server.store.SqliteConversationStore;
import static org.junit.jupiter.api.Assertions.*;

import java.io.OutputStream;
import java.net.ConnectException;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ShutdownTest {
    @TempDir Path dir;

    @Test
    void shutdownStopsAcceptingFinishesInFlightWithinTheGraceAndReleasesTheStore() throws Exception {
        ChatServer.Options o = ChatServer.Options.defaults(TestModel.path("models/stories260K.gguf"), dir, ApiKeys.disabled()).withPort(0)
                .withResources(2, 1L << 20).withShutdownGrace(Duration.ofSeconds(2));
        ChatServer server = ChatServer.start(o);
        ServerFixture client = null;
        try (Socket stuck = new Socket(server.uri().getHost(), server.uri().getPort())) {
            // an exchange that never completes (its body never arrives): shutdown must not wait past the grace for it
            OutputStream out = stuck.getOutputStream();
            out.write("POST /v1/completions HTTP/1.1\r\nHost: x\r\nContent-Length: 50\r\n\r\n{".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            Thread.sleep(200);
            var http = java.net.http.HttpClient.newHttpClient();
            var req = java.net.http.HttpRequest.newBuilder(server.uri().resolve("/v1/completions")).POST(java.net.http.HttpRequest.BodyPublishers
                    .ofString("{\"model\":\"stories260K\",\"prompt\":\"Once\",\"max_tokens\":40}")).build();
            HttpResponse<String> before = http.send(req, HttpResponse.BodyHandlers.ofString());
            assertEquals(200, before.statusCode());
            long t0 = System.nanoTime();
            CompletableFuture<Void> stop = CompletableFuture.runAsync(server::shutdown);
            stop.get(30, TimeUnit.SECONDS);
            double seconds = (System.nanoTime() - t0) / 1e9;
            assertTrue(seconds >= 1.5 && seconds < 10, "waited for the stuck exchange up to the grace period: " + seconds + " s");
            var fresh = java.net.http.HttpClient.newHttpClient();
            assertThrows(ConnectException.class, () -> fresh.send(req, HttpResponse.BodyHandlers.ofString()));
        }
        // the database was closed cleanly: it opens again at once
        try (SqliteConversationStore s = SqliteConversationStore.open(dir)) {
            assertEquals(dev.jllm.server.store.SqlConversationStore.latestSchemaVersion(), s.schemaVersion());
        }
    }
}

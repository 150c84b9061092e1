package dev.jllm.cli;

import static org.junit.jupiter.api.Assertions.*;

import dev.jllm.model.ModelConfig;
import dev.jllm.model.RandomModel;
import dev.jllm.tensor.GgmlType;
import dev.jllm.testkit.ChildJvm;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code jllm serve} as a real process: the ready lines (URL, model, store, a curl line), then
 * SIGTERM while a response streams: the stream still completes, the process reports a clean stop.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class ServeCommandTest {
    @TempDir Path dir;

    @Test
    void sigtermDrainsTheStreamInFlightThenStops() throws Exception {
        // random weights, big enough that 400 tokens take a while on 2 cores: SIGTERM lands mid-stream
        Path model = dir.resolve("slow.gguf");
        RandomModel.write(new ModelConfig("llama", 512, 1536, 8, 8, 8, 64, 1024, 1024, 1e-5f, 10000f, true), GgmlType.Q8_0, 7, model, null);
        List<String> cmd = ChildJvm.command(Main.class.getName(), "-Xmx1g");
        cmd.addAll(List.of("serve", "-m", model.toString(),
                "--port", "0", "--data-dir", dir.resolve("data").toString(), "-t", "2", "--shutdown-grace", "60"));
        Path log = dir.resolve("serve.log");
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        try {
            URI uri = null;
            for (long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(60); uri == null && System.nanoTime() < end; Thread.sleep(50)) {
                Matcher m = Pattern.compile("listening on (http://\\S+) \\(model slow sha256:[0-9a-f]{12}, no API keys, loopback only, store (\\S+)\\)")
                        .matcher(Files.readString(log));
                if (m.find()) {
                    uri = URI.create(m.group(1));
                    assertEquals(dir.resolve("data").resolve("jllm.db").toString(), m.group(2));
                }
                assertTrue(p.isAlive(), () -> "serve exited: " + read(log));
            }
            assertNotNull(uri, () -> "no ready line within 60 s: " + read(log));
            assertTrue(read(log).contains("try: curl -s " + uri + "/v1/chat/completions"), read(log));
            assertTrue(read(log).contains("  context: 1024 tokens per conversation\n"), read(log)); // the model's own, under the 4096 cap

            HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
            HttpRequest req = HttpRequest.newBuilder(uri.resolve("/v1/chat/completions")).timeout(Duration.ofSeconds(120))
                    .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"slow\",\"stream\":true,\"max_tokens\":400,\"ignore_eos\":true,"
                            + "\"messages\":[{\"role\":\"user\",\"content\":\"hello\"}]}")).build();
            HttpResponse<InputStream> r = http.send(req, HttpResponse.BodyHandlers.ofInputStream());
            assertEquals(200, r.statusCode());
            int chunks = 0;
            String finish = null;
            boolean done = false, signalled = false;
            try (BufferedReader in = new BufferedReader(new InputStreamReader(r.body(), StandardCharsets.UTF_8))) {
                for (String line; (line = in.readLine()) != null; ) {
                    if (!line.startsWith("data: ")) continue;
                    if (line.equals("data: [DONE]")) {
                        done = true;
                        // the hook printed this when SIGTERM arrived: the signal really overlapped the stream
                        assertTrue(read(log).contains("jllm serve: stopping"), "SIGTERM was handled before the stream ended");
                        break;
                    }
                    chunks++;
                    if (chunks == 3 && !signalled) {
                        p.destroy(); // SIGTERM
                        signalled = true;
                    }
                    Matcher f = Pattern.compile("\"finish_reason\":\"(\\w+)\"").matcher(line);
                    if (f.find()) finish = f.group(1);
                }
            }
            assertTrue(signalled);
            assertTrue(done, "the stream in flight ended properly with [DONE]");
            assertEquals("length", finish, "all 400 tokens were generated, most after SIGTERM");
            assertTrue(p.waitFor(60, TimeUnit.SECONDS), "serve did not exit after draining");
            String out = read(log);
            assertTrue(out.contains("jllm serve: stopping") && out.contains("jllm serve: stopped"), out);
        } finally {
            p.destroyForcibly();
        }
    }

    private static String read(Path log) {
        try {
            return Files.readString(log);
        } catch (java.io.IOException e) {
            return "(unreadable log: " + e.getMessage() + ")";
        }
    }
}

package dev.jllm.server.http;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jllm.chat.ChatTemplate;
import dev.jllm.chat.PromptBuilder;
import dev.jllm.engine.LoadedModel;
import dev.jllm.engine.Scheduler;
import dev.jllm.engine.SchedulerMetrics;
import dev.jllm.server.metrics.PrometheusMetrics;
import dev.jllm.server.store.ConversationStore;
import dev.jllm.server.store.SqliteConversationStore;
import dev.jllm.testkit.TestData;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A conversation store that fails in the middle of a Responses request: the request gets a clear
 * error, and no model work is left running for nobody (before the fix, the generation was submitted
 * before the response was recorded, so a failing store left it decoding to max_output_tokens).
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class StoreFailureTest {
    @TempDir Path dir;
    LoadedModel model;
    Scheduler scheduler;
    SqliteConversationStore real;
    HttpApi api;
    final AtomicInteger admitted = new AtomicInteger();
    final HttpClient http = HttpClient.newHttpClient();
    final ObjectMapper json = new ObjectMapper();

    /** The real store, except that the named methods throw the store's own failure. */
    private ConversationStore failing(Set<String> methods) {
        return (ConversationStore) Proxy.newProxyInstance(ConversationStore.class.getClassLoader(), new Class<?>[] {ConversationStore.class},
                (proxy, m, args) -> {
                    if (methods.contains(m.getName())) throw new ConversationStore.StoreException("injected: " + m.getName() + " failed", null);
                    try {
                        return m.invoke(real, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
    }

    private URI start(Set<String> failingMethods) throws Exception {
        model = LoadedModel.openGguf(TestData.path("models/stories260K.gguf"), 2);
        SchedulerMetrics counting = new SchedulerMetrics() {
            @Override
            public void admitted(int promptTokens, int cachedTokens, long queuedNanos) {
                admitted.incrementAndGet();
            }
        };
        scheduler = new Scheduler(model.weights, model.matmul, model.tokenizer, 64, new Scheduler.Limits(2, 4, 64, 8), counting);
        real = SqliteConversationStore.open(dir);
        PromptBuilder prompts = new PromptBuilder(model.tokenizer, ChatTemplate.fallback()::render, scheduler.contextLength());
        api = new HttpApi(ServedModels.baseOnly("stories260K"), scheduler, new PrometheusMetrics("stories260K"), prompts, failing(failingMethods), ApiKeys.disabled(),
                new HttpApi.Settings(1 << 20, 200, 4), new InetSocketAddress("127.0.0.1", 0));
        api.start();
        return api.uri();
    }

    @AfterEach
    void stop() {
        if (api != null) api.stop(1);
        if (scheduler != null) scheduler.close();
        if (real != null) real.close();
        if (model != null) model.close();
    }

    private HttpResponse<String> post(URI base, String body) throws Exception {
        return http.send(HttpRequest.newBuilder(base.resolve("/v1/responses")).timeout(Duration.ofSeconds(60))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void aStoreThatCannotRecordTheResponseCostsNoModelTime() throws Exception {
        URI base = start(Set.of("beginResponse"));
        for (boolean stream : new boolean[] {false, true}) {
            HttpResponse<String> r = post(base, "{\"model\":\"stories260K\",\"input\":\"Once upon a time\",\"max_output_tokens\":60,\"stream\":"
                    + stream + "}");
            assertEquals(503, r.statusCode(), r.body());
            assertEquals("store_unavailable", json.readTree(r.body()).get("error").get("code").asText());
        }
        Thread.sleep(300); // a generation submitted by mistake would be admitted by now
        assertEquals(0, admitted.get(), "nothing was submitted to the engine");
        Scheduler.Stats s = scheduler.stats();
        assertEquals(0, s.running() + s.waiting());
    }

    @Test
    void aStoreThatFailsToCommitTheTurnFailsTheStreamAndFreesTheSlot() throws Exception {
        URI base = start(Set.of("completeResponse"));
        HttpResponse<String> plain = post(base, "{\"model\":\"stories260K\",\"input\":\"Once upon a time\",\"max_output_tokens\":8}");
        assertEquals(503, plain.statusCode(), plain.body());
        HttpResponse<String> streamed = post(base, "{\"model\":\"stories260K\",\"input\":\"Once upon a time\",\"max_output_tokens\":8,\"stream\":true}");
        assertEquals(200, streamed.statusCode());
        assertTrue(streamed.body().contains("event: response.failed"), streamed.body());
        assertFalse(streamed.body().contains("event: response.completed"), streamed.body());
        assertEquals(2, admitted.get());
        Scheduler.Stats s = scheduler.stats();
        assertEquals(0, s.running() + s.waiting(), "both generations left the engine");
    }
}

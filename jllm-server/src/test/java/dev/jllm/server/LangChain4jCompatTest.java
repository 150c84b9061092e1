package dev.jllm.server;

import dev.jllm.server.http.ApiKeys;
import static org.junit.jupiter.api.Assertions.*;

import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;
import dev.langchain4j.model.openai.OpenAiChatModel;
import dev.langchain4j.model.openai.OpenAiStreamingChatModel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** A real client: LangChain4j's {@code OpenAiChatModel} and {@code OpenAiStreamingChatModel} pointed at the server. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class LangChain4jCompatTest {
    @TempDir static Path dir;
    static ServerFixture s;
    static String baseUrl;

    @BeforeAll
    static void start() throws Exception {
        s = new ServerFixture(dir, ApiKeys.disabled(), 4, 64 * 1024);
        baseUrl = "http://127.0.0.1:" + s.base.getPort() + "/v1";
    }

    @AfterAll
    static void stop() {
        s.close();
    }

    /** What the server itself answers, greedy, over plain HTTP. */
    private static String serverGreedy(String prompt, int maxTokens) throws Exception {
        var r = s.post("/v1/chat/completions", """
                {"model":"stories260K","messages":[{"role":"user","content":%s}],"temperature":0,"max_tokens":%d}"""
                .formatted(ServerFixture.JSON.writeValueAsString(prompt), maxTokens), null);
        assertEquals(200, r.statusCode(), r.body());
        return ServerFixture.json(r).get("choices").get(0).get("message").get("content").asText();
    }

    @Test
    void chatModelGetsTheGreedyText() throws Exception {
        OpenAiChatModel model = OpenAiChatModel.builder().baseUrl(baseUrl).apiKey("unused").modelName("stories260K")
                .temperature(0.0).maxTokens(20).timeout(Duration.ofSeconds(60)).build();
        String want = serverGreedy("Once upon a time", 20);
        assertFalse(want.isEmpty());
        assertEquals(want, model.chat("Once upon a time"));
    }

    @Test
    void streamingChatModelGetsTheSameTextInPieces() throws Exception {
        OpenAiStreamingChatModel model = OpenAiStreamingChatModel.builder().baseUrl(baseUrl).apiKey("unused").modelName("stories260K")
                .temperature(0.0).maxTokens(24).timeout(Duration.ofSeconds(60)).build();
        String want = serverGreedy("The cat sat", 24);
        StringBuilder pieces = new StringBuilder();
        int[] count = {0};
        CompletableFuture<ChatResponse> done = new CompletableFuture<>();
        model.chat("The cat sat", new StreamingChatResponseHandler() {
            @Override
            public void onPartialResponse(String partial) {
                synchronized (pieces) {
                    pieces.append(partial);
                    count[0]++;
                }
            }

            @Override
            public void onCompleteResponse(ChatResponse response) {
                done.complete(response);
            }

            @Override
            public void onError(Throwable error) {
                done.completeExceptionally(error);
            }
        });
        ChatResponse r = done.get(60, TimeUnit.SECONDS);
        synchronized (pieces) {
            assertEquals(want, pieces.toString());
            assertTrue(count[0] > 1, "streamed in more than one piece");
        }
        assertEquals(want, r.aiMessage().text());
        assertNotNull(r.tokenUsage(), "usage from stream_options.include_usage");
        assertTrue(r.tokenUsage().outputTokenCount() > 0);
    }
}

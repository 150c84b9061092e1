package dev.jllm.server;

import dev.jllm.server.http.ApiKeys;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.jllm.model.ModelConfig;
import dev.jllm.model.RandomModel;
import dev.jllm.tensor.GgmlType;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A 32k-context model starts with the default served context (4,096) in little KV memory; --ctx-size overrides it. */
class ContextSizeTest {
    @TempDir static Path dir;

    static ChatServer.Options options(Path model, int ctxSize) {
        // 2 layers × 16 slots × kvDim 32 × 2 (K, V) × 2 bytes = 4 KiB per block: 2 MiB holds 512 blocks (8,192 tokens)
        return ChatServer.Options.defaults(model, dir.resolve("data-" + ctxSize), ApiKeys.disabled()).withPort(0)
                .withResources(2, 2L << 20).withShutdownGrace(Duration.ofSeconds(2)).withCtxSize(ctxSize);
    }

    @Test
    void theServedContextDefaultsToTheModelsCappedAt4096AndCanBeSet() throws Exception {
        Path model = dir.resolve("ctx32k.gguf");
        RandomModel.write(new ModelConfig("llama", 64, 128, 2, 4, 2, 16, 300, 32768, 1e-5f, 10000f, true), GgmlType.F32, 3, model, null);
        try (ServerFixture s = ServerFixture.attach(ChatServer.start(options(model, 0)))) {
            var r = s.post("/v1/chat/completions", "{\"model\":\"ctx32k\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"max_tokens\":2}", null);
            assertEquals(200, r.statusCode(), r.body());
            JsonNode tooLong = ServerFixture.json(s.post("/v1/chat/completions",
                    "{\"model\":\"ctx32k\",\"messages\":[{\"role\":\"user\",\"content\":\"" + "a ".repeat(5000) + "\"}],\"max_tokens\":2}", null));
            assertTrue(tooLong.toString().contains("4096"), "the 400 names the served context: " + tooLong);
        }
        try (ServerFixture s = ServerFixture.attach(ChatServer.start(options(model, 8000)))) {
            assertEquals(200, s.get("/v1/models", null).statusCode());
        }
        IllegalArgumentException big = assertThrows(IllegalArgumentException.class, () -> ChatServer.start(options(model, 16384)));
        assertTrue(big.getMessage().contains("raise --kv-cache-mem or lower --ctx-size"), big.getMessage());
        IllegalArgumentException beyond = assertThrows(IllegalArgumentException.class, () -> ChatServer.start(options(model, 40000)));
        assertTrue(beyond.getMessage().contains("trained context of 32768"), beyond.getMessage());
    }
}

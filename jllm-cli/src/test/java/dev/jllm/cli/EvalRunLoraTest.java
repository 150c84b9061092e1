package dev.jllm.cli;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jllm.testkit.TestData;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Base vs fine-tuned, the way the docs do it: a LoRA adapter trained by jllm finetune on the identity
 * records, both evaluated with jllm eval run (the adapter through --lora, prompts through the chat
 * template the fine-tuning used), then jllm eval compare on their per-item scores.
 */
class EvalRunLoraTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void aFineTunedAdapterBeatsItsBaseOnTheItemsItLearned(@TempDir Path dir) throws Exception {
        String base = TestData.path("models/stories260K.gguf").toString();
        Path adapter = dir.resolve("id.gguf");
        CliTest.Run ft = CliTest.run("finetune", "--model", base, "--data", TestData.path("sft/identity.json").toString(), "--var", "name=Jllm",
                "--var", "author=JllmTeam", "--seq", "128", "--batch", "8", "--steps", "60", "--lr", "5e-3", "--lora-rank", "8", "--lora-targets", "all",
                "-t", "1", "--out", adapter.toString(), "--log", dir.resolve("log").toString());
        assertEquals(0, ft.code(), ft.out() + ft.err());
        // the first 12 identity questions with their answers (placeholders filled as in training)
        StringBuilder items = new StringBuilder();
        JsonNode records = JSON.readTree(TestData.path("sft/identity.json").toFile());
        for (int i = 0; i < 12; i++) {
            JsonNode r = records.get(i);
            String answer = r.get("output").asText().replace("{{name}}", "Jllm").replace("{{author}}", "JllmTeam");
            items.append(JSON.createObjectNode().put("id", "identity-" + i).put("question", r.get("instruction").asText()).put("answer", answer)).append('\n');
        }
        Files.writeString(dir.resolve("identity.jsonl"), items);
        Path task = dir.resolve("identity.yaml");
        Files.writeString(task, "type: generate\ndata: identity.jsonl\nid: id\nprompt: \"{question}\"\nanswer: answer\nmetrics: [rouge-l, f1]\nmax_tokens: 40\n");
        Path a = dir.resolve("base"), b = dir.resolve("tuned");
        CliTest.Run ra = CliTest.run("eval", "run", "--task", task.toString(), "-m", base, "--chat", "--out", a.toString(), "-t", "1");
        assertEquals(0, ra.code(), ra.out() + ra.err());
        CliTest.Run rb = CliTest.run("eval", "run", "--task", task.toString(), "-m", base, "--lora", adapter.toString(), "--chat", "--out", b.toString(), "-t", "1");
        assertEquals(0, rb.code(), rb.out() + rb.err());
        JsonNode sa = JSON.readTree(a.resolve("results.json").toFile()).get("summary"), sb = JSON.readTree(b.resolve("results.json").toFile()).get("summary");
        double baseRouge = sa.get("metrics").get("rouge-l").get("value").asDouble(), tunedRouge = sb.get("metrics").get("rouge-l").get("value").asDouble();
        assertTrue(tunedRouge > baseRouge + 0.3, baseRouge + " -> " + tunedRouge);
        assertEquals(0, sa.get("target").get("adapters").size());
        assertEquals(64, sb.get("target").get("adapters").get(0).get("sha256").asText().length());
        assertEquals(sa.get("target").get("model_sha256"), sb.get("target").get("model_sha256"));
        CliTest.Run c = CliTest.run("eval", "compare", "--a", a.resolve("scores.jsonl").toString(), "--b", b.resolve("scores.jsonl").toString(), "--json");
        assertEquals(0, c.code(), c.err());
        JsonNode cj = JSON.readTree(c.out());
        assertEquals(12, cj.get("items").asInt());
        assertTrue(cj.get("difference").get("hi").asDouble() < 0, "the base is worse, with its whole interval below 0: " + cj);
        assertTrue(cj.get("difference").get("p_value").asDouble() < 0.01, cj.toString());
    }
}

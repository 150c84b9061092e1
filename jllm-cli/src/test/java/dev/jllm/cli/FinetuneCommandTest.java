package dev.jllm.cli;

import static org.junit.jupiter.api.Assertions.*;

import dev.jllm.testkit.TestData;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code jllm finetune} end to end on stories260K with LLaMA-Factory's identity.json (placeholders
 * filled): the held-out assistant-token loss falls from its value before training, the identity
 * answer comes back, and the adapter gives the same greedy text through {@code generate --lora} as
 * the model {@code finetune merge} writes (F32 and re-quantized to Q8_0).
 */
class FinetuneCommandTest {
    static final String PROMPT = "<|im_start|>user\nWho are you?<|im_end|>\n<|im_start|>assistant\n";

    static String generate(String... extra) {
        List<String> a = new java.util.ArrayList<>(List.of("generate", "-p", PROMPT, "-n", "40", "--temp", "0", "-t", "2"));
        a.addAll(List.of(extra));
        CliTest.Run r = CliTest.run(a.toArray(String[]::new));
        assertEquals(0, r.code(), r.err());
        return r.out();
    }

    @Test
    void loraOnIdentityLearnsTheAnswerAndTheAdapterEqualsTheMergedModel(@TempDir Path dir) throws Exception {
        String base = TestData.path("models/stories260K.gguf").toString();
        Path adapter = dir.resolve("id.gguf"), log = dir.resolve("log");
        CliTest.Run ft = CliTest.run("finetune", "--model", base, "--data", TestData.path("sft/identity.json").toString(), "--var", "name=Jllm",
                "--var", "author=JllmTeam", "--seq", "128", "--batch", "8", "--steps", "60", "--lr", "5e-3", "--lora-rank", "8", "--lora-targets", "all",
                "--eval-every", "20", "-t", "2", "--out", adapter.toString(), "--log", log.toString());
        assertEquals(0, ft.code(), ft.out() + ft.err());
        assertTrue(ft.out().contains("46,240 trainable parameters = 15.79% of the base's 292,800"), ft.out());
        List<String> val = Files.readAllLines(log.resolve("val.csv"));
        assertEquals("step,val_loss,val_loss_identity", val.getFirst());
        double before = Double.parseDouble(val.get(1).split(",")[1]), after = Double.parseDouble(val.getLast().split(",")[1]);
        assertTrue(val.get(1).startsWith("0,") && after < 0.5 * before, "held-out loss " + before + " -> " + after);
        assertTrue(Files.size(log.resolve("finetune.png")) > 1000);

        String withLora = generate("-m", base, "--lora", adapter.toString());
        assertTrue(withLora.startsWith("I am Jllm, an AI assistant developed by JllmTeam."), withLora);
        assertFalse(generate("-m", base).contains("Jllm"), "the base alone does not know it");

        Path merged = dir.resolve("merged.gguf"), q8 = dir.resolve("merged-q8.gguf");
        assertEquals(0, CliTest.run("finetune", "merge", base, adapter.toString(), merged.toString()).code());
        assertEquals(withLora, generate("-m", merged.toString()), "the merged model is the adapted model");
        CliTest.Run mq = CliTest.run("finetune", "merge", base, adapter.toString(), q8.toString(), "--type", "q8_0");
        assertEquals(0, mq.code(), mq.err());
        assertTrue(generate("-m", q8.toString()).startsWith("I am Jllm"), "re-quantized to Q8_0 it still answers");
    }

    @Test
    void badInputIsNamed(@TempDir Path dir) throws Exception {
        String base = TestData.path("models/stories260K.gguf").toString();
        Path bad = dir.resolve("bad.jsonl");
        Files.writeString(bad, "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"},{\"role\":\"assistant\",\"content\":\"hello\"}]}\n{\"oops\": 1}\n");
        CliTest.Run r = CliTest.run("finetune", "--model", base, "--data", bad.toString(), "--steps", "1", "--seq", "64", "--out", dir.resolve("a.gguf").toString());
        assertNotEquals(0, r.code());
        assertTrue(r.err().contains("bad.jsonl:2"), r.err());
        CliTest.Run t = CliTest.run("finetune", "--model", base, "--data", bad.toString(), "--steps", "1", "--lora-targets", "q,x", "--out", "a.gguf");
        assertTrue(t.err().contains("unknown target 'x'"), t.err());
        CliTest.Run both = CliTest.run("finetune", "--model", base, "--out", "a.gguf", "--steps", "1");
        assertTrue(both.err().contains("--data FILE or --mix"), both.err());
        CliTest.Run wrong = CliTest.run("generate", "-m", base, "-p", "x", "--lora", base);
        assertTrue(wrong.err().contains("general.type"), wrong.err());
    }
}

package dev.jllm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jllm.gguf.GgufFile;
import dev.jllm.testkit.TestData;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * The default model's recipe end to end at a toy scale: every stage runs as the jllm command the card
 * prints, the result is a Q8_0 GGUF with the chat template and EOS the recipe asked for, the recall
 * evaluation runs against it through the server, the card carries the logs' numbers, and a rerun skips
 * every finished stage.
 */
@Timeout(value = 420, unit = TimeUnit.SECONDS) // a whole toy chain: minutes on a loaded 2-core machine
class DemoBuildTest {
    @TempDir Path dir;

    static final DemoRecipe.Scale TOY = new DemoRecipe.Scale("toy", 400, 6, 300, 1, 4, 400, 32, 2, 2, 1, 64, 1024, 6, 4, 64, 3e-3, 8, 4, 128, 3e-3,
            new DemoRecipe.Continued(7, 4, 4, 128, 2e-3, 3, 4, 5, 6, 7, 8));

    private String build(Path work) {
        DemoBuildCommand b = new DemoBuildCommand();
        StringWriter out = new StringWriter(), err = new StringWriter();
        CommandLine cl = new CommandLine(b);
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        b.custom = TOY;
        int rc = cl.execute("--work", work.toString(), "--repo", TestData.root().toAbsolutePath().getParent().toString(), "-t", "2");
        assertEquals(0, rc, out + "\n" + err);
        return out.toString();
    }

    @Test
    void theChainRunsEndToEndAndARerunSkipsFinishedStages() throws Exception {
        Path work = dir.resolve("w");
        String first = build(work);
        for (String stage : new String[] {"dialogues", "wild", "heldout-d1", "heldout-d2", "clean", "tokenizer", "init", "shards", "pretrain", "sft", "sft-2", "wild-focus", "sft-3", "wild-open", "sft-4", "wild-pieces", "sft-5", "wild-dense", "sft-5-q8_0", "sft-5-f32", "sft-6", "echo", "sft-7", "wild-attr", "sft-8", "quantize"}) {
            assertTrue(first.contains("] " + stage + ": "), stage + " ran:\n" + first);
        }
        Path model = work.resolve("jllm-chat.q8_0.gguf");
        try (GgufFile g = GgufFile.open(model)) {
            assertEquals(dev.jllm.chat.ChatTemplate.FALLBACK_SOURCE, g.metadata().get("tokenizer.chat_template").value());
            assertEquals(0, ((Number) g.metadata().get("tokenizer.ggml.eos_token_id").value()).intValue());
            assertEquals(1024, ((Number) g.metadata().get("llama.context_length").value()).intValue());
            assertTrue(g.tensors().stream().anyMatch(t -> t.type() == dev.jllm.tensor.GgmlType.Q8_0));
        }
        JsonNode recall = new ObjectMapper().readTree(work.resolve("eval/recall-d2.json").toFile());
        assertEquals(6, recall.get("dialogues").asInt());
        assertEquals(6, recall.get("stateful").get("all").get("total").asInt());
        String card = Files.readString(work.resolve("jllm-chat.q8_0.md"));
        String sftVal = Files.readAllLines(work.resolve("logs/sft/val.csv")).getLast().split(",")[1];
        assertTrue(card.contains(String.format(java.util.Locale.ROOT, "%.3f", Double.parseDouble(sftVal))), "the card quotes the SFT log:\n" + card);
        assertTrue(card.contains("./jllm finetune --full --model WORK/warm.gguf") && card.contains("./jllm train --model WORK/base.gguf --data WORK/shards --mix repeat=1") && card.contains("| held-out, 2 unrelated turns | all |")
                && card.contains("| written by hand, 1-2 unrelated turns | all |"), card);
        assertTrue(card.contains("./jllm finetune --full --model WORK/sft.gguf") && card.contains("- SFT run 2: 4 steps × 512 tokens"), card);
        // the focus drill joins the mix from run 3 on, the open-plan drill from run 4 on (with the focus drill at half its weight), the
        // vocabulary-piece drill from run 5 on
        assertTrue(card.contains("--model WORK/sft-2.gguf --mix dialogues=") && card.contains(",focus=WORK/data/wild-focus.jsonl:6 "), card);
        assertTrue(card.contains("--model WORK/sft-3.gguf --mix dialogues=") && card.contains(",focus=WORK/data/wild-focus.jsonl:3,open=WORK/data/wild-open.jsonl:6 "), card);
        assertTrue(card.contains("--model WORK/sft-4.gguf --mix dialogues=")
                && card.contains(",focus=WORK/data/wild-focus.jsonl:3,open=WORK/data/wild-open.jsonl:3,pieces=WORK/data/wild-pieces.jsonl:6 "), card);
        assertEquals(6, card.split(",focus=", -1).length - 1, "runs 3 to 8 train on the focus drill:\n" + card);
        assertEquals(5, card.split(",open=", -1).length - 1, "runs 4 to 8 train on the open-plan drill:\n" + card);
        assertEquals(4, card.split(",pieces=", -1).length - 1, "runs 5 to 8 train on the vocabulary-piece drill:\n" + card);
        // the dense drill joins at run 6, which starts from run 5's Q8_0 read back as F32
        assertEquals(3, card.split(",dense=", -1).length - 1, "runs 6 to 8 train on the dense drill:\n" + card);
        assertEquals(2, card.split(",echo=", -1).length - 1, "runs 7 and 8 train on the echo drill:\n" + card);
        assertEquals(1, card.split(",attr=", -1).length - 1, "only run 8 trains on the open-attribute drill:\n" + card);
        assertTrue(card.contains("--open-attributes --count 200 --seed 8 --distractors 0-3 --facts 1 --kinds attribute")
                && card.contains(",echo=WORK/data/echo.jsonl:16,attr=WORK/data/wild-attr.jsonl:6 "), card);
        assertTrue(card.contains("./jllm demo echo --pieces-from WORK/tokenizer.json --count 400 --seed 7 --out WORK/data/echo.jsonl")
                && card.contains("--model WORK/sft-6.gguf --mix dialogues=") && card.contains(",dense=WORK/data/wild-dense.jsonl:8,echo=WORK/data/echo.jsonl:16 "), card);
        assertTrue(card.contains("./jllm quantize --type q8_0 WORK/sft-5.gguf WORK/sft-5.q8_0.gguf")
                && card.contains("./jllm quantize --type f32 WORK/sft-5.q8_0.gguf WORK/sft-5.q8_0-f32.gguf")
                && card.contains("--model WORK/sft-5.q8_0-f32.gguf --mix dialogues=")
                && card.contains(",pieces=WORK/data/wild-pieces.jsonl:3,dense=WORK/data/wild-dense.jsonl:8 ")
                && card.contains("--pieces-every-word"), card);
        assertTrue(card.contains("--pieces-from WORK/tokenizer.json"), card);
        assertTrue(card.contains("--kinds plan,preference,address") && card.contains("--open-plans") && card.contains("--kinds plan,preference,attribute"), card);
        assertTrue(card.contains("- SFT run 5: 4 steps") && card.contains("- SFT run 6: 4 steps") && card.contains("- SFT run 7: 4 steps") && card.contains("- SFT run 8: 4 steps"), card);
        assertEquals(6, new ObjectMapper().readTree(work.resolve("eval/recall-handwritten.json").toFile()).get("dialogues").asInt());

        String second = build(work);
        assertEquals(31, second.split("\\(done before: ", -1).length - 1, second);
        assertEquals(Files.readString(work.resolve("jllm-chat.q8_0.md")).replaceAll("\\d+ min in all", ""), card.replaceAll("\\d+ min in all", ""),
                "the card is a function of the build's files");
    

        // a machine with the repository alone resumes from the bundled file: run 5's Q8_0 copied into an empty work directory skips
        // the copy text, the shards and the model chain up to run 5, and gives the same model
        Path again = dir.resolve("again");
        Files.createDirectories(again);
        Files.copy(work.resolve("sft-5.q8_0.gguf"), again.resolve("sft-5.q8_0.gguf"));
        String resumed = build(again);
        for (String stage : new String[] {"copy-text", "init", "shards", "pretrain", "warmup", "sft", "sft-2", "sft-5"}) {
            assertTrue(resumed.contains("] " + stage + ": ") && !Files.exists(again.resolve(stage + ".gguf")), stage + " listed, not run:\n" + resumed);
        }
        assertEquals(13, resumed.split("\\(not needed: ", -1).length - 1, resumed);
        assertTrue(Files.exists(again.resolve("sft-8.gguf")) && !Files.exists(again.resolve("init.gguf")), resumed);
        assertEquals(-1, Files.mismatch(work.resolve("jllm-chat.q8_0.gguf"), again.resolve("jllm-chat.q8_0.gguf")), "resumed model = full build's");
        String resumedCard = Files.readString(again.resolve("jllm-chat.q8_0.md"));
        assertTrue(resumedCard.contains("- runs 1–5 (and the stages before them) did not run in this build: it resumed from WORK/sft-5.q8_0.gguf")
                && resumedCard.contains("- SFT run 8: 4 steps") && !resumedCard.contains("- SFT run 5:"), resumedCard);
        assertTrue(!card.contains("did not run in this build"), card);
    }
}

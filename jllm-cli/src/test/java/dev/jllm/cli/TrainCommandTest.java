package dev.jllm.cli;

import dev.jllm.testkit.TestData;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** tokenize-corpus → init --tokenizer → train (YAML + flags) → generate, end to end through the CLI. */
class TrainCommandTest {
    @TempDir Path tmp;

    @Test
    void pretrainFromInitAndRunTheResult() throws Exception {
        String vocabModel = TestData.path("models/stories260K.gguf").toString();
        Path shards = tmp.resolve("shards");
        CliTest.Run tc = CliTest.run("tokenize-corpus", "--tokenizer", vocabModel, "--input", TestData.path("corpora/tinystories_sample.txt").toString(),
                "--out", shards.toString(), "--doc-separator", "<|endoftext|>", "--val-fraction", "0.2");
        assertEquals(0, tc.code(), tc.err());
        assertTrue(tc.out().contains("general train") && tc.out().contains("general val"), tc.out());

        Path init = tmp.resolve("init.gguf");
        CliTest.Run in = CliTest.run("init", init.toString(), "--dim", "32", "--layers", "2", "--heads", "4", "--kv-heads", "2", "--ffn-dim", "64",
                "--ctx", "64", "--tokenizer", vocabModel);
        assertEquals(0, in.code(), in.err());

        Path yaml = tmp.resolve("run.yaml");
        Files.writeString(yaml, "batch: 4\nseq: 32\nsteps: 100   # overridden by --steps\nwarmup: 2\neval_every: 3\neval_batches: 1\n");
        Path out = tmp.resolve("trained.gguf"), log = tmp.resolve("log");
        CliTest.Run tr = CliTest.run("train", "--config", yaml.toString(), "--model", init.toString(), "--data", shards.toString(), "--steps", "6",
                "--lr", "3e-3", "--out", out.toString(), "--log", log.toString(), "-t", "2");
        assertEquals(0, tr.code(), tr.err());
        assertTrue(tr.out().contains("steps: 6") && tr.out().contains("batch: 4"), "effective config printed: " + tr.out());
        assertTrue(tr.out().contains("val loss"), tr.out());
        assertEquals("step,loss,lr,grad_norm,tokens_per_s", Files.readAllLines(log.resolve("train.csv")).get(0));
        assertEquals(7, Files.readAllLines(log.resolve("train.csv")).size());
        assertTrue(Files.size(log.resolve("train.png")) > 1000);

        CliTest.Run gen = CliTest.run("generate", "-m", out.toString(), "-p", "Once upon a time", "-n", "8", "--temp", "0");
        assertEquals(0, gen.code(), gen.err());
        assertFalse(gen.out().isBlank());
    }

    @Test
    void unknownSettingsAndQuantizedModelsAreRefused() throws Exception {
        Path yaml = tmp.resolve("bad.yaml");
        Files.writeString(yaml, "learning_rate: 1e-3\n");
        CliTest.Run bad = CliTest.run("train", "--config", yaml.toString(), "--model", "m.gguf", "--data", "d", "--out", "o.gguf");
        assertEquals(1, bad.code());
        assertTrue(bad.err().contains("unknown training setting 'learning_rate'"), bad.err());

        Path q = tmp.resolve("q.gguf");
        assertEquals(0, CliTest.run("init", q.toString(), "--dim", "64", "--layers", "1", "--heads", "2", "--type", "q8_0").code());
        Path shards = tmp.resolve("s");
        assertEquals(0, CliTest.run("tokenize-corpus", "--tokenizer", TestData.path("models/stories260K.gguf").toString(),
                "--input", TestData.path("corpora/tinystories_sample.txt").toString(), "--out", shards.toString()).code());
        CliTest.Run r = CliTest.run("train", "--model", q.toString(), "--data", shards.toString(), "--out", tmp.resolve("o.gguf").toString());
        assertEquals(1, r.code());
        assertTrue(r.err().contains("LoRA"), r.err());
    }

    @Test
    void lossAfterMasksThePromptPart() throws Exception {
        Path text = tmp.resolve("sft.txt");
        Files.writeString(text, "Question: what is two and two? Answer: four\n\nQuestion: and three? Answer: six\n\nno delimiter here\n");
        Path shards = tmp.resolve("sft");
        CliTest.Run r = CliTest.run("tokenize-corpus", "--tokenizer", TestData.path("models/stories260K.gguf").toString(), "--input", text.toString(),
                "--out", shards.toString(), "--doc-separator", "\\n\\n", "--val-fraction", "0", "--loss-after", "Answer:");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("loss mask: 2 of 3 documents"), r.out());
        byte[] mask = Files.readAllBytes(shards.resolve("general-train-000.mask"));
        dev.jllm.tokenizer.Tokenizer tok;
        try (dev.jllm.gguf.GgufFile g = dev.jllm.gguf.GgufFile.open(TestData.path("models/stories260K.gguf"))) {
            tok = dev.jllm.tokenizer.GgufTokenizerLoader.load(g);
        }
        // per document: BOS and the context up to "Answer:" are 0, the answer and EOS are 1; no delimiter: all 1
        StringBuilder want = new StringBuilder();
        String[][] docs = {{"Question: what is two and two? Answer:", " four"}, {"Question: and three? Answer:", " six"}, {"", "no delimiter here"}};
        for (String[] d : docs) {
            boolean hasContext = !d[0].isEmpty();
            want.append(hasContext ? "0" : "1");
            want.append((hasContext ? "0" : "1").repeat(tok.encode(d[0]).length));
            want.append("1".repeat(tok.encode(d[1]).length + 1));
        }
        StringBuilder got = new StringBuilder();
        for (byte b : mask) got.append(b);
        assertEquals(want.toString(), got.toString());
    }

    @Test
    void initConvertsATokenizerJsonAndTheModelEncodesLikeIt() throws Exception {
        Path json = TestData.path("tokenizers/hf-qwen3/tokenizer.json"), out = tmp.resolve("qwen-vocab.gguf");
        CliTest.Run r = CliTest.run("init", out.toString(), "--dim", "16", "--layers", "1", "--heads", "2", "--ffn-dim", "32", "--tokenizer", json.toString());
        assertEquals(0, r.code(), r.err());
        String text = "def f(x):\n    return x ** 2  # Grüße, 世界";
        try (dev.jllm.gguf.GgufFile g = dev.jllm.gguf.GgufFile.open(out)) {
            assertEquals("qwen2", g.getString("tokenizer.ggml.pre"));
            assertArrayEquals(dev.jllm.tokenizer.TokenizerJsonLoader.load(json).encode(text), dev.jllm.tokenizer.GgufTokenizerLoader.load(g).encode(text));
            assertEquals(dev.jllm.tokenizer.TokenizerJsonLoader.load(json).vocabSize(), (int) g.getLong("llama.vocab_size", -1));
        }
    }
}

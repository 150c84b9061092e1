package dev.jllm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jllm.chat.ChatTemplate;
import dev.jllm.gguf.GgufFile;
import dev.jllm.tokenizer.GgufTokenizerLoader;
import dev.jllm.tokenizer.Tokenizer;
import dev.jllm.tokenizer.TokenizerJsonLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What joins the chain's stages without conversion scripts: JSONL corpora (jllm clean's output, chat
 * records) into `tokenizer train` and `tokenize-corpus`, and `init`'s tokenizer options (BOS/EOS by
 * token text, a stored chat template, tied embeddings).
 */
class ChainGlueTest {
    @TempDir Path dir;

    private Path write(String name, String text) throws Exception {
        Path f = dir.resolve(name);
        Files.writeString(f, text);
        return f;
    }

    private Path corpora() throws Exception {
        write("clean.jsonl", "{\"text\":\"the cat sat on the mat\",\"id\":1}\n\n{\"text\":\"猫坐在垫子上。the dog ran\"}\n");
        write("chat.jsonl", "{\"messages\":[{\"role\":\"user\",\"content\":\"My name is Kaveh.\"},{\"role\":\"assistant\",\"content\":\"Hello, Kaveh!\"}]}\n");
        return dir;
    }

    private Path tokenizer() throws Exception {
        corpora();
        Path json = dir.resolve("tok.json");
        CliTest.Run r = CliTest.run("tokenizer", "train", "--input", dir.resolve("clean.jsonl").toString(), "--input", dir.resolve("chat.jsonl").toString(),
                "--vocab-size", "300", "--special", "<|endoftext|>", "--special", "<|im_start|>", "--special", "<|im_end|>", "--pretokenizer", "qwen2",
                "--out", json.toString(), "--threads", "1");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("2 file(s)"), r.out());
        return json;
    }

    @Test
    void tokenizerTrainsOnJsonlTextAndChatRecords() throws Exception {
        Tokenizer t = TokenizerJsonLoader.load(tokenizer());
        // the chat record's role names and contents were training text: "assistant" is short after merges, and so is "Kaveh"
        assertTrue(t.encode("assistant", false, false).length < "assistant".length(), "role names were counted as words");
        assertTrue(t.encode(" Kaveh", false, false).length < " Kaveh".length(), "message contents were counted as words");
        // nothing is merged across JSONL documents: each line is its own text
        assertEquals(1, t.encode("<|im_end|>", false, true).length);
    }

    @Test
    void initSetsBosEosTemplateAndTyingFromTokenTexts() throws Exception {
        Path json = tokenizer();
        Path m = dir.resolve("m.gguf");
        CliTest.Run r = CliTest.run("init", m.toString(), "--tokenizer", json.toString(), "--eos-token", "<|endoftext|>", "--bos-token", "<|im_start|>",
                "--chat-template", "chatml", "--dim", "32", "--layers", "1", "--heads", "2", "--ffn-dim", "64", "--ctx", "64", "--tied-embeddings", "false",
                "--rope-theta", "500000");
        assertEquals(0, r.code(), r.err());
        try (GgufFile g = GgufFile.open(m)) {
            Tokenizer t = GgufTokenizerLoader.load(g);
            assertEquals(0, t.eos());
            assertEquals(1, t.bos());
            assertTrue(t.isEog(2), "<|im_end|> ends generation as in llama.cpp");
            assertEquals(ChatTemplate.FALLBACK_SOURCE, g.metadata().get("tokenizer.chat_template").value());
            assertTrue(g.tensors().stream().anyMatch(ti -> ti.name().equals("output.weight")), "--tied-embeddings false writes output.weight");
            assertEquals(500000f, ((Number) g.metadata().get("llama.rope.freq_base").value()).floatValue());
        }
        // jsonl documents are one per line, packed with the EOS given to init
        CliTest.Run tc = CliTest.run("tokenize-corpus", "--tokenizer", m.toString(), "--input", dir.resolve("clean.jsonl").toString(), "--input",
                dir.resolve("chat.jsonl").toString(), "--val-fraction", "0", "--out", dir.resolve("shards").toString());
        assertEquals(0, tc.code(), tc.err());
        assertTrue(tc.out().contains("3 documents") && tc.out().contains("EOS 0"), tc.out());
    }

    @Test
    void badInputsNameWhatIsWrong() throws Exception {
        Path json = tokenizer();
        Path m = dir.resolve("m.gguf");
        CliTest.Run unknown = CliTest.run("init", m.toString(), "--tokenizer", json.toString(), "--eos-token", "</s>", "--dim", "32", "--layers", "1",
                "--heads", "2");
        assertEquals(1, unknown.code());
        assertTrue(unknown.err().contains("--eos-token '</s>' is not a token of") && unknown.err().contains("--special"), unknown.err());
        CliTest.Run noTok = CliTest.run("init", m.toString(), "--chat-template", "chatml", "--dim", "32", "--layers", "1", "--heads", "2");
        assertEquals(1, noTok.code());
        assertTrue(noTok.err().contains("need --tokenizer"), noTok.err());
        Path broken = write("t.jinja", "{% for m in messages %}{{ m.content }");
        CliTest.Run bad = CliTest.run("init", m.toString(), "--tokenizer", json.toString(), "--chat-template", broken.toString(), "--dim", "32",
                "--layers", "1", "--heads", "2");
        assertEquals(1, bad.code());
        assertFalse(Files.exists(m), "nothing written for a broken template");
        Path ok = dir.resolve("ok.gguf");
        assertEquals(0, CliTest.run("init", ok.toString(), "--tokenizer", json.toString(), "--eos-token", "<|endoftext|>", "--dim", "32", "--layers", "1",
                "--heads", "2").code());
        Path noField = write("x.jsonl", "{\"text\":\"ok\"}\n{\"body\":\"no text here\"}\n");
        for (List<String> cmd : List.of(List.of("tokenizer", "train", "--vocab-size", "300", "--out", dir.resolve("t2.json").toString(), "--input"),
                List.of("tokenize-corpus", "--tokenizer", ok.toString(), "--out", dir.resolve("s2").toString(), "--input"))) {
            String[] args = java.util.stream.Stream.concat(cmd.stream(), java.util.stream.Stream.of(noField.toString())).toArray(String[]::new);
            CliTest.Run r = CliTest.run(args);
            assertEquals(1, r.code(), String.join(" ", cmd));
            assertTrue(r.err().contains("x.jsonl: line 2 has no string field 'text'") && r.err().contains("--text-field"), r.err());
        }
    }
}

package dev.jllm.cli;

import dev.jllm.testkit.TestData;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TokenizerCommandTest {

    @TempDir Path tmp;

    private static String cl100k() {
        return TestData.path("tokenizers/tiktoken/cl100k_base.tiktoken").toString();
    }

    @Test
    void encodePrintsOneJsonArrayWithTheReferenceIds() {
        // ids from testdata/golden/tokenizers.json (js-tiktoken, cross-checked with Python tiktoken)
        CliTest.Run r = CliTest.run("tokenizer", "encode", "--tokenizer", cl100k(), "--text", "张三1998年出生");
        assertEquals(0, r.code(), r.err());
        assertEquals("[87441,46091,2550,23,8107,20834,21990]\n", r.out());
        CliTest.Run byName = CliTest.run("tokenizer", "encode", "--tokenizer", "cl100k_base", "--text", "张三1998年出生");
        assertEquals(r.out(), byName.out(), byName.err());
    }

    @Test
    void showPrintsOnePiecePerTokenSoTheSplitCanBeSeen() {
        CliTest.Run r = CliTest.run("tokenizer", "encode", "--tokenizer", cl100k(), "--text", "张三1998年出生", "--show");
        assertEquals(0, r.code(), r.err());
        List<String> lines = r.out().lines().toList();
        assertEquals(8, lines.size(), r.out());
        assertTrue(lines.get(2).matches(" *2550  \"199\" +199"), lines.get(2));
        assertTrue(lines.get(3).matches(" *23  \"8\" +8"), lines.get(3));
        assertEquals("# 7 tokens for 9 characters (19 UTF-8 bytes)", lines.get(7));
        // GPT-2 splits 张 (E5 BC A0) into two tokens (ids from testdata/golden/tokenizers.json): partial characters show as \xNN
        CliTest.Run gpt2 = CliTest.run("tokenizer", "encode", "--tokenizer", "gpt2", "--text", "张三1998年出生", "--show");
        assertEquals(0, gpt2.code(), gpt2.err());
        List<String> g = gpt2.out().lines().toList();
        assertTrue(g.get(0).matches(" *28156  \"\\\\xe5\\\\xbc\" +.*"), g.get(0));
        assertTrue(g.get(1).matches(" *254  \"\\\\xa0\" +.*"), g.get(1));
    }

    @Test
    void specialTokenTextIsPlainUnlessAsked() {
        CliTest.Run plain = CliTest.run("tokenizer", "encode", "--tokenizer", cl100k(), "--text", "<|endoftext|>");
        CliTest.Run special = CliTest.run("tokenizer", "encode", "--tokenizer", cl100k(), "--text", "<|endoftext|>", "--special");
        assertEquals("[100257]\n", special.out(), special.err());
        assertTrue(plain.out().split(",").length > 1, plain.out());
    }

    @Test
    void decodeTakesArgumentsOrAJsonArray() {
        CliTest.Run a = CliTest.run("tokenizer", "decode", "--tokenizer", cl100k(), "87441", "46091", "2550", "23", "8107", "20834", "21990");
        assertEquals(0, a.code(), a.err());
        assertEquals("张三1998年出生\n", a.out());
        CliTest.Run b = CliTest.run("tokenizer", "decode", "--tokenizer", cl100k(), "--ids", "[87441, 46091,2550,23,8107,20834,21990, 100257]");
        assertEquals("张三1998年出生<|endoftext|>\n", b.out(), b.err());
        CliTest.Run bad = CliTest.run("tokenizer", "decode", "--tokenizer", cl100k(), "999999");
        assertEquals(1, bad.code());
        assertTrue(bad.err().contains("token id 999999 is outside the vocabulary [0, 100277)"), bad.err());
    }

    @Test
    void statsSplitsTokensPerScript() throws Exception {
        Path f = tmp.resolve("mixed.txt");
        Files.writeString(f, "你好世界 hello world 2024\n".repeat(50));
        CliTest.Run r = CliTest.run("tokenizer", "stats", "--tokenizer", cl100k(), "--file", f.toString());
        assertEquals(0, r.code(), r.err());
        String encoded = CliTest.run("tokenizer", "encode", "--tokenizer", cl100k(), "--file", f.toString()).out();
        int tokens = encoded.split(",").length;
        assertTrue(r.out().contains("total"), r.out());
        assertTrue(r.out().matches("(?s).*total +1,100 +1,500 +" + String.format("%,d", tokens) + " .*"), r.out());
        for (String script : List.of("Han ", "Latin ", "digits ", "other ")) assertTrue(r.out().contains("\n" + script), r.out());
    }

    @Test
    void trainWritesATokenizerJsonAndGgufThatEncodeAlike() {
        Path json = tmp.resolve("tok.json");
        Path gguf = tmp.resolve("tok.gguf");
        CliTest.Run r = CliTest.run("tokenizer", "train", "--input", TestData.path("tokenizers/corpora/tinyshakespeare.txt").toString(),
                TestData.path("tokenizers/corpora/poet.tang.0.json").toString(), "--vocab-size", "1000", "--special", "<|endoftext|>",
                "--pretokenizer", "cjk", "--out", json.toString(), "--gguf-out", gguf.toString(), "--threads", "2");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("1,000 tokens (1 special + 256 bytes + 743 merges), pre-tokenizer cjk"), r.out());
        assertTrue(r.out().contains("merges/s") && r.out().contains("MB/s of corpus") && r.out().contains("peak heap"), r.out());
        String text = "First Citizen: 张三1998年出生<|endoftext|>";
        CliTest.Run a = CliTest.run("tokenizer", "encode", "--tokenizer", json.toString(), "--text", text, "--special");
        CliTest.Run b = CliTest.run("tokenizer", "encode", "--tokenizer", gguf.toString(), "--text", text, "--special");
        assertEquals(0, a.code(), a.err());
        assertEquals(a.out(), b.out(), b.err());
        assertTrue(a.out().endsWith(",0]\n"), a.out());
    }

    @Test
    void badInputIsAOneLineErrorOrAReplacementCharacter() throws Exception {
        CliTest.Run pre = CliTest.run("tokenizer", "train", "--input", cl100k(), "--vocab-size", "300", "--pretokenizer", "bert",
                "--out", tmp.resolve("x.json").toString());
        assertEquals(1, pre.code());
        assertTrue(pre.err().contains("unknown pre-tokenizer 'bert' (supported: gpt2, llama3, qwen2, cjk)"), pre.err());

        Path broken = tmp.resolve("tokenizer.json");
        Files.writeString(broken, "{\"model\": {\"type\": \"WordPiece\", \"vocab\": {}}}");
        CliTest.Run bad = CliTest.run("tokenizer", "encode", "--tokenizer", broken.toString(), "--text", "x");
        assertEquals(1, bad.code());
        assertTrue(bad.err().contains("tokenizer.json: model.type 'WordPiece' is not supported"), bad.err());

        CliTest.Run missing = CliTest.run("tokenizer", "encode", "--tokenizer", "no_such_encoding", "--text", "x");
        assertEquals(1, missing.code());
        assertTrue(missing.err().contains("no_such_encoding"), missing.err());

        Path unknown = Files.writeString(tmp.resolve("vocab.txt"), "hello\n"); // no form jllm reads: the error lists those it does
        CliTest.Run form = CliTest.run("tokenizer", "encode", "--tokenizer", unknown.toString(), "--text", "x");
        assertEquals(1, form.code());
        assertTrue(form.err().contains(unknown + ": not a tokenizer form jllm reads (accepted: a .gguf file, a tokenizer.json"), form.err());

        Path invalid = tmp.resolve("invalid.txt");
        Files.write(invalid, new byte[] {'h', 'i', (byte) 0xFF, (byte) 0xE5, (byte) 0xB9});
        CliTest.Run enc = CliTest.run("tokenizer", "encode", "--tokenizer", cl100k(), "--file", invalid.toString());
        assertEquals(0, enc.code(), enc.err());
        String ids = enc.out().strip().replace("[", "").replace("]", "").replace(",", " ");
        CliTest.Run dec = CliTest.run(("tokenizer decode --tokenizer " + cl100k() + " " + ids).split(" "));
        assertTrue(dec.out().startsWith("hi\uFFFD"), dec.out());
        assertEquals(new String(new byte[] {'h', 'i', (byte) 0xFF, (byte) 0xE5, (byte) 0xB9}, StandardCharsets.UTF_8) + "\n", dec.out());
    }
}

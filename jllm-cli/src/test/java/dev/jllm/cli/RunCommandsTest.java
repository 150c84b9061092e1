package dev.jllm.cli;

import dev.jllm.testkit.TestData;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The commands that run models, end to end through the CLI, checked against llama.cpp's numbers. */
class RunCommandsTest {

    @TempDir Path tmp;

    static JsonNode golden() throws Exception {
        return new ObjectMapper().readTree(TestData.path("golden/stories260K.llamacpp.json").toFile());
    }

    @Test
    void generateGreedyPrintsLlamaCppsContinuation() throws Exception {
        JsonNode c = golden().get("cases").get(1);
        CliTest.Run r = CliTest.run("generate", "-m", TestData.path("models/stories260K.gguf").toString(),
                "-p", c.get("prompt").asText(), "-n", "64", "--temp", "0", "-t", "1");
        assertEquals(0, r.code(), r.err());
        assertEquals(c.get("generated_text").asText() + "\n", r.out());
        assertTrue(r.err().contains("finish: length"), r.err());
    }

    @Test
    void generateFromTheLlama2cCheckpointNeedsItsTokenizer() throws Exception {
        CliTest.Run bad = CliTest.run("generate", "-m", TestData.path("models/stories260K.bin").toString(), "-p", "Hi");
        assertEquals(1, bad.code());
        assertTrue(bad.err().contains("--tokenizer"), bad.err());
        JsonNode c = golden().get("cases").get(0);
        CliTest.Run r = CliTest.run("generate", "-m", TestData.path("models/stories260K.bin").toString(),
                "--tokenizer", TestData.path("models/tok512.bin").toString(), "-p", c.get("prompt").asText(), "-n", "64", "--temp", "0");
        assertEquals(0, r.code(), r.err());
        assertEquals(c.get("generated_text").asText() + "\n", r.out());
    }

    @Test
    void perplexityMatchesLlamaPerplexity() throws Exception {
        CliTest.Run r = CliTest.run("perplexity", "-m", TestData.path("models/stories260K.gguf").toString(),
                "-f", TestData.path("corpora/tinystories_sample.txt").toString(), "-c", "128");
        assertEquals(0, r.code(), r.err());
        double want = golden().get("perplexity").get("final_ppl").asDouble();
        String line = r.out().lines().filter(l -> l.startsWith("Final estimate")).findFirst().orElseThrow();
        double got = Double.parseDouble(line.replaceAll(".*PPL = ([0-9.]+).*", "$1"));
        assertEquals(want, got, want * 0.001, line);
    }

    @Test
    void perplexityOfAFileCutInsideACharacterNamesTheFileAndLine() throws Exception {
        Path cut = tmp.resolve("cut.txt");
        byte[] zh = "第一行\n第二行".getBytes(java.nio.charset.StandardCharsets.UTF_8);
        java.nio.file.Files.write(cut, java.util.Arrays.copyOf(zh, zh.length - 1)); // "head -c" through the last character
        CliTest.Run r = CliTest.run("perplexity", "-m", TestData.path("models/stories260K.gguf").toString(), "-f", cut.toString());
        assertEquals(1, r.code(), r.err());
        assertTrue(r.err().contains(cut + ": line 2: not valid UTF-8"), r.err());
    }

    @Test
    void initQuantizeConvertAndInfoChain() throws Exception {
        Path f32 = tmp.resolve("tiny.gguf"), q8 = tmp.resolve("tiny-q8.gguf"), conv = tmp.resolve("conv.gguf");
        CliTest.Run init = CliTest.run("init", "--preset", "tiny", "--dim", "64", "--hidden", "128", "--vocab", "300", "--random", "--seed", "3", f32.toString());
        assertEquals(0, init.code(), init.err());
        CliTest.Run q = CliTest.run("quantize", f32.toString(), q8.toString(), "--type", "q8_0");
        assertEquals(0, q.code(), q.err());
        assertTrue(q.out().contains("Q8_0"), q.out());
        CliTest.Run info = CliTest.run("info", q8.toString(), "--json");
        assertEquals(0, info.code(), info.err());
        JsonNode j = new ObjectMapper().readTree(info.out());
        assertEquals(64, j.get("config").get("dim").asInt());
        assertEquals(300, j.get("tokenizer").get("vocab_size").asInt());
        CliTest.Run gen = CliTest.run("generate", "-m", q8.toString(), "-p", "hello", "-n", "5", "--seed", "1");
        assertEquals(0, gen.code(), gen.err());
        CliTest.Run same = CliTest.run("quantize", q8.toString(), q8.toString(), "--type", "q4_0");
        assertEquals(1, same.code());
        CliTest.Run badType = CliTest.run("quantize", f32.toString(), tmp.resolve("x.gguf").toString(), "--type", "q3_xl");
        assertEquals(1, badType.code());
        assertTrue(badType.err().contains("supported: Q8_0"), badType.err());
        CliTest.Run cv = CliTest.run("convert", TestData.path("models/stories260K.bin").toString(), conv.toString(),
                "--tokenizer", TestData.path("models/tok512.bin").toString());
        assertEquals(0, cv.code(), cv.err());
        assertTrue(Files.size(conv) > 1_000_000);
    }

    @Test
    void benchPrintsTheTable() {
        CliTest.Run r = CliTest.run("bench", "-m", TestData.path("models/stories260K.gguf").toString(), "-p", "32", "-n", "8", "-r", "2",
                "--no-bandwidth", "-t", "1");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("pp32") && r.out().contains("tg8"), r.out());
        CliTest.Run bad = CliTest.run("bench", "-m", TestData.path("models/stories260K.gguf").toString(), "-p", "8", "-n", "0", "-r", "1",
                "--no-bandwidth", "--cache-type", "q9");
        assertEquals(1, bad.code(), bad.err());
        assertTrue(bad.err().contains("--cache-type must be f16 or f32, got 'q9'"), bad.err());
    }

    @Test
    void benchUnderAJsonSchemaReportsBothSpeedsAndTheirRatio() throws Exception {
        String model = TestData.path("models/stories260K.gguf").toString();
        CliTest.Run r = CliTest.run("bench", "-m", model, "--json-schema", TestData.path("grammar/bench-pet.schema.json").toString(), "-n", "24",
                "-r", "2", "-t", "1", "--json");
        assertEquals(0, r.code(), r.err());
        var j = new com.fasterxml.jackson.databind.ObjectMapper().readTree(r.out());
        assertTrue(j.get("tg24").get("mean").asDouble() > 0, r.out());
        assertTrue(j.get("tg24 constrained").get("mean").asDouble() > 0, r.out());
        assertEquals(2, j.get("ratio").get("samples").size(), r.out());
        assertTrue(j.get("mask_ms_per_token").asDouble() > 0, r.out());
        java.nio.file.Path bad = java.nio.file.Files.createTempFile("bad", ".json");
        java.nio.file.Files.writeString(bad, "{\"type\":\"number\",\"multipleOf\":3}");
        CliTest.Run e = CliTest.run("bench", "-m", model, "--json-schema", bad.toString(), "-n", "4");
        assertNotEquals(0, e.code());
        assertTrue(e.err().contains(bad.toString()) && e.err().contains("multipleOf"), e.err());
    }
}

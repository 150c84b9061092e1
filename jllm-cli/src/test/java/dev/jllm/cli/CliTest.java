package dev.jllm.cli;

import dev.jllm.testkit.TestData;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CliTest {

    @TempDir Path tmp;

    record Run(int code, String out, String err) {}

    static Run run(String... args) {
        StringWriter out = new StringWriter(), err = new StringWriter();
        int code = Main.run(args, new PrintWriter(out, true), new PrintWriter(err, true));
        return new Run(code, out.toString(), err.toString());
    }

    @Test
    void helpListsCommandsAndVersionPrints() {
        Run h = run("--help");
        assertEquals(0, h.code());
        assertTrue(h.out().contains("info") && h.out().contains("doctor"), h.out());
        Run v = run("--version");
        assertEquals(0, v.code());
        assertTrue(v.out().startsWith("jllm "), v.out());
    }

    /** picocli reports format errors in descriptions (an unescaped %) on System.err, past our writers: none in any command's help. */
    @Test
    void everyCommandsHelpRendersWithoutPicocliWarnings() {
        java.io.PrintStream saved = System.err;
        java.io.ByteArrayOutputStream captured = new java.io.ByteArrayOutputStream();
        System.setErr(new java.io.PrintStream(captured, true, java.nio.charset.StandardCharsets.UTF_8));
        try {
            Run h = run("--help");
            java.util.List<String> commands = new java.util.ArrayList<>();
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("(?m)^  ([a-z][a-z0-9-]+)  ").matcher(h.out());
            while (m.find()) commands.add(m.group(1));
            assertTrue(commands.size() > 20 && commands.contains("quant-report"), commands.toString());
            for (String c : commands) assertEquals(0, run(c, "--help").code(), c);
        } finally {
            System.setErr(saved);
        }
        String err = captured.toString(java.nio.charset.StandardCharsets.UTF_8);
        assertFalse(err.contains("picocli WARN"), err);
    }

    @Test
    void infoOnStories260kText() {
        Run r = run("info", TestData.path("models/stories260K.gguf").toString(), "--lora-rank", "8", "--vocab", "1024");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("architecture  llama"));
        assertTrue(r.out().contains("292,800"), "parameter count");
        assertTrue(r.out().contains("chat template absent"));
        assertTrue(r.out().contains("verdict       FITS"), r.out());
        assertTrue(r.out().contains("LoRA parameters (rank 8, k,o,q,v)"), r.out());
    }

    @Test
    void infoJsonOnTheLlama2cCheckpoint() throws Exception {
        Run r = run("info", TestData.path("models/stories260K.bin").toString(), "--json", "--ctx", "256", "--batch", "2",
                "--lora-rank", "4", "--lora-targets", "q,v");
        assertEquals(0, r.code(), r.err());
        JsonNode j = new ObjectMapper().readTree(r.out());
        assertEquals(260_032, j.get("parameters").asLong());
        assertEquals(64, j.get("config").get("dim").asInt());
        assertTrue(j.get("config").get("tied_embeddings").asBoolean());
        long kv = 0, lora = 0;
        for (JsonNode item : j.get("plan")) {
            if (item.get("key").asText().equals("kv.total.f16")) kv = item.get("value").asLong();
            if (item.get("key").asText().equals("lora.params")) lora = item.get("value").asLong();
        }
        assertEquals(640L * 256 * 2, kv); // 2·5·4·8·2 bytes/token · ctx · batch
        assertEquals(4L * (128 + 96) * 5, lora);
        assertTrue(j.get("verdict").get("fits").asBoolean());
    }

    @Test
    void badInputGivesOneCleanLineAndNonZeroExit() throws Exception {
        Run missing = run("info", tmp.resolve("nope.gguf").toString());
        assertEquals(1, missing.code());
        assertTrue(missing.err().startsWith("jllm: error: file not found: "), missing.err());
        assertFalse(missing.err().contains("\tat "), "no stack trace");

        Path text = tmp.resolve("notes.gguf");
        Files.writeString(text, "not a model at all");
        Run notGguf = run("info", text.toString());
        assertEquals(1, notGguf.code());
        assertTrue(notGguf.err().contains("not a GGUF file"), notGguf.err());

        byte[] model = Files.readAllBytes(TestData.path("models/stories260K.gguf"));
        Path trunc = tmp.resolve("trunc.gguf");
        Files.write(trunc, Arrays.copyOf(model, 600_000));
        Run t = run("info", trunc.toString());
        assertEquals(1, t.code());
        assertTrue(t.err().contains("past the end of the file"), t.err());
        assertFalse(t.err().contains("\tat "));

        Run badOpt = run("info", TestData.path("models/stories260K.gguf").toString(), "--lora-rank", "8", "--lora-targets", "q,zz");
        assertEquals(1, badOpt.code());
        assertTrue(badOpt.err().contains("unknown target 'zz'"), badOpt.err());

        Run unknown = run("info");
        assertEquals(2, unknown.code()); // picocli usage error: missing MODEL
        assertTrue(unknown.err().contains("MODEL"), unknown.err());
    }

    @Test
    void doctorReportsVectorApiAndBandwidth() throws Exception {
        Run r = run("doctor", "--seconds", "0.2", "--json");
        assertEquals(0, r.code(), r.err());
        JsonNode j = new ObjectMapper().readTree(r.out());
        assertTrue(j.get("vector_api").asBoolean());
        assertTrue(j.get("vector_bits").asInt() >= 128);
        int bits = j.get("vector_bits").asInt();
        assertTrue(j.get("kernels").asText().contains(bits >= 512 ? "16-row groups" : bits >= 256 ? "8-row slices" : "4-lane row dots"), j.toString());
        assertTrue(j.get("bandwidth_all_threads_bytes_per_s").asLong() > 100_000_000L);
        assertEquals(25, j.get("java_feature_version").asInt() >= 25 ? 25 : -1);
    }

    /** Without --add-modules jdk.incubator.vector, doctor must say so loudly, with the fix, and fail. */
    @Test
    void doctorWarnsLoudlyWithoutTheVectorModule() throws Exception {
        String javaBin = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder(javaBin, "-cp", System.getProperty("java.class.path"), "dev.jllm.cli.Main", "doctor", "--seconds", "0.1")
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(60, java.util.concurrent.TimeUnit.SECONDS));
        assertEquals(3, p.exitValue(), out);
        assertTrue(out.contains("Vector API    MISSING"), out);
        assertTrue(out.contains("--add-modules jdk.incubator.vector"), out);
        assertFalse(out.contains("Exception"), out);
    }
}

package dev.jllm.cli;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jllm.testkit.TestData;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code jllm perplexity --kl-divergence-base / --kl-divergence} against llama-perplexity's numbers
 * for the same pair (stories260K F32 as the base, its Q4_0 as the model; testdata/golden/llamacpp-kld.json):
 * the base file has llama-perplexity's layout (header and tokens byte-identical, same size), and the
 * statistics agree within 2%.
 */
class KlDivergenceTest {
    @TempDir Path tmp;

    @Test
    void baseFileAndStatisticsMatchLlamaPerplexity() throws Exception {
        JsonNode golden = new ObjectMapper().readTree(TestData.path("golden/llamacpp-kld.json").toFile());
        Path base = tmp.resolve("base.bin"), q = tmp.resolve("q4_0.gguf");
        String model = TestData.path("models/stories260K.gguf").toString();
        CliTest.Run r = CliTest.run("perplexity", "-m", model, "-f", TestData.path("corpora/tinystories_sample.txt").toString(), "-c", "128",
                "--kl-divergence-base", base.toString());
        assertEquals(0, r.code(), r.err());
        byte[] b = Files.readAllBytes(base);
        JsonNode bf = golden.get("base_file");
        assertEquals(bf.get("bytes").asLong(), b.length);
        byte[] head = Arrays.copyOf(b, 20 + 4 * 128 * 14);
        assertEquals(bf.get("header_and_tokens_sha256").asText(), HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(head)));

        assertEquals(0, CliTest.run("quantize", model, q.toString(), "--type", "Q4_0").code());
        r = CliTest.run("perplexity", "-m", q.toString(), "--kl-divergence-base", base.toString(), "--kl-divergence");
        assertEquals(0, r.code(), r.err());
        JsonNode want = golden.get("llamacpp_base_file");
        String out = r.out();
        close(want.get("mean_kld").get(0).asDouble(), num(out, "Mean    KLD:\\s+([\\d.]+)"), 0.02, "mean KLD", out);
        close(want.get("ppl_ratio").get(0).asDouble(), num(out, "Mean PPL\\(Q\\)/PPL\\(base\\)\\s+:\\s+([\\d.]+)"), 0.02, "PPL ratio", out);
        close(want.get("ppl_diff").get(0).asDouble(), num(out, "Mean PPL\\(Q\\)-PPL\\(base\\)\\s+:\\s+([-\\d.]+)"), 0.02, "ΔPPL", out);
        close(want.get("ppl_q").get(0).asDouble(), num(out, "Mean PPL\\(Q\\)\\s+:\\s+([\\d.]+)"), 0.02, "PPL(Q)", out);
        close(want.get("same_top_p_pct").get(0).asDouble(), num(out, "Same top p:\\s+([\\d.]+)"), 0.02, "same top p", out);
        close(want.get("median_kld").asDouble(), num(out, "Median  KLD:\\s+([\\d.]+)"), 0.02, "median KLD", out);
        close(want.get("rms_dp_pct").get(0).asDouble(), num(out, "RMS Δp    :\\s+([\\d.]+)"), 0.02, "RMS Δp", out);
        for (String label : new String[] {"Maximum KLD", "99.9%   KLD", "90.0%   KLD", " 1.0%   KLD", "Minimum KLD", "Mean    Δp", "75.0%   Δp", "Minimum Δp"}) {
            assertTrue(out.contains(label), label + " line missing:\n" + out);
        }
    }

    static double num(String text, String regex) {
        Matcher m = Pattern.compile(regex).matcher(text);
        assertTrue(m.find(), regex + " not in\n" + text);
        return Double.parseDouble(m.group(1));
    }

    static void close(double want, double got, double rel, String what, String out) {
        assertTrue(Math.abs(got - want) <= rel * Math.abs(want), what + ": jllm " + got + ", llama-perplexity " + want + "\n" + out);
    }
}
